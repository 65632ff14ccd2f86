// A part of the daemon with a life cycle (whistle queue, drivers, rules,
// cameras). The daemon builds components from the configuration, starts
// them after its connections are set up, asks them for health, hands them a
// new configuration on SIGHUP and stops them, newest first, on shutdown.
#pragma once

#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "gateway/core/clock.h"
#include "gateway/core/counters.h"
#include "gateway/mqtt/connection.h"
#include "gateway/mqtt/router.h"

namespace shaobing {

class Liveness;

namespace whistle {
class IncidentSink;
}

// What components share. Owned by the daemon; outlives every component.
struct ServiceContext {
  boost::asio::io_context& io;
  Clock& clock;
  Counters& counters;
  // The configuration at start: immutable and alive for the daemon's life. A
  // reload hands components a new snapshot through reconfigure().
  const config::Config& config;
  std::shared_ptr<mqtt::Connection> local;   // the community's broker
  mqtt::Router& inbound;                     // subscribe + route local messages
  whistle::IncidentSink* incidents = nullptr;  // set by the whistle queue, built first
  // One liveness watch for every source: components tell it what they own
  // (watch) and each sign of life (seen). Set by the daemon; may be null in tests.
  Liveness* liveness = nullptr;
};

class Component {
 public:
  virtual ~Component() = default;
  virtual std::string name() const = 0;
  // Called on the io thread once connections exist.
  virtual void start() {}
  // Flushes and releases; calls done on the io thread (within ~2 s).
  virtual void stop(std::function<void()> done) { done(); }
  // A validated new configuration (SIGHUP), on the io thread: an immutable
  // snapshot the component may keep and read from any of its threads (swap the
  // pointer under a lock; never the Config in place). Returns false when a
  // change it sees needs a restart to take effect (logged by the daemon).
  virtual bool reconfigure(const std::shared_ptr<const config::Config>& next) {
    (void)next;
    return true;
  }
  virtual nlohmann::json health() const { return nlohmann::json::object(); }
};

}  // namespace shaobing
