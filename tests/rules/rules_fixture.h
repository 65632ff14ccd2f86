// What the rule tests share: a fake clock at 2026-11-22 08:00 UTC, a sink that
// records what the rules raise and clear, one site configuration with every
// rule's settings, and a fixture running the whole engine (registry included).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "gateway/rules/charging_load/sim.h"
#include "gateway/rules/engine.h"
#include "gateway/rules/rule.h"
#include "tests/support/fake_clock.h"

namespace shaobing::rules::test {

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

inline config::Config makeConfig() {
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
    owners: [{tag: EB-7, person: r-0101, credentials: [card-77]}, {tag: EB-9, credentials: [card-99]}]
  heartbeat: {access: 0, sensor: 0, camera: 0}
  ebike_zones: {elevator: [lift-3], corridor: [corridor-3]}
)");
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  return *r.config;
}

inline Event ev(EventKind k, const std::string& device) {
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


// Power readings as the socket sends them: the reading's own time in `at`.
inline void feedPower(RuleEngine& engine, FakeClock& clock, const std::string& device,
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

inline Event leftShed(SystemTime at) {
  Event e = ev(EventKind::kVehicleLeftZone, "cam-shed");
  e.zone = "shed";
  e.object = "ebike";
  e.at = at;
  return e;
}

inline Event smoke(const std::string& device, bool alarm) {
  Event e = ev(EventKind::kSmokeAlarm, device);
  e.state = alarm;
  return e;
}

inline Event water(const std::string& meter, double litres, bool cumulative) {
  Event e = ev(EventKind::kWater, meter);
  e.value = litres;
  e.state = cumulative;
  return e;
}

}  // namespace shaobing::rules::test
