// The e-bike zone rule; see ebike_zones.h.
#include "gateway/rules/ebike_zones/ebike_zones.h"

#include <algorithm>

namespace shaobing::rules::ebike_zones {

namespace {

class EbikeZonesRule : public Rule {
 public:
  explicit EbikeZonesRule(Context& ctx) : ctx_(ctx) {}

  // In an elevator or a corridor zone it is an incident; elsewhere (sheds,
  // gates) it only counts as seen.
  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    if (e.kind != EventKind::kEbikeDetected) return;
    const Config& c = ruleConfig<Config>(ctx_, "ebike_zones");
    const std::string& zone = e.zone.empty() ? dev.zone : e.zone;
    const auto in = [&](const std::vector<std::string>& zones) {
      return !zone.empty() && std::find(zones.begin(), zones.end(), zone) != zones.end();
    };
    nlohmann::json details = {{"zone", zone}, {"object", e.object.empty() ? "ebike" : e.object}};
    if (!e.tag.empty()) details["tag"] = e.tag;
    if (in(c.elevator)) {
      ctx_.raise(dev, "ebike_in_elevator", "ebike_in_elevator:" + dev.id + ":" + zone, std::move(details));
    } else if (in(c.corridor)) {
      ctx_.raise(dev, "ebike_in_corridor", "ebike_in_corridor:" + dev.id + ":" + zone, std::move(details));
    } else {
      ++elsewhere_;
    }
  }

  void health(nlohmann::json& out) const override { out["ebikes_seen_elsewhere"] = elsewhere_; }

 private:
  Context& ctx_;
  uint64_t elsewhere_ = 0;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config&) {
  auto c = std::make_shared<Config>();
  config::MapReader s(rules.child("ebike_zones"), rules.pathOf("ebike_zones"), rules.diagnostics());
  s.stringList("elevator", c->elevator);
  s.stringList("corridor", c->corridor);
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"ebike_zones", parse, [](Context& ctx) { return std::make_unique<EbikeZonesRule>(ctx); }};
}

}  // namespace shaobing::rules::ebike_zones
