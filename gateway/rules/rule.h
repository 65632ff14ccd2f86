// The rule seam. A rule judges one kind of incident on the normalised event
// stream (shaobing::Event) and on time. Each rule lives in a folder of its own
// under gateway/rules/ with its config subtree, README and tests, and is
// listed by one line in gateway/rules/registry.cc, which also makes its keys
// valid under `rules:` (config::registerRuleSection).
//
// Rules run on the ingest component's rules thread, one at a time: no locks.
// Time only through the context's Clock: intervals on the steady clock (a
// wall-clock jump neither fires nor suppresses a rule), wall times persisted
// in the StateStore so that state survives a restart.
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/clock.h"
#include "gateway/core/event.h"
#include "gateway/rules/state_store.h"
#include "gateway/whistle/incident.h"

namespace shaobing::rules {

double secondsBetween(SteadyTime a, SteadyTime b);
// Minute of the day in local time (0..1439).
int minuteOfDay(SystemTime t);

// What rules tell each other. Written by the rule that knows, read by others.
struct ChargingFact {  // an open charging incident (charging_load)
  SteadyTime since{};
  SystemTime started_at{};
  double watts = 0;
  std::string phase;
  double confidence = 0;
};
struct GrantFact {  // an access grant at a door (door)
  SteadyTime at{};
  std::string person_id, credential, tag;
};
struct Facts {
  std::map<std::string, ChargingFact> charging;          // by device id
  std::map<std::string, std::deque<GrantFact>> grants;   // by device id, the last hour
};

// What every rule shares: the configuration snapshot, time, persistence,
// the way to raise and clear incidents, and the facts board.
class Context {
 public:
  Context(std::shared_ptr<const config::Config> cfg, whistle::IncidentSink& sink, Clock& clock,
          StateStore& store);

  const config::Config& config() const { return *cfg_; }
  void setConfig(std::shared_ptr<const config::Config> cfg) { cfg_ = std::move(cfg); }
  Clock& clock() { return clock_; }
  SteadyTime now() const { return clock_.steady(); }
  StateStore& store() { return store_; }
  spdlog::logger& log() { return *log_; }
  Facts& facts() { return facts_; }

  // Raises an incident at `dev`; the same key again within rules.cooldown folds here.
  void raise(const config::DeviceConfig& dev, const std::string& type, const std::string& key,
             nlohmann::json details, std::optional<whistle::Level> level = std::nullopt);
  // Raises as given (the rule decides about repeats).
  void raise(whistle::Incident inc);
  // Closes the incident with this key (a closing update goes out if it was open);
  // a new one with the key whistles at once.
  void clear(const std::string& key, const std::string& reason);

  // Wall-clock milliseconds persisted under `prefix`, as steady times: elapsed
  // = wall now - wall then, never negative (a clock set back must not make
  // anything "seen in the future").
  std::map<std::string, SteadyTime> restoreTimes(const std::string& prefix);
  void persistTime(const std::string& key) {
    store_.put(key, std::to_string(toUnixMillis(clock_.now())));
  }

  uint64_t incidents() const { return incidents_; }
  uint64_t cooled() const { return cooled_; }

 private:
  std::shared_ptr<const config::Config> cfg_;
  whistle::IncidentSink& sink_;
  Clock& clock_;
  StateStore& store_;
  std::shared_ptr<spdlog::logger> log_;
  Facts facts_;
  std::map<std::string, SteadyTime> last_raised_;
  uint64_t incidents_ = 0, cooled_ = 0;
};

class Rule {
 public:
  virtual ~Rule() = default;
  // An event from a configured device (the ingest checked that).
  virtual void onEvent(const Event& e, const config::DeviceConfig& dev) = 0;
  // About once a second.
  virtual void tick() {}
  // The context holds a new configuration snapshot (reload).
  virtual void reconfigure() {}
  // Adds this rule's figures to the engine's health.
  virtual void health(nlohmann::json& out) const { (void)out; }
};

// The registry: every rule, in the order they see each event.
struct RuleEntry {
  std::string name;  // also the key of its config section in Config::rules
  config::RuleSectionParser parse;
  std::function<std::unique_ptr<Rule>(Context&)> create;
};
const std::vector<RuleEntry>& ruleEntries();

// Makes every rule's keys valid under `rules:`. Call once at start-up, before
// loading a configuration (shaobingd, shaobing and tests do).
void registerRules();

// A rule's configuration in the context's snapshot; its defaults when the
// registry's sections were not registered.
template <class T>
const T& ruleConfig(const Context& ctx, const std::string& name) {
  static const T defaults;
  const T* c = ctx.config().rules.section<T>(name);
  return c != nullptr ? *c : defaults;
}

}  // namespace shaobing::rules
