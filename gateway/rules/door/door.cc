// The door rule; see door.h.
#include "gateway/rules/door/door.h"

#include <cmath>

namespace shaobing::rules::door {

namespace {

constexpr double kGrantsKeptS = 3600;      // the facts board keeps an hour of grants per door
constexpr double kGrantForPassageS = 15;   // a grant this recent lets people through

class DoorRule : public Rule {
 public:
  explicit DoorRule(Context& ctx) : ctx_(ctx) {}

  void onEvent(const Event& e, const config::DeviceConfig& dev) override {
    const Config& c = ruleConfig<Config>(ctx_, "door");
    switch (e.kind) {
      case EventKind::kDoorForced:
        ctx_.raise(dev, "door_forced", "door_forced:" + dev.id, {{"event", "door_forced"}});
        break;
      case EventKind::kDoorHeldOpen:
        if (e.value >= c.held_open_s || e.value == 0) {
          ctx_.raise(dev, "door_held_open", "door_held_open:" + dev.id, {{"held_s", e.value}});
        }
        break;
      case EventKind::kDoorOpened:
        open_since_[dev.id] = ctx_.now();
        grants_in_opening_[dev.id] = recentGrants(dev.id);
        checkRestricted(c, dev, e);
        break;
      case EventKind::kDoorClosed:
        open_since_.erase(dev.id);
        break;
      case EventKind::kTamper:
        ctx_.raise(dev, "device_tamper", "tamper:" + dev.id, {{"event", "tamper"}}, whistle::Level::kPriority);
        break;
      case EventKind::kAccessGranted: {
        auto& q = ctx_.facts().grants[dev.id];
        q.push_back({ctx_.now(), e.person_id, e.credential, e.tag});
        while (!q.empty() && secondsBetween(q.front().at, ctx_.now()) > kGrantsKeptS) q.pop_front();
        ++grants_in_opening_[dev.id];
        checkRestricted(c, dev, e);
        break;
      }
      case EventKind::kPassage:
        onPassage(dev, e);
        break;
      default:
        break;
    }
  }

  void tick() override {
    const Config& c = ruleConfig<Config>(ctx_, "door");
    const SteadyTime now = ctx_.now();
    for (const auto& [id, since] : open_since_) {
      if (secondsBetween(since, now) < c.held_open_s) continue;
      if (const auto* dev = ctx_.config().findDevice(id)) {
        ctx_.raise(*dev, "door_held_open", "door_held_open:" + id, {{"held_s", std::round(secondsBetween(since, now))}});
      }
    }
  }

 private:
  int recentGrants(const std::string& device) {
    int n = 0;
    for (const auto& g : ctx_.facts().grants[device]) n += secondsBetween(g.at, ctx_.now()) <= kGrantForPassageS ? 1 : 0;
    return n;
  }

  void checkRestricted(const Config& c, const config::DeviceConfig& dev, const Event& e) {
    auto it = c.restricted.find(dev.id);
    if (it == c.restricted.end()) return;
    const int m = minuteOfDay(e.at.value_or(ctx_.clock().now()));
    if (it->second.contains(m)) return;
    ctx_.raise(dev, "restricted_after_hours", "restricted:" + dev.id,
               {{"event", toString(e.kind)}, {"person_id", e.person_id}, {"minute_of_day", m}});
  }

  void onPassage(const config::DeviceConfig& dev, const Event& e) {
    auto it = grants_in_opening_.find(dev.id);
    const int granted = it != grants_in_opening_.end() ? it->second : recentGrants(dev.id);
    if (e.count > granted) {
      ctx_.raise(dev, "tailgating", "tailgating:" + dev.id, {{"people", e.count}, {"granted", granted}});
    }
    grants_in_opening_[dev.id] = 0;
  }

  Context& ctx_;
  std::map<std::string, SteadyTime> open_since_;
  std::map<std::string, int> grants_in_opening_;
};

std::shared_ptr<const config::RuleConfig> parse(config::MapReader& r, const config::Config& cfg) {
  auto c = std::make_shared<Config>();
  r.duration("door_held_open", c->held_open_s, 5, 86400);
  auto& diag = r.diagnostics();
  config::forEachItem(r.child("restricted"), r.pathOf("restricted"), diag,
                      [&](const YAML::Node& item, const std::string& path) {
                        config::MapReader it(item, path, diag);
                        std::string device;
                        config::DailyWindow w{7 * 60, 19 * 60};
                        it.string("device", device, config::Need::kRequired);
                        config::readDailyWindow(it, "allowed", w);
                        if (device.empty()) return;
                        if (!cfg.findDevice(device)) it.error("device", "unknown device '" + device + "'");
                        c->restricted[device] = w;
                      });
  return c;
}

}  // namespace

RuleEntry entry() {
  return {"door", parse, [](Context& ctx) { return std::make_unique<DoorRule>(ctx); }};
}

}  // namespace shaobing::rules::door
