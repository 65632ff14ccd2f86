// Incident rules, driven by a fake clock: each rule fires when it should,
// folds repeats, clears, survives restarts and ignores wall-clock jumps.
#include "gateway/rules/engine.h"

#include "tests/support/fake_clock.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

namespace shaobing::rules {
namespace {

using drivers::Event;
using drivers::EventKind;
using namespace std::chrono_literals;

// 2026-11-22 08:00 UTC: the rules' local-time tests run with TZ=UTC.
class FakeClock : public testing::FakeClock {
 public:
  FakeClock() : testing::FakeClock(fromUnixMillis(1795334400000)) {}
};

class RecordingSink : public whistle::IncidentSink {
 public:
  whistle::RaiseResult raise(whistle::Incident inc) override {
    raised.push_back(inc);
    return {true, false, "id-" + std::to_string(raised.size()), ""};
  }
  void clear(const std::string& key, const std::string&) override { cleared.push_back(key); }
  std::vector<whistle::Incident> raised;
  std::vector<std::string> cleared;
  size_t count(const std::string& type) const {
    size_t n = 0;
    for (const auto& i : raised) n += i.type == type ? 1 : 0;
    return n;
  }
  const whistle::Incident* first(const std::string& type) const {
    for (const auto& i : raised) {
      if (i.type == type) return &i;
    }
    return nullptr;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> t;
    for (const auto& i : raised) t.push_back(i.type);
    return t;
  }
};

config::Config makeConfig() {
  auto r = config::loadConfigString(R"(
site: {id: s1, default_grid: g-01}
devices:
  - {id: door-1, kind: access, zone: lobby, location: {building: "3"}, heartbeat: 10m}
  - {id: door-2, kind: access, location: {building: "3"}, heartbeat: 0}
  - {id: roof, kind: access, heartbeat: 0}
  - {id: gate-shed, kind: access, heartbeat: 0}
  - {id: socket-1, kind: sensor, zone: corridor-3, heartbeat: 0}
  - {id: cam-shed, kind: camera, heartbeat: 0}
  - {id: smoke-3, kind: sensor, zone: corridor-3, location: {building: "3"}, heartbeat: 0}
  - {id: smoke-9, kind: sensor, zone: hall-9, location: {building: "9"}, heartbeat: 0}
  - {id: cam-lift, kind: camera, zone: lift-3, heartbeat: 0}
rules:
  cooldown: 10m
  door_held_open: 2m
  stranger_repeated: {attempts: 3, window: 10m}
  restricted: [{device: roof, allowed: "07:00-19:00"}]
  resident_inactive: {after: 36h, residents: [{id: r-0101, name: 张阿姨, grid: g-03}]}
  charging_load: {no_charging_zones: [corridor-3], min_w: 60, max_w: 800, duration: 10m}
  ebike_theft: {shed_zones: [shed], gates: [gate-shed], night: "22:00-06:00", window: 2m}
  heartbeat: {access: 0, sensor: 0, camera: 0}
  ebike_zones: {elevator: [lift-3], corridor: [corridor-3]}
)");
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  return *r.config;
}

Event ev(EventKind k, const std::string& device) {
  Event e;
  e.kind = k;
  e.device = device;
  return e;
}

class RulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    engine_ = createRuleEngine(cfg_, sink_, clock_, store_);
  }
  void restart() { engine_ = createRuleEngine(cfg_, sink_, clock_, store_); }
  void tickFor(std::chrono::seconds total) {
    for (auto t = 0s; t < total; t += 1s) {
      clock_.advance(1s);
      engine_->tick();
    }
  }

  config::Config cfg_ = makeConfig();
  FakeClock clock_;
  RecordingSink sink_;
  MemoryStateStore store_;
  std::unique_ptr<RuleEngine> engine_;
};

TEST_F(RulesTest, DoorForcedRaisesOnceAndFoldsRepeatsWithinTheCooldown) {
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  clock_.advance(30s);
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"door_forced"});
  EXPECT_EQ(sink_.raised[0].source, "door-1");
  EXPECT_EQ(sink_.raised[0].incident_key, "door_forced:door-1");
  clock_.advance(11min);
  engine_->onEvent(ev(EventKind::kDoorForced, "door-1"));
  EXPECT_EQ(sink_.raised.size(), 2u);
}

TEST_F(RulesTest, DoorHeldOpenFiresOnlyAfterTheThreshold) {
  engine_->onEvent(ev(EventKind::kDoorOpened, "door-2"));
  tickFor(119s);
  EXPECT_TRUE(sink_.raised.empty());
  tickFor(2s);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"door_held_open"});
}

TEST_F(RulesTest, ADoorClosedInTimeRaisesNothing) {
  engine_->onEvent(ev(EventKind::kDoorOpened, "door-2"));
  tickFor(60s);
  engine_->onEvent(ev(EventKind::kDoorClosed, "door-2"));
  tickFor(200s);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, TamperRaisesAPriorityWhistle) {
  engine_->onEvent(ev(EventKind::kTamper, "door-1"));
  ASSERT_EQ(sink_.raised.size(), 1u);
  EXPECT_EQ(sink_.raised[0].type, "device_tamper");
  EXPECT_EQ(sink_.raised[0].level, whistle::Level::kPriority);
}

TEST_F(RulesTest, StrangerRepeatedNeedsKAttemptsWithinTheWindow) {
  Event denied = ev(EventKind::kAccessDenied, "door-1");
  denied.person_type = "unknown";
  denied.method = "face";
  engine_->onEvent(denied);
  clock_.advance(11min);  // the first attempt falls out of the window
  engine_->onEvent(denied);
  engine_->onEvent(denied);
  EXPECT_TRUE(sink_.raised.empty());
  engine_->onEvent(denied);
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"stranger_repeated"});
  EXPECT_EQ(sink_.raised[0].details["attempts"], 3);
}

TEST_F(RulesTest, StrangersAreAlsoCountedAcrossDoorsOfOneBuilding) {
  Event d1 = ev(EventKind::kAccessDenied, "door-1");
  d1.person_type = "unknown";
  Event d2 = d1;
  d2.device = "door-2";
  engine_->onEvent(d1);
  engine_->onEvent(d2);
  engine_->onEvent(d1);
  ASSERT_EQ(sink_.raised.size(), 1u);
  EXPECT_EQ(sink_.raised[0].incident_key, "stranger:building:3");
}

TEST_F(RulesTest, ResidentsAndVisitorsDeniedAreNotStrangers) {
  Event denied = ev(EventKind::kAccessDenied, "door-1");
  denied.person_type = "resident";
  for (int i = 0; i < 5; ++i) engine_->onEvent(denied);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, TailgatingWhenMorePeoplePassThanWereGranted) {
  Event grant = ev(EventKind::kAccessGranted, "door-1");
  grant.method = "card";
  grant.person_type = "resident";
  engine_->onEvent(grant);
  Event passage = ev(EventKind::kPassage, "door-1");
  passage.count = 1;
  engine_->onEvent(passage);
  EXPECT_TRUE(sink_.raised.empty());
  engine_->onEvent(grant);
  passage.count = 3;
  engine_->onEvent(passage);
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"tailgating"});
  EXPECT_EQ(sink_.raised[0].details["people"], 3);
  EXPECT_EQ(sink_.raised[0].details["granted"], 1);
}

TEST_F(RulesTest, RestrictedDoorOutsideAllowedHours) {
  Event open = ev(EventKind::kDoorOpened, "roof");
  open.at = fromUnixMillis(1795334400000);  // 08:00 UTC: allowed
  engine_->onEvent(open);
  EXPECT_TRUE(sink_.raised.empty());
  open.at = fromUnixMillis(1795334400000 + 14 * 3600 * 1000LL);  // 22:00: not allowed
  engine_->onEvent(open);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"restricted_after_hours"});
}

TEST_F(RulesTest, ResidentInactiveAfterThirtySixHoursThenClearsWhenSeen) {
  clock_.advance(35h);
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 0u);
  clock_.advance(2h);
  engine_->tick();
  ASSERT_EQ(sink_.count("resident_inactive"), 1u);
  EXPECT_EQ(sink_.first("resident_inactive")->grid, "g-03");
  EXPECT_EQ(sink_.first("resident_inactive")->details["resident_id"], "r-0101");
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 1u);  // once, not every tick

  Event seen = ev(EventKind::kAccessGranted, "door-1");
  seen.person_type = "resident";
  seen.person_id = "r-0101";
  engine_->onEvent(seen);
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), "resident_inactive:r-0101"),
            sink_.cleared.end());
}

TEST_F(RulesTest, ResidentInactivitySurvivesARestart) {
  clock_.advance(20h);
  restart();  // the last-seen time comes back from the store
  clock_.advance(17h);
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 1u);
}

TEST_F(RulesTest, AWallClockJumpForwardDoesNotMakeAResidentInactive) {
  clock_.wall += 72h;  // NTP or RTC correction; no real time passed
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 0u);
}

TEST_F(RulesTest, AWallClockSetBackAcrossARestartCountsNoNegativeTime) {
  clock_.advance(10h);
  clock_.wall -= 48h;
  restart();
  clock_.advance(27h);
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 0u);  // counted from the restart, not from a "future" sighting
  clock_.advance(10h);
  engine_->tick();
  EXPECT_EQ(sink_.count("resident_inactive"), 1u);
}

TEST_F(RulesTest, DeviceOfflinePastItsHeartbeatThenClearedWhenBack) {
  tickFor(601s);
  ASSERT_EQ(sink_.types(), std::vector<std::string>{"device_offline"});
  EXPECT_EQ(sink_.raised[0].source, "door-1");
  tickFor(60s);
  EXPECT_EQ(sink_.raised.size(), 1u);
  engine_->onEvent(ev(EventKind::kHeartbeat, "door-1"));
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"device_offline:door-1"});
}

TEST_F(RulesTest, ChargingLoadSustainedInANoChargingZone) {
  Event p = ev(EventKind::kPower, "socket-1");
  p.value = 180;
  engine_->onEvent(p);
  tickFor(9min);
  EXPECT_EQ(sink_.count("charging_load_detected"), 0u);
  engine_->onEvent(p);
  tickFor(61s);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  EXPECT_EQ(sink_.first("charging_load_detected")->level, whistle::Level::kPriority);
  p.value = 2;
  engine_->onEvent(p);
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), "charging:socket-1"),
            sink_.cleared.end());
}

TEST_F(RulesTest, AShortOrOutOfBandLoadIsNotCharging) {
  Event p = ev(EventKind::kPower, "socket-1");
  p.value = 1500;  // a kettle
  engine_->onEvent(p);
  tickFor(15min);
  p.value = 200;
  engine_->onEvent(p);
  tickFor(5min);
  p.value = 0;
  engine_->onEvent(p);
  tickFor(10min);
  EXPECT_EQ(sink_.count("charging_load_detected"), 0u);
}

Event leftShed(SystemTime at) {
  Event e = ev(EventKind::kVehicleLeftZone, "cam-shed");
  e.zone = "shed";
  e.object = "ebike";
  e.at = at;
  return e;
}

TEST_F(RulesTest, EbikeLeavingTheShedAtNightWithoutACredentialIsSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL)));  // 02:00
  tickFor(119s);
  EXPECT_TRUE(sink_.raised.empty());  // waits for a credential shortly after
  tickFor(2s);
  EXPECT_EQ(sink_.types(), std::vector<std::string>{"ebike_theft_suspected"});
}

TEST_F(RulesTest, EbikeLeavingWithAGrantAtTheGateIsNotSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL)));
  clock_.advance(30s);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.method = "card";
  grant.person_type = "resident";
  engine_->onEvent(grant);
  tickFor(3min);
  EXPECT_TRUE(sink_.raised.empty());
}

TEST_F(RulesTest, EbikeLeavingByDayIsNotSuspected) {
  engine_->onEvent(leftShed(fromUnixMillis(1795334400000)));  // 08:00
  tickFor(3min);
  EXPECT_TRUE(sink_.raised.empty());
}

Event smoke(const std::string& device, bool alarm) {
  Event e = ev(EventKind::kSmokeAlarm, device);
  e.state = alarm;
  return e;
}

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
  Event p = ev(EventKind::kPower, "socket-1");  // zone corridor-3, as smoke-3
  p.value = 240;
  engine_->onEvent(p);
  tickFor(601s);
  ASSERT_EQ(sink_.count("charging_load_detected"), 1u);
  engine_->onEvent(smoke("smoke-3", true));
  const whistle::Incident* inc = sink_.first("smoke_alarm");
  ASSERT_NE(inc, nullptr);
  ASSERT_TRUE(inc->details.contains("charging_nearby")) << inc->details.dump();
  const auto& near = inc->details["charging_nearby"];
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0]["device"], "socket-1");
  EXPECT_EQ(near[0]["same"], "zone");
  EXPECT_EQ(near[0]["watts"], 240);
  EXPECT_GE(near[0]["charging_s"].get<double>(), 600);
}

TEST_F(RulesTest, AnAlarmStillOpenAtRestartIsClearedByTheNextReading) {
  engine_->onEvent(smoke("smoke-9", true));
  restart();
  engine_->onEvent(smoke("smoke-9", false));
  EXPECT_EQ(sink_.cleared, std::vector<std::string>{"smoke:smoke-9"});
}

TEST_F(RulesTest, EbikeSeenInAnElevatorOrCorridorZoneIsAnIncidentElsewhereNot) {
  Event lift = ev(EventKind::kEbikeDetected, "cam-lift");  // the camera's zone: lift-3
  engine_->onEvent(lift);
  Event corridor = ev(EventKind::kEbikeDetected, "cam-shed");
  corridor.zone = "corridor-3";
  engine_->onEvent(corridor);
  Event shed = ev(EventKind::kEbikeDetected, "cam-shed");
  shed.zone = "shed";
  engine_->onEvent(shed);
  EXPECT_EQ(sink_.types(), (std::vector<std::string>{"ebike_in_elevator", "ebike_in_corridor"}));
  EXPECT_EQ(sink_.raised[0].details["zone"], "lift-3");
  EXPECT_EQ(sink_.raised[1].source, "cam-shed");
  EXPECT_EQ(engine_->health()["ebikes_seen_elsewhere"], 1);
}

}  // namespace
}  // namespace shaobing::rules
