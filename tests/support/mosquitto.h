// A real Mosquitto broker on a free loopback port, for integration tests.
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {

struct BrokerOptions {
  int port = 0;                 // 0: pick a free port
  std::string extra_config;     // appended to mosquitto.conf (TLS listeners, ...)
  bool persistence = true;
};

class MosquittoBroker {
 public:
  explicit MosquittoBroker(BrokerOptions opts = {});
  ~MosquittoBroker();

  // Starts the broker and waits until it accepts TCP connections.
  void start();
  void stop();  // SIGTERM and wait
  void kill();  // SIGKILL
  bool running() const { return proc_ != nullptr; }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  const TempDir& dir() const { return dir_; }
  std::string log() const;

 private:
  BrokerOptions opts_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

// A loopback TCP port nobody listens on right now.
int freeLoopbackPort();
bool waitForPort(int port, std::chrono::milliseconds timeout);

}  // namespace shaobing::testing
