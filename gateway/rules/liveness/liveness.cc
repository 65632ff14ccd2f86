// The device liveness rule; see liveness.h.
#include "gateway/rules/liveness/liveness.h"

#include <cmath>
#include <set>

namespace shaobing::rules::liveness {

namespace {

constexpr double kPersistEveryS = 60;  // last-seen times are written at most this often per device

class LivenessRule : public Rule {
 public:
  explicit LivenessRule(Context& ctx) : ctx_(ctx) {
    seen_ = ctx_.restoreTimes("seen.device.");
    for (const auto& [key, value] : ctx_.store().load("offline.")) offline_.insert(key.substr(8));
    countFromNow();
  }

  void onEvent(const Event&, const config::DeviceConfig& dev) override {
    const SteadyTime now = ctx_.now();
    seen_[dev.id] = now;
    // A restart loses at most a minute of precision, not a write per event.
    auto it = persisted_.find(dev.id);
    if (it == persisted_.end() || secondsBetween(it->second, now) >= kPersistEveryS) {
      persisted_[dev.id] = now;
      ctx_.persistTime("seen.device." + dev.id);
    }
    if (offline_.erase(dev.id)) {
      ctx_.store().erase("offline." + dev.id);
      ctx_.clear("device_offline:" + dev.id, "device is back");
      ctx_.log().info("device {} is back online", dev.id);
    }
  }

  void tick() override {
    const Config& c = ruleConfig<Config>(ctx_, "liveness");
    const SteadyTime now = ctx_.now();
    for (const auto& d : ctx_.config().devices) {
      double hb = d.heartbeat_s;
      if (hb <= 0) {
        auto it = c.heartbeat_s.find(d.kind);
        hb = it == c.heartbeat_s.end() ? 0 : it->second;
      }
      if (hb <= 0 || offline_.count(d.id)) continue;
      auto it = seen_.find(d.id);
      if (it == seen_.end() || secondsBetween(it->second, now) <= hb) continue;
      offline_.insert(d.id);
      ctx_.store().put("offline." + d.id, "1");
      ctx_.raise(d, "device_offline", "device_offline:" + d.id,
                 {{"silent_s", std::round(secondsBetween(it->second, now))}, {"heartbeat_s", hb}});
    }
  }

  // A device never seen counts from now: no alarm for things installed while
  // the gateway was down, or added by a reload.
  void reconfigure() override { countFromNow(); }

  void health(nlohmann::json& out) const override { out["devices_offline"] = offline_.size(); }

 private:
  void countFromNow() {
    for (const auto& d : ctx_.config().devices) {
      if (!seen_.count(d.id)) seen_[d.id] = ctx_.now();
    }
  }

  Context& ctx_;
  std::map<std::string, SteadyTime> seen_, persisted_;
  std::set<std::string> offline_;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config&) {
  auto c = std::make_shared<Config>();
  config::MapReader s(rules.child("heartbeat"), rules.pathOf("heartbeat"), rules.diagnostics());
  for (const char* kind : {"access", "sensor", "camera"}) s.duration(kind, c->heartbeat_s[kind], 0, 30 * 86400.0);
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"liveness", parse, [](Context& ctx) { return std::make_unique<LivenessRule>(ctx); }};
}

}  // namespace shaobing::rules::liveness
