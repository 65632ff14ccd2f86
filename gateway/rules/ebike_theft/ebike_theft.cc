// The e-bike theft rule; see ebike_theft.h.
#include "gateway/rules/ebike_theft/ebike_theft.h"

#include <algorithm>
#include <cmath>

namespace shaobing::rules::ebike_theft {

namespace {

struct Pending {
  SteadyTime at;
  SystemTime wall;
  std::string camera, zone, object, tag;
};

class TheftRule : public Rule {
 public:
  explicit TheftRule(Context& ctx) : ctx_(ctx) {}

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    if (e.kind != EventKind::kVehicleLeftZone) return;
    const Config& c = ruleConfig<Config>(ctx_, "ebike_theft");
    if (std::find(c.shed_zones.begin(), c.shed_zones.end(), e.zone) == c.shed_zones.end()) return;
    const SystemTime wall = e.at.value_or(ctx_.clock().now());
    if (!c.night.contains(minuteOfDay(wall))) return;
    pending_.push_back({ctx_.now(), wall, dev.id, e.zone, e.object, e.tag});
  }

  // Decided once the window after the departure has passed.
  void tick() override {
    const Config& c = ruleConfig<Config>(ctx_, "ebike_theft");
    while (!pending_.empty() && secondsBetween(pending_.front().at, ctx_.now()) >= c.window_s) {
      Pending p = pending_.front();
      pending_.pop_front();
      judge(c, p);
    }
  }

  void health(nlohmann::json& out) const override { out["theft_pending"] = pending_.size(); }

 private:
  void judge(const Config& c, const Pending& p) {
    const Owner* owner = nullptr;
    if (!p.tag.empty()) {
      auto it = c.owners.find(p.tag);
      if (it != c.owners.end()) owner = &it->second;
    }
    nlohmann::json near = nlohmann::json::array();
    bool cleared = false;
    for (const auto& gate : c.gates) {
      auto it = ctx_.facts().grants.find(gate);
      if (it == ctx_.facts().grants.end()) continue;
      for (const auto& g : it->second) {
        if (std::abs(secondsBetween(g.at, p.at)) > c.window_s) continue;
        near.push_back({{"gate", gate}, {"person_id", g.person_id}, {"credential", g.credential}});
        // Without a registered tag any credential at the gate goes with the bike;
        // with one, only its owner's, or a gate read of the bike's own tag.
        const bool owners_grant =
            owner != nullptr &&
            ((!owner->person.empty() && g.person_id == owner->person) ||
             (!g.credential.empty() &&
              std::find(owner->credentials.begin(), owner->credentials.end(), g.credential) != owner->credentials.end()));
        const bool tag_read = !p.tag.empty() && g.tag == p.tag;
        if (owner == nullptr || owners_grant || tag_read) cleared = true;
      }
    }
    if (cleared) return;
    const auto* dev = ctx_.config().findDevice(p.camera);
    if (dev == nullptr) return;
    const auto window = std::chrono::milliseconds(static_cast<int64_t>(c.window_s * 1000));
    nlohmann::json details = {{"zone", p.zone},
                              {"object", p.object},
                              {"left_at", formatRfc3339(p.wall)},
                              {"window_s", c.window_s},
                              {"window", {{"from", formatRfc3339(p.wall - window)}, {"to", formatRfc3339(p.wall + window)}}},
                              {"reason", near.empty() ? "no_credential" : "not_owner"},
                              {"grants_near", near}};
    if (!p.tag.empty()) details["tag"] = p.tag;
    if (owner != nullptr) details["owner"] = owner->person;
    ctx_.raise(*dev, "ebike_theft_suspected", "ebike_theft:" + p.camera + ":" + p.zone + (p.tag.empty() ? "" : ":" + p.tag),
               std::move(details));
  }

  Context& ctx_;
  std::deque<Pending> pending_;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config& cfg) {
  auto c = std::make_shared<Config>();
  auto& diag = rules.diagnostics();
  config::MapReader s(rules.child("ebike_theft"), rules.pathOf("ebike_theft"), diag);
  s.stringList("shed_zones", c->shed_zones);
  s.stringList("gates", c->gates);
  config::readDailyWindow(s, "night", c->night);
  s.duration("window", c->window_s, 1, 3600);
  for (const auto& g : c->gates) {
    if (!cfg.findDevice(g)) s.error("gates", "unknown device '" + g + "'");
  }
  config::forEachItem(s.child("owners"), s.pathOf("owners"), diag, [&](const YAML::Node& item, const std::string& path) {
    config::MapReader o(item, path, diag);
    std::string tag;
    Owner owner;
    o.string("tag", tag, config::Need::kRequired);
    o.string("person", owner.person);
    o.stringList("credentials", owner.credentials);
    if (owner.person.empty() && owner.credentials.empty()) o.error("person", "name the owner's person id or credentials");
    if (!tag.empty()) c->owners[tag] = owner;
  });
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"ebike_theft", parse, [](Context& ctx) { return std::make_unique<TheftRule>(ctx); }};
}

}  // namespace shaobing::rules::ebike_theft
