// Routes inbound messages of one Connection to the components that asked
// for them, by MQTT topic filter ('+' and '#'). Components register while
// the daemon builds them; dispatch runs on the MQTT library's thread (see
// the contract in connection.h: persist before returning).
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gateway/mqtt/connection.h"

namespace shaobing::mqtt {

bool topicMatches(const std::string& filter, const std::string& topic);

class Router {
 public:
  explicit Router(std::shared_ptr<Connection> conn);

  // Subscribes `filter` at `qos` on the connection and sends matching
  // messages to `handler`. A message matching several filters goes to each.
  void add(const std::string& filter, int qos, InboundHandler handler);

  // Called by the connection (Paho thread). Returns the number of handlers
  // that received the message; unmatched messages are counted by the caller.
  size_t dispatch(const Message& msg) const;

  Connection& connection() { return *conn_; }

 private:
  struct Route {
    std::string filter;
    InboundHandler handler;
  };
  std::shared_ptr<Connection> conn_;
  mutable std::shared_mutex mu_;
  std::vector<Route> routes_;
};

}  // namespace shaobing::mqtt
