// The charging-load rule; see charging_load.h.
#include "gateway/rules/charging_load/charging_load.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace shaobing::rules::charging_load {

namespace {

constexpr double kOffW = 15;  // after a restart, an open incident closes when the device reads below this

class ChargingRule : public Rule {
 public:
  explicit ChargingRule(Context& ctx) : ctx_(ctx) {
    // Incidents open before a restart: the classifier starts afresh and will not
    // see the step again, so they are closed by the readings falling away.
    for (const auto& [key, value] : ctx_.store().load("charging.open.")) carried_.insert(key.substr(14));
  }

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    if (e.kind != EventKind::kPower) return;
    const Config& c = config();
    if (std::find(c.no_charging_zones.begin(), c.no_charging_zones.end(), dev.zone) == c.no_charging_zones.end()) {
      return;
    }
    // The reading's own time when it has one (the ingest checked it is
    // plausible), so that a recorded day replays as it happened.
    const SystemTime at = e.at.value_or(ctx_.clock().now());
    const double t = static_cast<double>(toUnixMillis(at)) / 1000.0;
    if (carried_.count(dev.id)) {
      if (e.value < kOffW) {
        carried_.erase(dev.id);
        close(dev.id, "load stopped");
      } else {
        auto& f = ctx_.facts().charging[dev.id];
        if (f.since == SteadyTime{}) f.since = ctx_.now();
        f.watts = e.value;
      }
    }
    auto it = signatures_.find(dev.id);
    if (it == signatures_.end()) it = signatures_.emplace(dev.id, charging::ChargingSignature(c.signature)).first;
    auto u = it->second.add(t, e.value);
    if (u.started && !open_.count(dev.id)) raise(c, dev, *u.started, at);
    if (open_.count(dev.id)) {
      if (auto cur = it->second.current()) {
        auto& f = ctx_.facts().charging[dev.id];
        f.watts = cur->watts;
        f.phase = cur->phase;
      }
    }
    if (u.ended && open_.count(dev.id)) close(dev.id, "load stopped");
  }

  void reconfigure() override {
    // New thresholds apply to new classifiers; what each has learnt is kept.
    const Config& c = config();
    for (auto it = signatures_.begin(); it != signatures_.end();) {
      const auto* dev = ctx_.config().findDevice(it->first);
      const bool watched = dev != nullptr && std::find(c.no_charging_zones.begin(), c.no_charging_zones.end(),
                                                       dev->zone) != c.no_charging_zones.end();
      it = watched ? std::next(it) : signatures_.erase(it);
    }
  }

  void health(nlohmann::json& out) const override {
    long readings = 0, out_of_order = 0, recognised = 0;
    for (const auto& [id, s] : signatures_) {
      readings += s.stats().readings;
      out_of_order += s.stats().out_of_order;
      recognised += s.stats().recognised;
    }
    out["charging"] = {{"devices", signatures_.size()}, {"open", open_.size() + carried_.size()},
                       {"readings", readings}, {"out_of_order", out_of_order}, {"recognised", recognised}};
  }

 private:
  const Config& config() const { return ruleConfig<Config>(ctx_, "charging_load"); }

  void raise(const Config& c, const config::DeviceConfig& dev, const charging::Detection& d, SystemTime at) {
    open_.insert(dev.id);
    ctx_.store().put("charging.open." + dev.id, "1");
    const SystemTime started = fromUnixMillis(static_cast<int64_t>(d.started_at_s * 1000));
    const bool night = c.night.contains(minuteOfDay(at));
    ChargingFact f;
    f.since = ctx_.now() - std::chrono::milliseconds(static_cast<int64_t>((d.detected_at_s - d.started_at_s) * 1000));
    f.started_at = started;
    f.watts = d.watts;
    f.phase = d.phase;
    f.confidence = d.confidence;
    ctx_.facts().charging[dev.id] = f;
    nlohmann::json details = {{"watts", std::round(d.watts)},
                              {"confidence", d.confidence},
                              {"started_at", formatRfc3339(started)},
                              {"phase", d.phase},
                              {"trend_per_10min", std::round(d.trend * 1000) / 1000},
                              {"after_s", std::round(d.detected_at_s - d.started_at_s)},
                              {"role", dev.role.empty() ? "socket" : dev.role},
                              {"night", night}};
    ctx_.raise(dev, "charging_load_detected", "charging:" + dev.id, std::move(details),
               night ? c.night_level : c.level);
  }

  void close(const std::string& device, const std::string& why) {
    open_.erase(device);
    ctx_.facts().charging.erase(device);
    ctx_.store().erase("charging.open." + device);
    ctx_.clear("charging:" + device, why);
  }

  Context& ctx_;
  std::map<std::string, charging::ChargingSignature> signatures_;
  std::set<std::string> open_, carried_;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config&) {
  auto c = std::make_shared<Config>();
  config::MapReader s(rules.child("charging_load"), rules.pathOf("charging_load"), rules.diagnostics());
  s.stringList("no_charging_zones", c->no_charging_zones);
  s.number("min_w", c->signature.min_w, 10, 5000);
  s.number("max_w", c->signature.max_w, 10, 5000);
  s.duration("confirm", c->signature.confirm_s, 120, 3600);
  if (c->signature.min_w >= c->signature.max_w) s.error("max_w", "must be greater than min_w");
  config::readDailyWindow(s, "night", c->night);
  for (const auto& [key, out] : {std::pair<const char*, whistle::Level*>{"level", &c->level}, {"night_level", &c->night_level}}) {
    std::string text;
    if (!s.choice(key, text, {"routine", "priority", "emergency"})) continue;
    if (auto l = whistle::parseLevel(text)) *out = *l;
  }
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"charging_load", parse, [](Context& ctx) { return std::make_unique<ChargingRule>(ctx); }};
}

}  // namespace shaobing::rules::charging_load
