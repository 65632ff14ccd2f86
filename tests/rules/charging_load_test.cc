// E-bike charging by load signature through the engine: readings timed by
// their own ts, day and night levels, closing, restarts.
#include "tests/rules/rules_fixture.h"

namespace shaobing::rules::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RulesTest, AnEbikeChargerOnASocketIsRecognisedWithinFifteenMinutesAndClosedWhenUnplugged) {
  powersim::ChargerSpec spec;  // 48 V pack at 3 A from 30 %, a reading every 10 s
  auto trace = powersim::chargerAlone(7, spec);
  const SystemTime origin = clock_.wall;  // 08:00: by day
  const double plug = trace.sessions[0].start_s;
  feedPower(*engine_, clock_, "socket-1", trace.readings, origin, 0, plug + 15 * 60);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  const whistle::Incident& inc = *sink_.first("charging_load_detected");
  EXPECT_EQ(inc.level, whistle::Level::kPriority);
  EXPECT_EQ(inc.incident_key, "charging:socket-1");
  EXPECT_EQ(inc.details["phase"], "constant_current");
  EXPECT_EQ(inc.details["role"], "socket");
  EXPECT_NEAR(inc.details["watts"].get<double>(), trace.sessions[0].cc_watts, 25);
  EXPECT_LE(inc.details["after_s"].get<double>(), 15 * 60);
  EXPECT_EQ(inc.details["started_at"], formatRfc3339(origin + std::chrono::seconds(static_cast<int>(plug))));
  EXPECT_EQ(engine_->health()["charging"]["open"], 1);
  feedPower(*engine_, clock_, "socket-1", trace.readings, origin, plug + 15 * 60, plug + 40 * 60);
  EXPECT_EQ(sink_.count("charging_load_detected"), 1u);  // one incident while it charges
  // Unplugged: the power drops to nothing.
  for (int i = 0; i < 6; ++i) {
    clock_.advance(10s);
    Event p = ev(EventKind::kPower, "socket-1");
    p.at = clock_.wall;
    engine_->onEvent(p);
  }
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), "charging:socket-1"), sink_.cleared.end());
  EXPECT_EQ(engine_->health()["charging"]["open"], 0);
}

TEST_F(RulesTest, ChargingAtNightIsAnEmergency) {
  clock_.advance(14h);  // 22:00
  auto trace = powersim::chargerAlone(8, powersim::ChargerSpec{});
  feedPower(*engine_, clock_, "socket-1", trace.readings, clock_.wall, 0, trace.sessions[0].start_s + 15 * 60);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  EXPECT_EQ(sink_.first("charging_load_detected")->level, whistle::Level::kEmergency);
  EXPECT_EQ(sink_.first("charging_load_detected")->details["night"], true);
}

TEST_F(RulesTest, KettlesAndCyclingCompressorsAreNotCharging) {
  std::vector<powersim::Reading> r;
  double t = 0;
  auto level = [&](double watts, double seconds, double decay_from = 0) {
    for (double u = 0; u < seconds; u += 10, t += 10) {
      r.push_back({t, watts * (1 + decay_from * std::exp(-u / 120))});
    }
  };
  level(0, 600);
  for (int cycle = 0; cycle < 8; ++cycle) {  // a fridge: 20 min on, settling after its start; 30 min off
    level(130, 20 * 60, 0.3);
    level(0, 30 * 60);
  }
  level(2000, 180);  // a kettle
  level(0, 600);
  feedPower(*engine_, clock_, "socket-1", r, clock_.wall, 0, 1e9);
  EXPECT_EQ(sink_.count("charging_load_detected"), 0u);
  EXPECT_GT(engine_->health()["charging"]["readings"].get<long>(), 2000);
}

TEST_F(RulesTest, ASocketOutsideTheNoChargingZonesIsNotWatched) {
  auto trace = powersim::chargerAlone(9, powersim::ChargerSpec{});
  feedPower(*engine_, clock_, "smoke-9", trace.readings, clock_.wall, 0, trace.sessions[0].start_s + 20 * 60);
  EXPECT_EQ(sink_.count("charging_load_detected"), 0u);
}

TEST_F(RulesTest, AChargingIncidentOpenAtRestartIsClosedWhenTheSocketGoesQuiet) {
  auto trace = powersim::chargerAlone(10, powersim::ChargerSpec{});
  feedPower(*engine_, clock_, "socket-1", trace.readings, clock_.wall, 0, trace.sessions[0].start_s + 15 * 60);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  restart();
  Event p = ev(EventKind::kPower, "socket-1");
  p.value = 180;
  engine_->onEvent(p);
  EXPECT_TRUE(sink_.cleared.empty());
  p.value = 1;
  engine_->onEvent(p);
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"charging:socket-1"});
}

}  // namespace
}  // namespace shaobing::rules::test
