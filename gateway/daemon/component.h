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

namespace whistle {
class IncidentSink;
}

// What components share. Owned by the daemon; outlives every component.
struct ServiceContext {
  boost::asio::io_context& io;
  Clock& clock;
  Counters& counters;
  const config::Config& config;              // the configuration at start
  std::shared_ptr<mqtt::Connection> local;   // the community's broker
  mqtt::Router& inbound;                     // subscribe + route local messages
  whistle::IncidentSink* incidents = nullptr;  // set by the whistle queue, built first
};

class Component {
 public:
  virtual ~Component() = default;
  virtual std::string name() const = 0;
  // Called on the io thread once connections exist.
  virtual void start() {}
  // Flushes and releases; calls done on the io thread (within ~2 s).
  virtual void stop(std::function<void()> done) { done(); }
  // A validated new configuration (SIGHUP). Returns false when a change
  // needs a restart to take effect (logged by the daemon).
  virtual bool reconfigure(const config::Config& /*cfg*/) { return true; }
  virtual nlohmann::json health() const { return nlohmann::json::object(); }
};

}  // namespace shaobing
