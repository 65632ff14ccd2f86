// shaobingd: the edge gateway daemon. Runs in the foreground and logs to
// stderr; systemd (Type=notify) supervises it.
#include <CLI/CLI.hpp>

#include <iostream>

#include "config/config.h"
#include "gateway/core/log.h"
#include "gateway/daemon/daemon.h"
#include "gateway/rules/rule.h"
#include "gateway/version.h"
#include "tools/shaobingd/components.h"
#include "vision/detectors/registry.h"

int main(int argc, char** argv) {
  CLI::App app{"shaobing edge gateway daemon"};
  std::string config_path = "/etc/shaobing/shaobing.yaml";
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.set_version_flag("--version", std::string("shaobingd ") + shaobing::kVersion);
  CLI11_PARSE(app, argc, argv);

  shaobing::vision::registerDetectors();  // camera entries may hold each detector's subtree
  shaobing::rules::registerRules();       // `rules:` holds each rule's keys
  shaobing::config::LoadResult loaded = shaobing::config::loadConfigFile(config_path);
  if (!loaded.ok()) {
    for (const auto& m : loaded.messages()) std::cerr << m << "\n";
    std::cerr << "shaobingd: invalid configuration, not starting ("
              << loaded.diagnostics.items().size() << " problem(s))\n";
    return 1;
  }
  shaobing::initLogging(loaded.config->log.level);
  shaobing::Daemon daemon(std::move(*loaded.config), shaobing::buildDaemonComponents);
  return daemon.run();
}
