// Rate-limited logging: outside input must never flood the journal.
#include "gateway/core/log.h"

#include <gtest/gtest.h>

#include "gateway/core/clock.h"

namespace shaobing {
namespace {

TEST(RateLimitedLog, SuppressesBeyondBurstPerKey) {
  initLogging("error");  // keep the test output quiet
  RateLimitedLog log(logger("test"), 3, std::chrono::seconds(60));
  for (int i = 0; i < 10; ++i) log.warn("bad-json", "bad payload");
  EXPECT_EQ(log.suppressed(), 7u);
  for (int i = 0; i < 2; ++i) log.warn("unknown-device", "unknown device");
  EXPECT_EQ(log.suppressed(), 7u);  // another key has its own budget
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(formatRfc3339(fromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339(fromUnixMillis(1795000000123)), "2026-11-18T11:06:40.123Z");
}

}  // namespace
}  // namespace shaobing
