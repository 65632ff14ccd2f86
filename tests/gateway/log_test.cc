// Rate-limited logging (outside input must never flood the journal), times, thread names.
#include "gateway/core/log.h"

#include <gtest/gtest.h>

#include <pthread.h>

#include <string>
#include <thread>

#include "gateway/core/clock.h"
#include "gateway/core/thread_name.h"

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

// Threads show their part of the daemon in top -H; Linux keeps 15 bytes.
TEST(ThreadName, IsSetAndCutAtFifteenBytes) {
  std::string short_name, long_name;
  std::thread([&] {
    nameThisThread("cam:b2-yard");
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    short_name = buf;
    nameThisThread("cam:building-12-north-yard");
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    long_name = buf;
  }).join();
  EXPECT_EQ(short_name, "cam:b2-yard");
  EXPECT_EQ(long_name, "cam:building-12");
}

}  // namespace
}  // namespace shaobing
