// What several subcommands share: loading the configuration as the daemon
// would, and connecting to the site's local broker with its credentials and TLS.
#pragma once

#include <mqtt/async_client.h>

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"

namespace shaobing::cli {

// The configuration at `path`; nullopt after printing each problem to stderr
// (FILE:LINE:COL: key: message, as check-config does).
std::optional<config::Config> loadConfigOrReport(const std::string& path);

// An MQTT v5 client connected (clean start, 10 s timeout) to the local broker of
// `cfg` with its username, password and TLS settings. Throws ::mqtt::exception.
std::unique_ptr<::mqtt::async_client> connectLocalBroker(const config::Config& cfg, const std::string& client_id);

}  // namespace shaobing::cli
