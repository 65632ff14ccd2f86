// Starts the real shaobingd against a test broker.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tests/support/mosquitto.h"
#include "tests/support/paths.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {

// A minimal valid configuration for site `site` on the broker at `port`.
// `extra` is appended verbatim (more top-level sections).
std::string minimalConfig(const std::string& site, int port, const std::string& state_dir,
                          const std::string& health_interval = "1s",
                          const std::string& extra = "");

// shaobingd --config <dir>/shaobing.yaml, logs kept in dir.
std::unique_ptr<ChildProcess> startDaemon(const TempDir& dir, const std::string& config_yaml,
                                          std::map<std::string, std::string> env = {});

}  // namespace shaobing::testing
