// The welfare rule; see welfare.h.
#include "gateway/rules/welfare/welfare.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace shaobing::rules::welfare {

const char* toString(SignalKind k) {
  switch (k) {
    case SignalKind::kWater: return "water";
    case SignalKind::kDoor: return "door";
    case SignalKind::kAccess: return "access";
  }
  return "?";
}

namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr double kMaxPlausibleLitres = 5000;  // a larger jump of a meter total is a reset or a new meter

struct Use {
  SteadyTime at;
  double amount;
};

class WelfareRule : public Rule {
 public:
  explicit WelfareRule(Context& ctx) : ctx_(ctx) {
    since_ = ctx_.restoreTimes("welfare.since.");
    for (const auto& [key, value] : ctx_.store().load("welfare.inactive.")) inactive_.insert(key.substr(17));
    for (const auto& [key, value] : ctx_.store().load("welfare.total.")) {
      try {
        totals_[key.substr(14)] = std::stod(value);
      } catch (const std::exception&) {
      }
    }
    restoreUse();
    countFromNow();
  }

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    double water = 0;
    if (e.kind == EventKind::kWater) water = litresUsed(e, dev);
    for (const auto& r : config().residents) {
      for (size_t i = 0; i < r.signals.size(); ++i) {
        const double amount = lifeIn(r.id, r.signals[i], e, dev, water);
        if (amount > 0) onLife(r, i, amount, dev.id);
      }
    }
  }

  void tick() override {
    const SteadyTime now = ctx_.now();
    const int minute = minuteOfDay(ctx_.clock().now());
    for (const auto& r : config().residents) {
      if (inactive_.count(r.id)) continue;
      auto since = since_.find(r.id);
      if (since == since_.end()) continue;
      nlohmann::json signals = nlohmann::json::array();
      int silent = 0;
      for (size_t i = 0; i < r.signals.size(); ++i) {
        const Signal& s = r.signals[i];
        const double observed = sumWithin(key(r.id, i), s.within_s);
        const bool judged = secondsBetween(since->second, now) >= s.within_s;
        const bool quiet = judged && observed < s.under;
        silent += quiet ? 1 : 0;
        nlohmann::json j = {{"signal", toString(s.kind)}, {"within_h", std::round(s.within_s / 360) / 10},
                            {"observed", std::round(observed * 10) / 10}, {"under", s.under}, {"silent", quiet}};
        if (!s.device.empty()) j["device"] = s.device;
        signals.push_back(std::move(j));
      }
      const bool raise = r.signals.empty() ? false : r.all ? silent == static_cast<int>(r.signals.size()) : silent > 0;
      if (!raise || (r.has_quiet && r.quiet.contains(minute))) continue;
      inactive_.insert(r.id);
      ctx_.store().put("welfare.inactive." + r.id, "1");
      whistle::Incident inc;
      inc.type = "resident_inactive";
      inc.level = whistle::Level::kPriority;
      inc.source = "resident:" + r.id;
      inc.grid = r.grid;
      inc.incident_key = "resident_inactive:" + r.id;
      const double idle = secondsBetween(lastLife(r.id), now);
      inc.details = {{"resident_id", r.id}, {"name", r.name}, {"when", r.all ? "all" : "any"},
                     {"idle_h", std::round(idle / 360) / 10}, {"signals", signals}};
      ctx_.raise(std::move(inc));
    }
    prune();
  }

  void reconfigure() override { countFromNow(); }

  void health(nlohmann::json& out) const override {
    out["residents_watched"] = config().residents.size();
    out["residents_inactive"] = inactive_.size();
  }

 private:
  const Config& config() const { return ruleConfig<Config>(ctx_, "welfare"); }

  static std::string key(const std::string& resident, size_t signal) {
    return resident + "." + std::to_string(signal);
  }

  // Litres used, from a meter's total (the difference from its last total) or
  // from a reading of what was used since the last one.
  double litresUsed(const Event& e, const config::DeviceConfig& dev) {
    if (!e.state) return std::max(0.0, e.value);
    auto it = totals_.find(dev.id);
    const double before = it == totals_.end() ? e.value : it->second;
    totals_[dev.id] = e.value;
    ctx_.store().put("welfare.total." + dev.id, std::to_string(e.value));
    const double used = e.value - before;
    if (used < 0 || used > kMaxPlausibleLitres) {
      ctx_.log().warn("water meter {} went from {} L to {} L: taken as a new meter", dev.id, before, e.value);
      return 0;
    }
    return used;
  }

  static double lifeIn(const std::string& resident, const Signal& s, const Event& e, const config::DeviceConfig& dev,
                       double water) {
    switch (s.kind) {
      case SignalKind::kWater:
        return e.kind == EventKind::kWater && dev.id == s.device ? water : 0;
      case SignalKind::kDoor:
        if (dev.id != s.device) return 0;
        return (e.kind == EventKind::kContact && e.state) || e.kind == EventKind::kDoorOpened ? 1 : 0;
      case SignalKind::kAccess:
        if (e.kind != EventKind::kAccessGranted || e.person_id != resident) return 0;
        return s.device.empty() || s.device == dev.id ? 1 : 0;
    }
    return 0;
  }

  void onLife(const Resident& r, size_t i, double amount, const std::string& device) {
    const SteadyTime now = ctx_.now();
    uses_[key(r.id, i)].push_back({now, amount});
    // Persisted per wall-clock hour: a restart keeps the window's contents.
    const int64_t hour = toUnixMillis(ctx_.clock().now()) / kHourMs * kHourMs;
    const std::string k = "welfare.use." + key(r.id, i) + "." + std::to_string(hour);
    double& hour_total = hour_totals_[k];  // kept in memory: no read of the store per reading
    hour_total += amount;
    ctx_.store().put(k, std::to_string(hour_total));
    last_life_[r.id] = now;
    if (inactive_.erase(r.id)) {
      ctx_.store().erase("welfare.inactive." + r.id);
      const Signal& s = r.signals[i];
      ctx_.clear("resident_inactive:" + r.id,
                 std::string("signs of life: ") + toString(s.kind) + " at " + device +
                     (s.kind == SignalKind::kWater ? " (" + std::to_string(static_cast<int>(std::round(amount))) + " L)" : ""));
    }
  }

  double sumWithin(const std::string& k, double within_s) const {
    auto it = uses_.find(k);
    if (it == uses_.end()) return 0;
    double sum = 0;
    for (const auto& u : it->second) sum += secondsBetween(u.at, ctx_.now()) <= within_s ? u.amount : 0;
    return sum;
  }

  SteadyTime lastLife(const std::string& resident) const {
    auto it = last_life_.find(resident);
    if (it != last_life_.end()) return it->second;
    auto s = since_.find(resident);
    return s != since_.end() ? s->second : ctx_.now();
  }

  void restoreUse() {
    const SystemTime wall = ctx_.clock().now();
    const SteadyTime steady = ctx_.now();
    for (const auto& [k, value] : ctx_.store().load("welfare.use.")) {
      const auto dot = k.rfind('.');
      if (dot == std::string::npos) continue;
      try {
        const int64_t hour = std::stoll(k.substr(dot + 1));
        const double amount = std::stod(value);
        hour_totals_[k] = amount;
        const auto elapsed = std::max(std::chrono::milliseconds(0),
                                      std::chrono::duration_cast<std::chrono::milliseconds>(wall - fromUnixMillis(hour)));
        uses_[k.substr(12, dot - 12)].push_back({steady - elapsed, amount});
      } catch (const std::exception&) {
      }
    }
  }

  // Uses older than the longest window are dropped, in memory and in the store.
  void prune() {
    double longest = 0;
    for (const auto& r : config().residents) {
      for (const auto& s : r.signals) longest = std::max(longest, s.within_s);
    }
    const SteadyTime now = ctx_.now();
    if (secondsBetween(last_prune_, now) < 600) return;
    last_prune_ = now;
    for (auto& [k, q] : uses_) {
      while (!q.empty() && secondsBetween(q.front().at, now) > longest + 3600) q.pop_front();
    }
    const int64_t cutoff = toUnixMillis(ctx_.clock().now()) - static_cast<int64_t>((longest + 7200) * 1000);
    for (const auto& [k, value] : ctx_.store().load("welfare.use.")) {
      const auto dot = k.rfind('.');
      try {
        if (dot != std::string::npos && std::stoll(k.substr(dot + 1)) < cutoff) {
          ctx_.store().erase(k);
          hour_totals_.erase(k);
        }
      } catch (const std::exception&) {
        ctx_.store().erase(k);
      }
    }
  }

  // A resident first watched now is judged after a whole window from now.
  void countFromNow() {
    for (const auto& r : config().residents) {
      if (since_.count(r.id)) continue;
      since_[r.id] = ctx_.now();
      ctx_.persistTime("welfare.since." + r.id);
    }
  }

  Context& ctx_;
  std::map<std::string, SteadyTime> since_, last_life_;
  std::map<std::string, std::deque<Use>> uses_;
  std::map<std::string, double> totals_;
  std::map<std::string, double> hour_totals_;  // store key (resident, signal, hour) -> amount
  std::set<std::string> inactive_;
  SteadyTime last_prune_{};
};

bool parseSignal(const YAML::Node& item, const std::string& path, config::Diagnostics& diag, Signal& s) {
  config::MapReader m(item, path, diag);
  std::string device;
  int kinds = 0;
  if (m.string("water", device)) {
    s.kind = SignalKind::kWater;
    s.device = device;
    s.under = 8;
    ++kinds;
  }
  if (m.string("door", device)) {
    s.kind = SignalKind::kDoor;
    s.device = device;
    ++kinds;
  }
  if (m.string("access", device)) {
    s.kind = SignalKind::kAccess;
    s.device = device == "any" ? "" : device;
    ++kinds;
  }
  if (kinds != 1) {
    m.error("water", "each signal names exactly one of water: <meter>, door: <device>, access: any|<device>");
    return false;
  }
  m.duration("within", s.within_s, 3600, 30 * 86400.0);
  if (s.kind == SignalKind::kWater) m.number("under_l", s.under, 0.1, 10000);
  return true;
}

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config& cfg) {
  auto c = std::make_shared<Config>();
  auto& diag = rules.diagnostics();
  std::set<std::string> ids;
  auto checkDevice = [&](config::MapReader& r, const Signal& s) {
    if (!s.device.empty() && cfg.findDevice(s.device) == nullptr) {
      r.error("signals", "unknown device '" + s.device + "'");
    }
  };
  {
    config::MapReader w(rules.child("welfare"), rules.pathOf("welfare"), diag);
    config::DailyWindow quiet;
    const bool has_quiet = w.has("quiet_hours");
    config::readDailyWindow(w, "quiet_hours", quiet);
    config::forEachItem(w.child("residents"), w.pathOf("residents"), diag,
                        [&](const YAML::Node& item, const std::string& path) {
                          config::MapReader it(item, path, diag);
                          Resident r;
                          r.has_quiet = has_quiet || it.has("quiet_hours");
                          r.quiet = quiet;
                          it.string("id", r.id, config::Need::kRequired);
                          it.string("name", r.name);
                          it.string("grid", r.grid);
                          if (r.grid.empty()) r.grid = cfg.site.default_grid;
                          std::string when = "all";
                          it.choice("when", when, {"all", "any"});
                          r.all = when == "all";
                          config::readDailyWindow(it, "quiet_hours", r.quiet);
                          config::forEachItem(it.child("signals", config::Need::kRequired), it.pathOf("signals"), diag,
                                              [&](const YAML::Node& sn, const std::string& sp) {
                                                Signal s;
                                                if (!parseSignal(sn, sp, diag, s)) return;
                                                checkDevice(it, s);
                                                r.signals.push_back(s);
                                              });
                          if (r.id.empty()) return;
                          if (!ids.insert(r.id).second) it.error("id", "resident '" + r.id + "' is watched twice");
                          c->residents.push_back(std::move(r));
                        });
  }
  {
    // The older form: access events only, one window for everyone.
    config::MapReader s(rules.child("resident_inactive"), rules.pathOf("resident_inactive"), diag);
    double after = 36 * 3600.0;
    s.duration("after", after, 60, 30 * 86400.0);
    config::forEachItem(s.child("residents"), s.pathOf("residents"), diag,
                        [&](const YAML::Node& item, const std::string& path) {
                          config::MapReader it(item, path, diag);
                          Resident r;
                          it.string("id", r.id, config::Need::kRequired);
                          it.string("name", r.name);
                          it.string("grid", r.grid);
                          if (r.grid.empty()) r.grid = cfg.site.default_grid;
                          r.signals.push_back({SignalKind::kAccess, "", after, 1});
                          if (r.id.empty()) return;
                          if (!ids.insert(r.id).second) it.error("id", "resident '" + r.id + "' is watched twice");
                          c->residents.push_back(std::move(r));
                        });
  }
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"welfare", parse, [](Context& ctx) { return std::make_unique<WelfareRule>(ctx); }};
}

}  // namespace shaobing::rules::welfare
