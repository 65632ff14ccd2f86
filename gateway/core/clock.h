// Time seam: everything that judges time (deadlines, schedules, inactivity)
// asks a Clock, so tests can drive it with a fake.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shaobing {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: may jump (NTP, RTC reset); use for timestamps.
  virtual SystemTime now() const = 0;
  // Monotonic time: use for intervals and timeouts.
  virtual SteadyTime steady() const = 0;
};

// The real clocks. Thread-safe; lives forever.
Clock& systemClock();

int64_t toUnixMillis(SystemTime t);
SystemTime fromUnixMillis(int64_t ms);
// RFC 3339 UTC with milliseconds: 2026-11-22T13:44:21.123Z
std::string formatRfc3339(SystemTime t);

}  // namespace shaobing
