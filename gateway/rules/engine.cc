// The rule engine: runs every registered rule (registry.cc) on each event
// and each tick; see engine.h.
#include "gateway/rules/engine.h"

#include "gateway/rules/rule.h"

namespace shaobing::rules {

namespace {

class Engine : public RuleEngine {
 public:
  Engine(const config::Config& cfg, whistle::IncidentSink& sink, Clock& clock, StateStore& store)
      : ctx_(std::shared_ptr<const config::Config>(std::shared_ptr<const config::Config>(), &cfg), sink, clock,
             store) {
    for (const auto& e : ruleEntries()) rules_.push_back(e.create(ctx_));
  }

  void reconfigure(std::shared_ptr<const config::Config> next) override {
    ctx_.setConfig(std::move(next));
    for (auto& r : rules_) r->reconfigure();
  }

  void onEvent(const Event& e) override {
    ++events_;
    if (e.kind == EventKind::kReport) {
      // Reporters are people, not configured devices.
      config::DeviceConfig reporter;
      reporter.id = e.device;
      reporter.kind = "reporter";
      for (auto& r : rules_) r->onEvent(e, reporter);
      return;
    }
    const config::DeviceConfig* dev = ctx_.config().findDevice(e.device);
    if (dev == nullptr) return;
    for (auto& r : rules_) r->onEvent(e, *dev);
  }

  void tick() override {
    for (auto& r : rules_) r->tick();
  }

  nlohmann::json health() const override {
    nlohmann::json h = {{"events", events_}, {"incidents", ctx_.incidents()}, {"cooled_down", ctx_.cooled()}};
    for (const auto& r : rules_) r->health(h);
    return h;
  }

 private:
  Context ctx_;
  std::vector<std::unique_ptr<Rule>> rules_;
  uint64_t events_ = 0;
};

}  // namespace

std::unique_ptr<RuleEngine> createRuleEngine(const config::Config& cfg, whistle::IncidentSink& sink,
                                             Clock& clock, StateStore& store) {
  return std::make_unique<Engine>(cfg, sink, clock, store);
}

}  // namespace shaobing::rules
