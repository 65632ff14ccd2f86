// The rule engine; see engine.h.
#include "gateway/rules/engine.h"

#include <algorithm>
#include <ctime>
#include <deque>
#include <map>
#include <set>

#include "gateway/core/log.h"

namespace shaobing::rules {

namespace {

using drivers::Event;
using drivers::EventKind;
using std::chrono::duration;
using whistle::Incident;
using whistle::Level;

double secondsBetween(SteadyTime a, SteadyTime b) { return duration<double>(b - a).count(); }

int minuteOfDay(SystemTime t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&s, &tm);
  return tm.tm_hour * 60 + tm.tm_min;
}

class Engine : public RuleEngine {
 public:
  Engine(const config::Config& cfg, whistle::IncidentSink& sink, Clock& clock, StateStore& store)
      : cfg_(std::shared_ptr<const config::Config>(), &cfg),
        rc_(&cfg.rules),
        sink_(sink),
        clock_(clock),
        store_(store),
        log_(logger("rules")) {
    restore("seen.device.", device_seen_);
    restore("seen.resident.", resident_seen_);
    countFromNow();
    for (const auto& [key, value] : store_.load("offline.")) offline_.insert(key.substr(8));
    for (const auto& [key, value] : store_.load("inactive.")) inactive_.insert(key.substr(9));
    for (const auto& [key, value] : store_.load("smoke.")) smoke_.insert(key.substr(6));
  }

  void reconfigure(std::shared_ptr<const config::Config> next) override {
    cfg_ = std::move(next);
    rc_ = &cfg_->rules;
    countFromNow();
  }

  void onEvent(const Event& e) override {
    ++events_;
    const config::DeviceConfig* dev = cfg_->findDevice(e.device);
    if (dev == nullptr) return;
    markDeviceSeen(*dev);
    switch (e.kind) {
      case EventKind::kDoorForced:
        raise(*dev, "door_forced", "door_forced:" + dev->id, {{"event", "door_forced"}});
        break;
      case EventKind::kDoorHeldOpen:
        if (e.value >= rc_->door_held_open_s || e.value == 0) {
          raise(*dev, "door_held_open", "door_held_open:" + dev->id, {{"held_s", e.value}});
        }
        break;
      case EventKind::kDoorOpened:
        door_open_since_[dev->id] = clock_.steady();
        grants_in_opening_[dev->id] = recentGrants(dev->id);
        checkRestricted(*dev, e);
        break;
      case EventKind::kDoorClosed:
        door_open_since_.erase(dev->id);
        break;
      case EventKind::kTamper:
        raise(*dev, "device_tamper", "tamper:" + dev->id, {{"event", "tamper"}}, Level::kPriority);
        break;
      case EventKind::kAccessGranted:
        grants_[dev->id].push_back(clock_.steady());
        ++grants_in_opening_[dev->id];
        if (!e.person_id.empty()) onPersonSeen(e.person_id);
        checkRestricted(*dev, e);
        break;
      case EventKind::kAccessDenied:
        if (e.person_type == "unknown" || e.person_type == "blocklisted") onStranger(*dev, e);
        break;
      case EventKind::kPassage:
        onPassage(*dev, e);
        break;
      case EventKind::kPower:
        onPower(*dev, e);
        break;
      case EventKind::kVehicleLeftZone:
        onVehicleLeft(*dev, e);
        break;
      case EventKind::kSmokeAlarm:
        onSmoke(*dev, e);
        break;
      case EventKind::kEbikeDetected:
        onEbikeSeen(*dev, e);
        break;
      case EventKind::kHeartbeat:
      case EventKind::kContact:
      case EventKind::kObjectEnteredZone:
        break;  // liveness only (seen above)
    }
  }

  void tick() override {
    SteadyTime now = clock_.steady();
    // Doors open too long without a closed event.
    for (const auto& [id, since] : door_open_since_) {
      if (secondsBetween(since, now) >= rc_->door_held_open_s) {
        if (const auto* dev = cfg_->findDevice(id)) {
          raise(*dev, "door_held_open", "door_held_open:" + id,
                {{"held_s", std::round(secondsBetween(since, now))}});
        }
      }
    }
    // Devices gone silent.
    for (const auto& d : cfg_->devices) {
      double hb = d.heartbeat_s > 0 ? d.heartbeat_s : defaultHeartbeat(d.kind);
      if (hb <= 0 || offline_.count(d.id)) continue;
      auto it = device_seen_.find(d.id);
      if (it != device_seen_.end() && secondsBetween(it->second, now) > hb) {
        offline_.insert(d.id);
        store_.put("offline." + d.id, "1");
        raise(d, "device_offline", "device_offline:" + d.id,
              {{"silent_s", std::round(secondsBetween(it->second, now))}, {"heartbeat_s", hb}});
      }
    }
    // Watched residents who have not passed a door.
    for (const auto& r : rc_->residents) {
      if (inactive_.count(r.id)) continue;
      auto it = resident_seen_.find(r.id);
      if (it == resident_seen_.end()) continue;
      double idle = secondsBetween(it->second, now);
      if (idle > rc_->resident_inactive_s) {
        inactive_.insert(r.id);
        store_.put("inactive." + r.id, "1");
        Incident inc;
        inc.type = "resident_inactive";
        inc.source = "resident:" + r.id;
        inc.grid = r.grid;
        inc.incident_key = "resident_inactive:" + r.id;
        inc.details = {{"resident_id", r.id}, {"name", r.name}, {"idle_h", std::round(idle / 360) / 10}};
        send(std::move(inc));
      }
    }
    // Charging loads sustained long enough.
    for (auto& [id, c] : charging_) {
      if (!c.raised && secondsBetween(c.since, now) >= rc_->charging_duration_s) {
        c.raised = true;
        if (const auto* dev = cfg_->findDevice(id)) {
          raise(*dev, "charging_load_detected", "charging:" + id,
                {{"watts", c.last_w}, {"duration_s", std::round(secondsBetween(c.since, now))}},
                Level::kPriority);
        }
      }
    }
    // Vehicles that left a shed: decide once the window after has passed.
    while (!pending_theft_.empty() &&
           secondsBetween(pending_theft_.front().at, now) >= rc_->theft_window_s) {
      PendingTheft p = pending_theft_.front();
      pending_theft_.pop_front();
      if (!anyGateGrantNear(p.at)) {
        if (const auto* dev = cfg_->findDevice(p.camera)) {
          raise(*dev, "ebike_theft_suspected", "ebike_theft:" + p.camera + ":" + p.zone,
                {{"zone", p.zone}, {"object", p.object}, {"window_s", rc_->theft_window_s}});
        }
      }
    }
  }

  nlohmann::json health() const override {
    return {{"events", events_},
            {"incidents", incidents_},
            {"cooled_down", cooled_},
            {"devices_offline", offline_.size()},
            {"smoke_alarms", smoke_.size()},
            {"ebikes_seen_elsewhere", ebikes_elsewhere_},
            {"residents_inactive", inactive_.size()}};
  }

 private:
  struct Charging {
    SteadyTime since;
    double last_w = 0;
    bool raised = false;
  };
  struct PendingTheft {
    SteadyTime at;
    std::string camera, zone, object;
  };

  // A device or resident never seen counts from now: no alarm for things
  // that were installed while the gateway was down (or added by a reload).
  void countFromNow() {
    for (const auto& d : cfg_->devices) {
      if (!device_seen_.count(d.id)) device_seen_[d.id] = clock_.steady();
    }
    for (const auto& r : rc_->residents) {
      if (!resident_seen_.count(r.id)) markResidentSeen(r.id);
    }
  }

  double defaultHeartbeat(const std::string& kind) const {
    auto it = rc_->heartbeat_default_s.find(kind);
    return it == rc_->heartbeat_default_s.end() ? 0 : it->second;
  }

  void restore(const std::string& prefix, std::map<std::string, SteadyTime>& into) {
    // Persisted as wall-clock ms. Elapsed = wall now - wall then, never
    // negative (a clock set back must not make anyone "seen in the future").
    SystemTime wall = clock_.now();
    SteadyTime steady = clock_.steady();
    for (const auto& [key, value] : store_.load(prefix)) {
      int64_t ms = 0;
      try {
        ms = std::stoll(value);
      } catch (const std::exception&) {
        continue;
      }
      auto elapsed = std::max(std::chrono::milliseconds(0),
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  wall - fromUnixMillis(ms)));
      into[key.substr(prefix.size())] = steady - elapsed;
    }
  }

  void markDeviceSeen(const config::DeviceConfig& dev) {
    device_seen_[dev.id] = clock_.steady();
    persistThrottled("seen.device." + dev.id);
    if (offline_.erase(dev.id)) {
      store_.erase("offline." + dev.id);
      sink_.clear("device_offline:" + dev.id, "device is back");
      log_->info("device {} is back online", dev.id);
    }
  }

  void markResidentSeen(const std::string& id) {
    resident_seen_[id] = clock_.steady();
    store_.put("seen.resident." + id, std::to_string(toUnixMillis(clock_.now())));
  }

  void onPersonSeen(const std::string& person_id) {
    bool watched = std::any_of(rc_->residents.begin(), rc_->residents.end(),
                               [&](const auto& r) { return r.id == person_id; });
    if (!watched) return;
    markResidentSeen(person_id);
    if (inactive_.erase(person_id)) {
      store_.erase("inactive." + person_id);
      sink_.clear("resident_inactive:" + person_id, "resident seen again");
    }
  }

  // Device last-seen times are written at most once a minute per device:
  // a restart loses at most that much precision, not a write per event.
  void persistThrottled(const std::string& key) {
    SteadyTime now = clock_.steady();
    auto it = last_persist_.find(key);
    if (it != last_persist_.end() && secondsBetween(it->second, now) < 60) return;
    last_persist_[key] = now;
    store_.put(key, std::to_string(toUnixMillis(clock_.now())));
  }

  int recentGrants(const std::string& device) {
    auto& q = grants_[device];
    SteadyTime now = clock_.steady();
    while (!q.empty() && secondsBetween(q.front(), now) > rc_->theft_window_s) q.pop_front();
    int n = 0;
    for (const auto& t : q) n += secondsBetween(t, now) <= 15 ? 1 : 0;
    return n;
  }

  bool anyGateGrantNear(SteadyTime at) {
    for (const auto& gate : rc_->shed_gates) {
      for (const auto& t : grants_[gate]) {
        if (std::abs(secondsBetween(t, at)) <= rc_->theft_window_s) return true;
      }
    }
    return false;
  }

  void checkRestricted(const config::DeviceConfig& dev, const Event& e) {
    auto it = rc_->restricted.find(dev.id);
    if (it == rc_->restricted.end()) return;
    int m = minuteOfDay(e.at.value_or(clock_.now()));
    if (it->second.contains(m)) return;
    raise(dev, "restricted_after_hours", "restricted:" + dev.id,
          {{"event", drivers::toString(e.kind)}, {"person_id", e.person_id},
           {"minute_of_day", m}});
  }

  void onStranger(const config::DeviceConfig& dev, const Event& e) {
    SteadyTime now = clock_.steady();
    // Counted per door and per building, whichever reaches K first.
    std::vector<std::string> scopes = {"door:" + dev.id};
    if (!dev.location.building.empty()) scopes.push_back("building:" + dev.location.building);
    const std::string* hit = nullptr;
    size_t attempts = 0;
    for (const auto& scope : scopes) {
      auto& q = strangers_[scope];
      q.push_back(now);
      while (!q.empty() && secondsBetween(q.front(), now) > rc_->stranger_window_s) q.pop_front();
      if (hit == nullptr && static_cast<int>(q.size()) >= rc_->stranger_attempts) {
        hit = &scope;
        attempts = q.size();
      }
    }
    if (hit == nullptr) return;
    // One incident, whichever scope reached K: the attempts counted towards
    // it must not whistle again through the other scope.
    raise(dev, "stranger_repeated", "stranger:" + *hit,
          {{"attempts", attempts}, {"window_s", rc_->stranger_window_s}, {"scope", *hit},
           {"method", e.method}, {"person_type", e.person_type}});
    for (const auto& scope : scopes) strangers_[scope].clear();
  }

  void onPassage(const config::DeviceConfig& dev, const Event& e) {
    int granted = grants_in_opening_.count(dev.id) ? grants_in_opening_[dev.id] : recentGrants(dev.id);
    if (e.count > granted) {
      raise(dev, "tailgating", "tailgating:" + dev.id, {{"people", e.count}, {"granted", granted}});
    }
    grants_in_opening_[dev.id] = 0;
  }

  void onPower(const config::DeviceConfig& dev, const Event& e) {
    bool watched = std::find(rc_->no_charging_zones.begin(), rc_->no_charging_zones.end(),
                             dev.zone) != rc_->no_charging_zones.end();
    if (!watched) return;
    bool charging = e.value >= rc_->charging_min_w && e.value <= rc_->charging_max_w;
    auto it = charging_.find(dev.id);
    if (charging) {
      if (it == charging_.end()) {
        charging_[dev.id] = Charging{clock_.steady(), e.value, false};
      } else {
        it->second.last_w = e.value;
      }
    } else if (it != charging_.end()) {
      if (it->second.raised) sink_.clear("charging:" + dev.id, "load stopped");
      charging_.erase(it);
    }
  }

  // A smoke alarm is an emergency; it is over when the detector says so. What
  // makes it more urgent goes along: a charging load in the same zone or building.
  void onSmoke(const config::DeviceConfig& dev, const Event& e) {
    const std::string key = "smoke:" + dev.id;
    if (!e.state) {
      if (smoke_.erase(dev.id)) {
        store_.erase("smoke." + dev.id);
        last_raised_.erase(key);  // a new alarm whistles at once
        sink_.clear(key, "smoke detector reports no alarm");
      }
      return;
    }
    if (smoke_.insert(dev.id).second) store_.put("smoke." + dev.id, "1");
    nlohmann::json details = {{"event", "smoke_alarm"}};
    if (!dev.location.building.empty()) details["building"] = dev.location.building;
    nlohmann::json nearby = nlohmann::json::array();
    for (const auto& [socket, c] : charging_) {
      const config::DeviceConfig* s = cfg_->findDevice(socket);
      if (s == nullptr || !c.raised) continue;
      const bool same_zone = !dev.zone.empty() && s->zone == dev.zone;
      const bool same_building = !dev.location.building.empty() && s->location.building == dev.location.building;
      if (!same_zone && !same_building) continue;
      nearby.push_back({{"device", socket},
                        {"zone", s->zone},
                        {"watts", c.last_w},
                        {"charging_s", std::round(secondsBetween(c.since, clock_.steady()))},
                        {"same", same_zone ? "zone" : "building"}});
    }
    if (!nearby.empty()) details["charging_nearby"] = nearby;
    raise(dev, "smoke_alarm", key, std::move(details), Level::kEmergency);
  }

  // An e-bike seen by a camera's own analytics: in an elevator or a corridor
  // zone it is an incident; elsewhere (sheds, gates) it only counts as seen.
  void onEbikeSeen(const config::DeviceConfig& dev, const Event& e) {
    const std::string& zone = e.zone.empty() ? dev.zone : e.zone;
    const auto in = [&](const std::vector<std::string>& zones) {
      return !zone.empty() && std::find(zones.begin(), zones.end(), zone) != zones.end();
    };
    nlohmann::json details = {{"zone", zone}, {"object", e.object.empty() ? "ebike" : e.object}};
    if (in(rc_->elevator_zones)) {
      raise(dev, "ebike_in_elevator", "ebike_in_elevator:" + dev.id + ":" + zone, std::move(details));
    } else if (in(rc_->corridor_zones)) {
      raise(dev, "ebike_in_corridor", "ebike_in_corridor:" + dev.id + ":" + zone, std::move(details));
    } else {
      ++ebikes_elsewhere_;
    }
  }

  void onVehicleLeft(const config::DeviceConfig& dev, const Event& e) {
    bool shed = std::find(rc_->shed_zones.begin(), rc_->shed_zones.end(), e.zone) != rc_->shed_zones.end();
    if (!shed) return;
    if (!rc_->theft_night.contains(minuteOfDay(e.at.value_or(clock_.now())))) return;
    pending_theft_.push_back(PendingTheft{clock_.steady(), dev.id, e.zone, e.object});
  }

  void raise(const config::DeviceConfig& dev, const std::string& type, const std::string& key,
             nlohmann::json details, std::optional<Level> level = std::nullopt) {
    SteadyTime now = clock_.steady();
    auto it = last_raised_.find(key);
    if (it != last_raised_.end() && secondsBetween(it->second, now) < rc_->cooldown_s) {
      ++cooled_;
      return;
    }
    last_raised_[key] = now;
    Incident inc;
    inc.type = type;
    inc.level = level;
    inc.source = dev.id;
    inc.zone = dev.zone;
    inc.incident_key = key;
    inc.details = std::move(details);
    send(std::move(inc));
  }

  void send(Incident inc) {
    ++incidents_;
    log_->info("incident {} ({})", inc.type, inc.incident_key);
    auto r = sink_.raise(std::move(inc));
    if (!r.ok) log_->error("could not raise incident: {}", r.error);
  }

  std::shared_ptr<const config::Config> cfg_;  // io thread only
  const config::RulesConfig* rc_;
  whistle::IncidentSink& sink_;
  Clock& clock_;
  StateStore& store_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, SteadyTime> device_seen_, resident_seen_, last_raised_, last_persist_;
  std::map<std::string, SteadyTime> door_open_since_;
  std::map<std::string, std::deque<SteadyTime>> grants_, strangers_;
  std::map<std::string, int> grants_in_opening_;
  std::map<std::string, Charging> charging_;
  std::deque<PendingTheft> pending_theft_;
  std::set<std::string> offline_, inactive_, smoke_;
  uint64_t events_ = 0, incidents_ = 0, cooled_ = 0, ebikes_elsewhere_ = 0;
};

}  // namespace

std::unique_ptr<RuleEngine> createRuleEngine(const config::Config& cfg, whistle::IncidentSink& sink,
                                             Clock& clock, StateStore& store) {
  return std::make_unique<Engine>(cfg, sink, clock, store);
}

}  // namespace shaobing::rules
