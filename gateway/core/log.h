// Logging: spdlog to stderr, in a form journald reads well (syslog
// priority prefixes, no timestamps of our own when run by systemd).
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace shaobing {

// Sets up the default logger. Call once at start; safe to call again on reload.
void initLogging(const std::string& level);
void setLogLevel(const std::string& level);

// Returns a named logger ("mqtt", "whistle", ...) sharing the stderr sink.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

// Lets the first `burst` messages per key through in each window, then
// counts the rest and reports how many were suppressed when the window
// rolls over. For messages whose cause is outside input (bad payloads,
// unknown devices): they must never flood the journal. Thread-safe.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::shared_ptr<spdlog::logger> log, int burst = 5,
                          std::chrono::seconds window = std::chrono::seconds(60));

  void warn(const std::string& key, const std::string& message);

  uint64_t suppressed() const;

 private:
  struct Slot {
    std::chrono::steady_clock::time_point window_start;
    int used = 0;
    uint64_t suppressed = 0;
  };
  std::shared_ptr<spdlog::logger> log_;
  int burst_;
  std::chrono::seconds window_;
  mutable std::mutex mu_;
  std::map<std::string, Slot> slots_;
  uint64_t total_suppressed_ = 0;
};

}  // namespace shaobing
