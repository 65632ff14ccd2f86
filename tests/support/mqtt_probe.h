// A test-side MQTT client (Paho, synchronous use) that records what arrives
// on its subscriptions and publishes test input.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace shaobing::testing {

struct ProbeMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  int qos = 0;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

class MqttProbe {
 public:
  // Connects (clean session, MQTT v5) to uri with a unique client id.
  explicit MqttProbe(const std::string& uri, const std::string& client_id = "",
                     const std::string& ssl_ca = "", const std::string& ssl_cert = "",
                     const std::string& ssl_key = "");
  ~MqttProbe();

  void subscribe(const std::string& filter, int qos = 1);
  void publish(const std::string& topic, const std::string& payload, int qos = 1,
               bool retain = false,
               const std::vector<std::pair<std::string, std::string>>& user_props = {});

  // Waits until a message on `topic` satisfies pred; returns it.
  std::optional<ProbeMessage> waitFor(const std::string& topic,
                                      const std::function<bool(const ProbeMessage&)>& pred,
                                      std::chrono::milliseconds timeout);
  std::optional<ProbeMessage> waitFor(const std::string& topic,
                                      std::chrono::milliseconds timeout);
  // Waits until at least n messages match the topic filter.
  bool waitForCount(const std::string& topic_prefix, size_t n, std::chrono::milliseconds timeout);
  std::vector<ProbeMessage> messages() const;
  std::vector<ProbeMessage> messagesOn(const std::string& topic) const;
  void clear();

 private:
  std::unique_ptr<::mqtt::async_client> client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ProbeMessage> received_;
};

}  // namespace shaobing::testing
