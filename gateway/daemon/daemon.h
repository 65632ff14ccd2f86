// The shaobingd daemon: one io_context that owns signals, timers, the MQTT
// connections and every component; start-up, status, health, reload and
// shutdown live here.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"

namespace shaobing {

class Daemon {
 public:
  explicit Daemon(config::Config cfg);
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
