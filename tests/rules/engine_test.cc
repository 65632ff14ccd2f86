// Incident rules, driven by a fake clock: each rule fires when it should,
// folds repeats, clears, survives restarts and ignores wall-clock jumps.
#include "gateway/rules/engine.h"

#include "gateway/rules/charging_load/sim.h"
#include "gateway/rules/rule.h"
#include "tests/support/fake_clock.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

namespace shaobing::rules {
namespace {

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
  size_t countKey(const std::string& key) const {
    size_t n = 0;
    for (const auto& i : raised) n += i.incident_key == key ? 1 : 0;
    return n;
  }
  const whistle::Incident* firstKey(const std::string& key) const {
    for (const auto& i : raised) {
      if (i.incident_key == key) return &i;
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
  registerRules();  // as shaobingd does before loading: `rules:` holds each rule's keys
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
  - {id: water-0101, kind: sensor, role: water_meter, heartbeat: 0}
  - {id: contact-0101, kind: sensor, role: door_contact, heartbeat: 0}
  - {id: water-0202, kind: sensor, role: water_meter, heartbeat: 0}
rules:
  cooldown: 10m
  door_held_open: 2m
  stranger_repeated: {attempts: 3, window: 10m}
  restricted: [{device: roof, allowed: "07:00-19:00"}]
  resident_inactive: {after: 36h, residents: [{id: r-0101, name: 张阿姨, grid: g-03}]}
  welfare:
    residents:
      - id: r-0201
        name: 李伯
        grid: g-04
        signals:
          - {water: water-0101, under_l: 8, within: 24h}
          - {door: contact-0101, within: 24h}
      - id: r-0202
        when: any
        quiet_hours: "22:00-07:00"
        signals:
          - {water: water-0202, under_l: 10, within: 12h}
          - {access: any, within: 36h}
  charging_load: {no_charging_zones: [corridor-3]}
  ebike_theft:
    shed_zones: [shed]
    gates: [gate-shed]
    night: "22:00-06:00"
    window: 2m
    owners: [{tag: EB-7, person: r-0101, credentials: [card-77]}]
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
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);
  clock_.advance(2h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
  EXPECT_EQ(sink_.firstKey("resident_inactive:r-0101")->grid, "g-03");
  EXPECT_EQ(sink_.firstKey("resident_inactive:r-0101")->details["resident_id"], "r-0101");
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);  // once, not every tick

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
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
}

TEST_F(RulesTest, AWallClockJumpForwardDoesNotMakeAResidentInactive) {
  clock_.wall += 72h;  // NTP or RTC correction; no real time passed
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);
}

TEST_F(RulesTest, AWallClockSetBackAcrossARestartCountsNoNegativeTime) {
  clock_.advance(10h);
  clock_.wall -= 48h;
  restart();
  clock_.advance(27h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 0u);  // counted from the restart, not from a "future" sighting
  clock_.advance(10h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0101"), 1u);
}

// Power readings as the socket sends them: the reading's own time in `at`.
void feedPower(RuleEngine& engine, FakeClock& clock, const std::string& device,
               const std::vector<powersim::Reading>& readings, SystemTime origin, double from_s, double to_s) {
  for (const auto& r : readings) {
    if (r.t_s < from_s || r.t_s >= to_s) continue;
    const SystemTime at = origin + std::chrono::milliseconds(static_cast<int64_t>(r.t_s * 1000));
    if (at > clock.wall) clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(at - clock.wall));
    Event p = ev(EventKind::kPower, device);
    p.value = r.watts;
    p.at = at;
    engine.onEvent(p);
    engine.tick();
  }
}

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

// ---- welfare -------------------------------------------------------------

Event water(const std::string& meter, double litres, bool cumulative) {
  Event e = ev(EventKind::kWater, meter);
  e.value = litres;
  e.state = cumulative;
  return e;
}

TEST_F(RulesTest, WelfareWhistlesWhenWaterAndDoorStaySilentThenClosesOnTheNextSignOfLife) {
  // r-0201: under 8 L of water in 24 h and no door opened in 24 h, both (when: all).
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 1000, true));  // the meter's total: the base
  clock_.advance(6h);
  engine_->onEvent(water("water-0101", 1005, true));  // 5 L: too little to count as life
  clock_.advance(17h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);  // not yet watched for a whole window
  clock_.advance(1h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  const whistle::Incident& inc = *sink_.firstKey(key);
  EXPECT_EQ(inc.type, "resident_inactive");
  EXPECT_EQ(inc.grid, "g-04");
  EXPECT_EQ(inc.level, whistle::Level::kPriority);
  EXPECT_EQ(inc.details["name"], "李伯");
  EXPECT_EQ(inc.details["when"], "all");
  ASSERT_EQ(inc.details["signals"].size(), 2u);
  EXPECT_EQ(inc.details["signals"][0]["signal"], "water");
  EXPECT_EQ(inc.details["signals"][0]["device"], "water-0101");
  EXPECT_EQ(inc.details["signals"][0]["observed"], 5);
  EXPECT_EQ(inc.details["signals"][1]["signal"], "door");
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 1u);  // once, not every tick
  Event opened = ev(EventKind::kContact, "contact-0101");
  opened.state = true;
  engine_->onEvent(opened);
  EXPECT_NE(std::find(sink_.cleared.begin(), sink_.cleared.end(), key), sink_.cleared.end());
}

TEST_F(RulesTest, WelfareWithAllSignalsNeedsEveryOneSilent) {
  clock_.advance(23h);
  Event opened = ev(EventKind::kContact, "contact-0101");
  opened.state = true;
  engine_->onEvent(opened);  // the door was opened: one signal shows life
  clock_.advance(2h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey("resident_inactive:r-0201"), 0u);
}

TEST_F(RulesTest, WelfareWithAnySignalWhistlesWhenOneIsSilent) {
  // r-0202: under 10 L in 12 h, or no access in 36 h (when: any), quiet 22:00-07:00.
  const std::string key = "resident_inactive:r-0202";
  engine_->onEvent(water("water-0202", 3, false));  // 3 L used (an interval reading)
  clock_.advance(11h);                               // 19:00
  Event grant = ev(EventKind::kAccessGranted, "door-1");
  grant.person_id = "r-0202";
  engine_->onEvent(grant);
  clock_.advance(2h);                                // 21:00: 12 h with 3 L
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["silent"], true);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][1]["silent"], false);
  engine_->onEvent(water("water-0202", 20, false));
  EXPECT_EQ(sink_.cleared.back(), key);
}

TEST_F(RulesTest, WelfareQuietHoursHoldTheWhistleUntilTheyEnd) {
  const std::string key = "resident_inactive:r-0202";
  clock_.advance(15h);  // 23:00: watched for 15 h, water silent for 12 h
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);
  clock_.advance(7h);  // 06:00: still quiet hours
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);
  clock_.advance(1h);  // 07:00
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 1u);
}

TEST_F(RulesTest, WelfareKeepsWhatItSawAcrossARestart) {
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 2000, true));
  clock_.advance(1h);
  engine_->onEvent(water("water-0101", 2009, true));  // 9 L: life
  clock_.advance(10h);
  restart();  // the 9 L and the meter's last total come back from the store
  engine_->onEvent(water("water-0101", 2010, true));  // 1 L more, not 2010
  clock_.advance(12h);
  engine_->tick();
  EXPECT_EQ(sink_.countKey(key), 0u);  // 22 h since the 9 L: still within 24 h
  clock_.advance(2h + 1min);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["observed"], 1);
}

TEST_F(RulesTest, AWaterMeterThatStartsAgainFromZeroIsANewMeterNotLife) {
  const std::string key = "resident_inactive:r-0201";
  engine_->onEvent(water("water-0101", 3000, true));
  clock_.advance(1h);
  engine_->onEvent(water("water-0101", 2, true));  // replaced or reset
  clock_.advance(24h);
  engine_->tick();
  ASSERT_EQ(sink_.countKey(key), 1u);
  EXPECT_EQ(sink_.firstKey(key)->details["signals"][0]["observed"], 0);
}

// ---- e-bike theft with tags and owners -------------------------------------------

TEST_F(RulesTest, ATaggedEbikeRiddenOutWithSomeoneElsesCardIsSuspected) {
  Event left = leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL));  // 02:00
  left.tag = "EB-7";
  engine_->onEvent(left);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.person_id = "r-0999";
  grant.credential = "card-12";
  clock_.advance(20s);
  engine_->onEvent(grant);
  tickFor(2min);
  ASSERT_EQ(sink_.count("ebike_theft_suspected"), 1u);
  const auto& d = sink_.first("ebike_theft_suspected")->details;
  EXPECT_EQ(d["reason"], "not_owner");
  EXPECT_EQ(d["tag"], "EB-7");
  EXPECT_EQ(d["owner"], "r-0101");
  EXPECT_EQ(d["grants_near"][0]["person_id"], "r-0999");
  EXPECT_EQ(d["window"]["from"], "2026-11-23T01:58:00.000Z");
  EXPECT_EQ(d["window"]["to"], "2026-11-23T02:02:00.000Z");
}

TEST_F(RulesTest, ATaggedEbikeRiddenOutByItsOwnerIsNotSuspected) {
  Event left = leftShed(fromUnixMillis(1795334400000 + 18 * 3600 * 1000LL));
  left.tag = "EB-7";
  engine_->onEvent(left);
  Event grant = ev(EventKind::kAccessGranted, "gate-shed");
  grant.credential = "card-77";  // the owner's card, no person id in this controller's events
  clock_.advance(30s);
  engine_->onEvent(grant);
  tickFor(3min);
  EXPECT_EQ(sink_.count("ebike_theft_suspected"), 0u);
}

TEST_F(RulesTest, WelfareAndTheftKeysAreCheckedInTheConfig) {
  auto r = config::loadConfigString(R"(
site: {id: s1}
devices: [{id: w1, kind: sensor}]
rules:
  welfare:
    residents:
      - id: a
        signals: [{water: nope, within: 24h}, {door: w1, access: any}]
  ebike_theft: {owners: [{tag: T1}]}
  charging_load: {min_w: 300, max_w: 200, night_level: loud}
)");
  ASSERT_FALSE(r.ok());
  const std::string all = ::testing::PrintToString(r.messages());
  EXPECT_NE(all.find("unknown device 'nope'"), std::string::npos) << all;
  EXPECT_NE(all.find("exactly one of water"), std::string::npos) << all;
  EXPECT_NE(all.find("name the owner"), std::string::npos) << all;
  EXPECT_NE(all.find("must be greater than min_w"), std::string::npos) << all;
  EXPECT_NE(all.find("night_level"), std::string::npos) << all;
}

// ---- people's reports ---------------------------------------------------------

TEST_F(RulesTest, AReportBecomesAWhistleAtItsLevelWithItsPhotoAndFoldsWhenResent) {
  Event e = ev(EventKind::kReport, "resident-42");  // a reporter, not a configured device
  Report r;
  r.level = "emergency";
  r.text = "smoke from 1102";
  r.report_id = "app-9";
  r.building = "11";
  r.floor = 11;
  r.photo_jpeg = std::string("\xFF\xD8\xFF", 3);
  e.report = r;
  engine_->onEvent(e);
  ASSERT_EQ(sink_.count("reported_hazard"), 1u);
  const whistle::Incident& inc = *sink_.first("reported_hazard");
  EXPECT_EQ(inc.level, whistle::Level::kEmergency);
  EXPECT_EQ(inc.source, "resident-42");
  EXPECT_EQ(inc.incident_key, "report:resident-42:app-9");
  EXPECT_EQ(inc.location.floor, 11);
  EXPECT_EQ(inc.details["text"], "smoke from 1102");
  ASSERT_EQ(inc.evidence.size(), 1u);
  EXPECT_EQ(inc.evidence[0].kind, "photo");
  EXPECT_EQ(engine_->health()["reports"], 1);
}

}  // namespace
}  // namespace shaobing::rules
