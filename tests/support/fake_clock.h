// A Clock for unit tests: wall and monotonic time move only when told;
// `wall` can also be set alone to simulate a clock correction.
#pragma once

#include "gateway/core/clock.h"

namespace shaobing::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(SystemTime start = fromUnixMillis(1'800'000'000'000)) : wall(start) {}
  SystemTime now() const override { return wall; }
  SteadyTime steady() const override { return mono; }
  void advance(std::chrono::milliseconds d) {
    wall += d;
    mono += d;
  }
  SystemTime wall;
  SteadyTime mono = SteadyTime{} + std::chrono::hours(1);
};

}  // namespace shaobing::testing
