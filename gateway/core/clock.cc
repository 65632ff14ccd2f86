// Real clock and time formatting; see clock.h.
#include "gateway/core/clock.h"

#include <ctime>

namespace shaobing {

namespace {
class RealClock : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
};
}  // namespace

Clock& systemClock() {
  static RealClock clock;
  return clock;
}

int64_t toUnixMillis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SystemTime fromUnixMillis(int64_t ms) { return SystemTime(std::chrono::milliseconds(ms)); }

std::string formatRfc3339(SystemTime t) {
  int64_t ms = toUnixMillis(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

}  // namespace shaobing
