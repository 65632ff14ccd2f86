// The smoke-alarm rule; see smoke.h.
#include "gateway/rules/smoke/smoke.h"

#include <cmath>
#include <set>

namespace shaobing::rules::smoke {

namespace {

class SmokeRule : public Rule {
 public:
  explicit SmokeRule(Context& ctx) : ctx_(ctx) {
    for (const auto& [key, value] : ctx_.store().load("smoke.")) alarming_.insert(key.substr(6));
  }

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    if (e.kind != EventKind::kSmokeAlarm) return;
    const std::string key = "smoke:" + dev.id;
    if (!e.state) {
      if (alarming_.erase(dev.id)) {
        ctx_.store().erase("smoke." + dev.id);
        ctx_.clear(key, "smoke detector reports no alarm");  // a new alarm whistles at once
      }
      return;
    }
    if (alarming_.insert(dev.id).second) ctx_.store().put("smoke." + dev.id, "1");
    nlohmann::json details = {{"event", "smoke_alarm"}};
    if (!dev.location.building.empty()) details["building"] = dev.location.building;
    nlohmann::json nearby = nlohmann::json::array();
    for (const auto& [socket, c] : ctx_.facts().charging) {
      const config::DeviceConfig* s = ctx_.config().findDevice(socket);
      if (s == nullptr) continue;
      const bool same_zone = !dev.zone.empty() && s->zone == dev.zone;
      const bool same_building = !dev.location.building.empty() && s->location.building == dev.location.building;
      if (!same_zone && !same_building) continue;
      nearby.push_back({{"device", socket},
                        {"zone", s->zone},
                        {"watts", std::round(c.watts)},
                        {"phase", c.phase},
                        {"charging_s", std::round(secondsBetween(c.since, ctx_.now()))},
                        {"same", same_zone ? "zone" : "building"}});
    }
    if (!nearby.empty()) details["charging_nearby"] = nearby;
    ctx_.raise(dev, "smoke_alarm", key, std::move(details), whistle::Level::kEmergency);
  }

  void health(nlohmann::json& out) const override { out["smoke_alarms"] = alarming_.size(); }

 private:
  Context& ctx_;
  std::set<std::string> alarming_;
};

}  // namespace

RuleEntry entry() {
  return {"smoke", nullptr, [](Context& ctx) { return std::make_unique<SmokeRule>(ctx); }};
}

}  // namespace shaobing::rules::smoke
