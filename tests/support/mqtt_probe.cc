// Test-side MQTT client; see mqtt_probe.h.
#include "tests/support/mqtt_probe.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <stdexcept>

namespace shaobing::testing {

namespace {
std::string uniqueId() {
  static std::atomic<int> n{0};
  return "probe-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

bool topicMatches(const std::string& filter, const std::string& topic) {
  // MQTT filter matching for '+' and '#'.
  size_t f = 0, t = 0;
  while (f < filter.size()) {
    if (filter[f] == '#') return true;
    if (filter[f] == '+') {
      while (t < topic.size() && topic[t] != '/') ++t;
      ++f;
      continue;
    }
    if (t >= topic.size() || filter[f] != topic[t]) return false;
    ++f;
    ++t;
  }
  return t == topic.size();
}
}  // namespace

MqttProbe::MqttProbe(const std::string& uri, const std::string& client_id,
                     const std::string& ssl_ca, const std::string& ssl_cert,
                     const std::string& ssl_key) {
  client_ = std::make_unique<::mqtt::async_client>(uri, client_id.empty() ? uniqueId() : client_id,
                                                   ::mqtt::create_options(MQTTVERSION_5));
  client_->set_message_callback([this](::mqtt::const_message_ptr m) {
    ProbeMessage pm{m->get_topic(), m->get_payload_str(), m->is_retained(), m->get_qos(), {}};
    const auto& props = m->get_properties();
    for (size_t i = 0; i < props.count(::mqtt::property::USER_PROPERTY); ++i) {
      auto p = ::mqtt::get<::mqtt::string_pair>(props, ::mqtt::property::USER_PROPERTY, i);
      pm.user_properties.emplace_back(std::get<0>(p), std::get<1>(p));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(std::move(pm));
    }
    cv_.notify_all();
  });
  auto b = ::mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true);
  if (!ssl_ca.empty()) {
    auto ssl = ::mqtt::ssl_options_builder().trust_store(ssl_ca).enable_server_cert_auth(true);
    if (!ssl_cert.empty()) ssl.key_store(ssl_cert).private_key(ssl_key);
    b.ssl(ssl.finalize());
  }
  client_->connect(b.finalize())->wait_for(std::chrono::seconds(10));
  if (!client_->is_connected()) throw std::runtime_error("probe could not connect to " + uri);
}

MqttProbe::~MqttProbe() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (...) {
  }
}

void MqttProbe::subscribe(const std::string& filter, int qos) {
  client_->subscribe(filter, qos)->wait_for(std::chrono::seconds(5));
}

void MqttProbe::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                        const std::vector<std::pair<std::string, std::string>>& user_props) {
  auto msg = ::mqtt::make_message(topic, payload, qos, retain);
  if (!user_props.empty()) {
    ::mqtt::properties props;
    for (const auto& [k, v] : user_props) {
      props.add(::mqtt::property(::mqtt::property::USER_PROPERTY, k, v));
    }
    msg->set_properties(props);
  }
  client_->publish(msg)->wait_for(std::chrono::seconds(5));
}

std::optional<ProbeMessage> MqttProbe::waitFor(
    const std::string& topic, const std::function<bool(const ProbeMessage&)>& pred,
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<ProbeMessage> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& m : received_) {
      if (topicMatches(topic, m.topic) && pred(m)) {
        found = m;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<ProbeMessage> MqttProbe::waitFor(const std::string& topic,
                                               std::chrono::milliseconds timeout) {
  return waitFor(topic, [](const ProbeMessage&) { return true; }, timeout);
}

bool MqttProbe::waitForCount(const std::string& topic_filter, size_t n,
                             std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    size_t c = 0;
    for (const auto& m : received_) c += topicMatches(topic_filter, m.topic) ? 1 : 0;
    return c >= n;
  });
}

std::vector<ProbeMessage> MqttProbe::messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::vector<ProbeMessage> MqttProbe::messagesOn(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ProbeMessage> out;
  for (const auto& m : received_) {
    if (topicMatches(topic, m.topic)) out.push_back(m);
  }
  return out;
}

void MqttProbe::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  received_.clear();
}

}  // namespace shaobing::testing
