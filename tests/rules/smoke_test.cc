// Smoke alarms: emergency, folding, closing, charging loads nearby.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, SmokeAlarmIsAnEmergencyFoldedWhileItLastsAndClearedWhenTheDetectorSaysSo) {
  engine_->onEvent(smoke("smoke-9", true));
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"smoke_alarm"});
  const whistle::Incident& inc = sink_.raised[0];
  ASSERT_TRUE(inc.level.has_value());
  EXPECT_EQ(*inc.level, whistle::Level::kEmergency);
  EXPECT_EQ(inc.incident_key, "smoke:smoke-9");
  EXPECT_EQ(inc.details["building"], "9");
  EXPECT_FALSE(inc.details.contains("charging_nearby"));
  clock_.advance(20s);
  engine_->onEvent(smoke("smoke-9", true));  // the detector repeats itself
  EXPECT_EQ(sink_.count("smoke_alarm"), 1u);
  engine_->onEvent(smoke("smoke-9", false));
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"smoke:smoke-9"});
  engine_->onEvent(smoke("smoke-9", false));  // no alarm again: nothing more to clear
  EXPECT_EQ(sink_.cleared.size(), 1u);
  clock_.advance(30s);  // well within the cooldown: a new fire is still whistled
  engine_->onEvent(smoke("smoke-9", true));
  EXPECT_EQ(sink_.count("smoke_alarm"), 2u);
  EXPECT_EQ(engine_->health()["smoke_alarms"], 1);
}

TEST_F(RulesTest, SmokeAlarmNamesAChargingLoadInTheSameZoneOrBuilding) {
  auto trace = powersim::chargerAlone(11, powersim::ChargerSpec{});  // socket-1: zone corridor-3, as smoke-3
  feedPower(*engine_, clock_, "socket-1", trace.readings, clock_.wall, 0, trace.sessions[0].start_s + 20 * 60);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  engine_->onEvent(smoke("smoke-3", true));
  const whistle::Incident* inc = sink_.first("smoke_alarm");
  ASSERT_NE(inc, nullptr);
  ASSERT_TRUE(inc->details.contains("charging_nearby")) << inc->details.dump();
  const auto& near = inc->details["charging_nearby"];
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0]["device"], "socket-1");
  EXPECT_EQ(near[0]["same"], "zone");
  EXPECT_NEAR(near[0]["watts"].get<double>(), trace.sessions[0].cc_watts, 30);
  EXPECT_GE(near[0]["charging_s"].get<double>(), 8 * 60);
}

TEST_F(RulesTest, AnAlarmStillOpenAtRestartIsClearedByTheNextReading) {
  engine_->onEvent(smoke("smoke-9", true));
  restart();
  engine_->onEvent(smoke("smoke-9", false));
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"smoke:smoke-9"});
}

}  // namespace
}  // namespace shaobing::rules::test
