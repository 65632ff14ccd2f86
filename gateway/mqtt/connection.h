// The MQTT seam. Every broker the gateway talks to (the community's local
// broker, the grid platform's uplink broker) is a Connection. The real one
// wraps Eclipse Paho C++; tests of logic use a fake.
//
// Threading contract:
//  - start/stop/publish/subscribe and the state handler run on the owning
//    boost::asio::io_context thread. Completion callbacks are posted there.
//  - The inbound handler runs on the MQTT library's receive thread. For a
//    QoS 1 message the PUBACK is sent only after it returns, so a handler
//    that must not lose messages persists them before returning. It must not
//    call publish/subscribe synchronously (post to the io_context instead).
#pragma once

#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace shaobing::mqtt {

struct Message {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
  bool dup = false;  // redelivery of a QoS 1 message: consumers stay idempotent
  std::vector<std::pair<std::string, std::string>> user_properties;  // MQTT v5

  const std::string* userProperty(const std::string& name) const;
};

struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = true;
};

enum class LinkState { kIdle, kConnecting, kConnected, kWaitingRetry, kStopping, kStopped };
const char* toString(LinkState s);

struct LinkStats {
  LinkState state = LinkState::kIdle;
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  uint64_t connection_losses = 0;
  uint64_t published = 0;
  uint64_t publish_failures = 0;
  uint64_t received = 0;
  std::string last_error;
  std::optional<std::chrono::system_clock::time_point> connected_since;
};

// ok=false with a reason when the broker did not confirm the publish.
using PublishDone = std::function<void(bool ok, const std::string& error)>;
using InboundHandler = std::function<void(const Message&)>;
using StateHandler = std::function<void(bool connected)>;

class Connection {
 public:
  virtual ~Connection() = default;

  // Set before start().
  virtual void setInboundHandler(InboundHandler handler) = 0;
  virtual void setStateHandler(StateHandler handler) = 0;

  // Begins connecting; on failure or loss retries forever with exponential
  // backoff and jitter between the configured bounds.
  virtual void start() = 0;

  // QoS 0/1 publish. Fails at once (done(false, ...)) when not connected:
  // queueing is the caller's job (the whistle queue keeps it in SQLite).
  virtual void publish(Message msg, PublishDone done = {}) = 0;

  // Remembered and re-applied on every (re)connect.
  virtual void subscribe(const std::string& filter, int qos) = 0;

  // Disconnects cleanly (the will is not sent) and calls done on the io
  // thread within `timeout`, whatever the broker does.
  virtual void stop(std::chrono::milliseconds timeout, std::function<void()> done) = 0;

  virtual bool isConnected() const = 0;
  virtual LinkStats stats() const = 0;
};

nlohmann::json toJson(const LinkStats& s);

// The Paho-backed connection. `name` labels logs ("local", "uplink").
std::shared_ptr<Connection> createPahoConnection(boost::asio::io_context& io,
                                                 const config::BrokerConfig& cfg,
                                                 std::optional<Will> will, std::string name);

}  // namespace shaobing::mqtt
