// What rules share; see rule.h.
#include <ctime>

#include "gateway/core/log.h"
#include "gateway/rules/rule.h"

namespace shaobing::rules {

double secondsBetween(SteadyTime a, SteadyTime b) { return std::chrono::duration<double>(b - a).count(); }

int minuteOfDay(SystemTime t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&s, &tm);
  return tm.tm_hour * 60 + tm.tm_min;
}

Context::Context(std::shared_ptr<const config::Config> cfg, whistle::IncidentSink& sink, Clock& clock,
                 StateStore& store)
    : cfg_(std::move(cfg)), sink_(sink), clock_(clock), store_(store), log_(logger("rules")) {}

void Context::raise(const config::DeviceConfig& dev, const std::string& type, const std::string& key,
                    nlohmann::json details, std::optional<whistle::Level> level) {
  const SteadyTime now = clock_.steady();
  auto it = last_raised_.find(key);
  if (it != last_raised_.end() && secondsBetween(it->second, now) < cfg_->rules.cooldown_s) {
    ++cooled_;
    return;
  }
  last_raised_[key] = now;
  whistle::Incident inc;
  inc.type = type;
  inc.level = level;
  inc.source = dev.id;
  inc.zone = dev.zone;
  inc.incident_key = key;
  inc.details = std::move(details);
  raise(std::move(inc));
}

void Context::raise(whistle::Incident inc) {
  ++incidents_;
  log_->info("incident {} ({})", inc.type, inc.incident_key);
  auto r = sink_.raise(std::move(inc));
  if (!r.ok) log_->error("could not raise incident: {}", r.error);
}

void Context::clear(const std::string& key, const std::string& reason) {
  last_raised_.erase(key);
  sink_.clear(key, reason);
}

std::map<std::string, SteadyTime> Context::restoreTimes(const std::string& prefix) {
  std::map<std::string, SteadyTime> out;
  const SystemTime wall = clock_.now();
  const SteadyTime steady = clock_.steady();
  for (const auto& [key, value] : store_.load(prefix)) {
    int64_t ms = 0;
    try {
      ms = std::stoll(value);
    } catch (const std::exception&) {
      continue;
    }
    auto elapsed = std::max(std::chrono::milliseconds(0),
                            std::chrono::duration_cast<std::chrono::milliseconds>(wall - fromUnixMillis(ms)));
    out[key.substr(prefix.size())] = steady - elapsed;
  }
  return out;
}

}  // namespace shaobing::rules
