// The shaobingd daemon: one io_context that owns signals, timers, the MQTT
// connections and every component; start-up, status, health, reload and
// shutdown live here.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "gateway/daemon/registry.h"

namespace shaobing {

class Daemon {
 public:
  // `components` builds what the daemon runs (buildCoreComponents when empty).
  explicit Daemon(config::Config cfg, ComponentFactory components = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shaobing
