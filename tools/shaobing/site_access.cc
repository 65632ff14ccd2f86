// See site_access.h.
#include "tools/shaobing/site_access.h"

#include <chrono>
#include <iostream>

namespace shaobing::cli {

std::optional<config::Config> loadConfigOrReport(const std::string& path) {
  config::LoadResult loaded = config::loadConfigFile(path);
  if (!loaded.ok()) {
    for (const auto& m : loaded.messages()) std::cerr << m << "\n";
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

std::unique_ptr<::mqtt::async_client> connectLocalBroker(const config::Config& cfg, const std::string& client_id) {
  const config::BrokerConfig& b = cfg.local_broker;
  auto client = std::make_unique<::mqtt::async_client>(b.uri(), client_id, ::mqtt::create_options(MQTTVERSION_5));
  auto opts = ::mqtt::connect_options_builder()
                  .mqtt_version(MQTTVERSION_5)
                  .clean_start(true)
                  .connect_timeout(std::chrono::seconds(10));
  if (!b.username.empty()) opts.user_name(b.username);
  if (!b.password.empty()) opts.password(b.password);
  if (b.tls.enabled) {
    auto ssl = ::mqtt::ssl_options_builder();
    if (!b.tls.ca_file.empty()) ssl.trust_store(b.tls.ca_file);
    if (!b.tls.cert_file.empty()) ssl.key_store(b.tls.cert_file);
    if (!b.tls.key_file.empty()) ssl.private_key(b.tls.key_file);
    ssl.verify(b.tls.verify_hostname);
    opts.ssl(ssl.finalize());
  }
  client->connect(opts.finalize())->wait();
  return client;
}

}  // namespace shaobing::cli
