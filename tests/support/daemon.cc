// Starting shaobingd in tests; see daemon.h.
#include "tests/support/daemon.h"

namespace shaobing::testing {

std::string minimalConfig(const std::string& site, int port, const std::string& state_dir,
                          const std::string& health_interval, const std::string& extra) {
  return "site:\n  id: " + site + "\nstate_dir: " + state_dir +
         "\nlocal_broker:\n  host: 127.0.0.1\n  port: " + std::to_string(port) +
         "\n  reconnect_min: 200ms\n  reconnect_max: 1s\nhealth:\n  interval: " + health_interval +
         "\nlog:\n  level: debug\n" + extra;
}

std::unique_ptr<ChildProcess> startDaemon(const TempDir& dir, const std::string& config_yaml,
                                          std::map<std::string, std::string> env) {
  std::string path = dir.write("shaobing.yaml", config_yaml);
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{kShaobingdPath, "--config", path}, dir.path().string(),
      std::move(env));
}

}  // namespace shaobing::testing
