// Logging setup; see log.h.
#include "gateway/core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>

namespace shaobing {

namespace {

// Emits "<N>" (sd-daemon priority) so journald records the right level.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static const char* kPrio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const char* p = kPrio[static_cast<int>(msg.level)];
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<SyslogPriorityFlag>();
  }
};

std::shared_ptr<spdlog::sinks::stderr_sink_mt> sharedSink() {
  static auto sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*[%n] %v");
    } else {
      formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
    s->set_formatter(std::move(formatter));
    return s;
  }();
  return sink;
}

std::mutex g_loggers_mu;

}  // namespace

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_loggers_mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto l = std::make_shared<spdlog::logger>(name, sharedSink());
  l->set_level(spdlog::default_logger()->level());
  l->flush_on(spdlog::level::trace);
  spdlog::register_logger(l);
  return l;
}

void setLogLevel(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

void initLogging(const std::string& level) {
  {
    std::lock_guard<std::mutex> lock(g_loggers_mu);
    if (!spdlog::get("shaobing")) {
      auto l = std::make_shared<spdlog::logger>("shaobing", sharedSink());
      l->flush_on(spdlog::level::trace);
      spdlog::register_logger(l);
      spdlog::set_default_logger(l);
    }
  }
  setLogLevel(level);
}

RateLimitedLog::RateLimitedLog(std::shared_ptr<spdlog::logger> log, int burst,
                               std::chrono::seconds window)
    : log_(std::move(log)), burst_(burst), window_(window) {}

void RateLimitedLog::warn(const std::string& key, const std::string& message) {
  auto now = std::chrono::steady_clock::now();
  uint64_t reported_suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Slot& s = slots_[key];
    if (s.used == 0 || now - s.window_start >= window_) {
      reported_suppressed = s.suppressed;
      s.window_start = now;
      s.used = 0;
      s.suppressed = 0;
    }
    if (s.used >= burst_) {
      ++s.suppressed;
      ++total_suppressed_;
      return;
    }
    ++s.used;
  }
  if (reported_suppressed > 0) {
    log_->warn("{} ({} similar messages suppressed)", message, reported_suppressed);
  } else {
    log_->warn("{}", message);
  }
}

uint64_t RateLimitedLog::suppressed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_suppressed_;
}

}  // namespace shaobing
