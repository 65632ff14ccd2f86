// The repeated-stranger rule; see stranger.h.
#include "gateway/rules/stranger/stranger.h"

namespace shaobing::rules::stranger {

namespace {

class StrangerRule : public Rule {
 public:
  explicit StrangerRule(Context& ctx) : ctx_(ctx) {}

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    if (e.kind != EventKind::kAccessDenied) return;
    if (e.person_type != "unknown" && e.person_type != "blocklisted") return;
    const Config& c = ruleConfig<Config>(ctx_, "stranger_repeated");
    const SteadyTime now = ctx_.now();
    // Counted per door and per building, whichever reaches K first.
    std::vector<std::string> scopes = {"door:" + dev.id};
    if (!dev.location.building.empty()) scopes.push_back("building:" + dev.location.building);
    const std::string* hit = nullptr;
    size_t attempts = 0;
    for (const auto& scope : scopes) {
      auto& q = seen_[scope];
      q.push_back(now);
      while (!q.empty() && secondsBetween(q.front(), now) > c.window_s) q.pop_front();
      if (hit == nullptr && static_cast<int>(q.size()) >= c.attempts) {
        hit = &scope;
        attempts = q.size();
      }
    }
    if (hit == nullptr) return;
    // One incident, whichever scope reached K: the attempts counted towards
    // it must not whistle again through the other scope.
    ctx_.raise(dev, "stranger_repeated", "stranger:" + *hit,
               {{"attempts", attempts}, {"window_s", c.window_s}, {"scope", *hit}, {"method", e.method},
                {"person_type", e.person_type}});
    for (const auto& scope : scopes) seen_[scope].clear();
  }

 private:
  Context& ctx_;
  std::map<std::string, std::deque<SteadyTime>> seen_;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& rules, const config::Config&) {
  auto c = std::make_shared<Config>();
  config::MapReader s(rules.child("stranger_repeated"), rules.pathOf("stranger_repeated"), rules.diagnostics());
  s.integer("attempts", c->attempts, 1, 1000);
  s.duration("window", c->window_s, 1, 86400);
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"stranger_repeated", parse, [](Context& ctx) { return std::make_unique<StrangerRule>(ctx); }};
}

}  // namespace shaobing::rules::stranger
