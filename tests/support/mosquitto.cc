// Real Mosquitto brokers for integration tests; see mosquitto.h.
#include "tests/support/mosquitto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace shaobing::testing {

int freeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool waitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

MosquittoBroker::MosquittoBroker(BrokerOptions opts) : opts_(std::move(opts)) {
  port_ = opts_.port != 0 ? opts_.port : freeLoopbackPort();
}

MosquittoBroker::~MosquittoBroker() { kill(); }

void MosquittoBroker::start() {
  if (proc_) return;
  std::string conf;
  if (geteuid() == 0) conf += "user root\n";  // else it drops to 'mosquitto' and cannot write here
  conf += "listener " + std::to_string(port_) + " 127.0.0.1\n";
  conf += "allow_anonymous true\n";
  conf += "max_queued_messages 1000000\n";
  conf += "max_inflight_messages 0\n";
  if (opts_.persistence) {
    conf += "persistence true\n";
    conf += "persistence_location " + dir_.path().string() + "/\n";
  }
  conf += "log_dest stderr\n";
  conf += "log_type error\nlog_type warning\nlog_type notice\n";
  conf += opts_.extra_config;
  std::string conf_path = dir_.write("mosquitto.conf", conf);
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/mosquitto", "-c", conf_path}, dir_.path().string());
  if (!waitForPort(port_, std::chrono::seconds(10))) {
    std::string err = proc_->stderrText();
    proc_.reset();
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " +
                             err);
  }
}

void MosquittoBroker::stop() {
  if (!proc_) return;
  proc_->signal(SIGTERM);
  proc_->wait(std::chrono::seconds(5));
  proc_.reset();
}

void MosquittoBroker::kill() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds(5));
  proc_.reset();
}

std::string MosquittoBroker::log() const { return proc_ ? proc_->stderrText() : ""; }

}  // namespace shaobing::testing
