// The liveness watch: every source silent past its limit raises one
// device_offline, its next sign of life closes it, and what it knows survives
// a restart without counting negative time.
#include "gateway/daemon/liveness.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace shaobing {
namespace {

using namespace std::chrono_literals;

class Sink : public whistle::IncidentSink {
 public:
  whistle::RaiseResult raise(whistle::Incident inc) override {
    raised.push_back(inc);
    return {true, false, "w" + std::to_string(raised.size()), ""};
  }
  void clear(const std::string& key, const std::string&) override { cleared.push_back(key); }
  std::vector<whistle::Incident> raised;
  std::vector<std::string> cleared;
};

config::Config site() {
  auto r = config::loadConfigString(R"(
site: {id: s1}
devices:
  - {id: door-1, kind: access, zone: lobby, heartbeat: 10m}
  - {id: socket-1, kind: sensor}
rules: {heartbeat: {sensor: 1h}}
cameras:
  - {id: cam-1, offline_after: 30s}
)");
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  return *r.config;
}

class LivenessTest : public ::testing::Test {
 protected:
  void start() {
    live_ = std::make_unique<Liveness>(clock_, dir_.file("liveness.json"));
    live_->setSink(&sink_);
    live_->watch("devices", Liveness::devicesOf(cfg_));
    live_->watch("cameras", Liveness::camerasOf(cfg_));
  }
  void run(std::chrono::seconds total) {
    for (auto t = 0s; t < total; t += 1s) {
      clock_.advance(1s);
      live_->check();
    }
  }
  testing::TempDir dir_;
  config::Config cfg_ = site();
  testing::FakeClock clock_;
  Sink sink_;
  std::unique_ptr<Liveness> live_;
};

TEST_F(LivenessTest, EachSourceHasItsOwnLimitAndWhistlesOnceThenClosesWhenItSpeaks) {
  start();
  run(29s);
  live_->seen("door-1");
  run(2s);
  ASSERT_EQ(sink_.raised.size(), 1u);  // the camera, after 30 s
  EXPECT_EQ(sink_.raised[0].source, "cam-1");
  EXPECT_EQ(sink_.raised[0].details["kind"], "camera");
  EXPECT_EQ(sink_.raised[0].details["offline_after_s"], 30);
  run(10min);
  ASSERT_EQ(sink_.raised.size(), 2u);  // door-1, 10 min after it last spoke
  EXPECT_EQ(sink_.raised[1].source, "door-1");
  EXPECT_EQ(sink_.raised[1].zone, "lobby");
  EXPECT_EQ(sink_.raised[1].incident_key, "device_offline:door-1");
  EXPECT_EQ(sink_.raised[1].details["heartbeat_s"], 600);
  run(1h);
  ASSERT_EQ(sink_.raised.size(), 3u);  // socket-1, by rules.heartbeat.sensor
  EXPECT_EQ(sink_.raised[2].source, "socket-1");
  live_->seen("door-1");
  live_->seen("door-1");
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"device_offline:door-1"});
  EXPECT_EQ(live_->health()["offline"].size(), 2u);
}

TEST_F(LivenessTest, ARestartRemembersWhoWasSilentAndForHowLong) {
  start();
  run(40s);  // cam-1 offline
  live_->seen("door-1");
  live_->persist();
  live_.reset();
  clock_.advance(9min);  // the daemon was down
  start();
  run(61s);
  ASSERT_EQ(sink_.raised.size(), 2u);  // cam-1 before, door-1 now: not 10 min counted from the restart
  EXPECT_EQ(sink_.raised[1].source, "door-1");
  live_->seen("cam-1");  // offline before the restart: closed now
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"device_offline:cam-1"});
}

TEST_F(LivenessTest, AWallClockSetBackNeverMakesASourceSeenInTheFuture) {
  start();
  live_->seen("door-1");
  live_->persist();
  live_.reset();
  clock_.wall -= 48h;
  start();
  run(9min);
  EXPECT_TRUE(sink_.raised.empty() || sink_.raised[0].source == "cam-1");
  for (const auto& i : sink_.raised) EXPECT_NE(i.source, "door-1");
  run(2min);
  bool door = false;
  for (const auto& i : sink_.raised) door |= i.source == "door-1";
  EXPECT_TRUE(door);
}

TEST_F(LivenessTest, ADamagedStateFileCountsEverySourceFromNow) {
  dir_.write("liveness.json", "{not json");
  start();
  run(9min);
  for (const auto& i : sink_.raised) EXPECT_NE(i.source, "door-1");
}

}  // namespace
}  // namespace shaobing
