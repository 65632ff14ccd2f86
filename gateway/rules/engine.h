// The rule engine runs every registered rule (gateway/rules/registry.cc, one
// folder per rule: doors, strangers, welfare, device liveness, charging loads,
// smoke alarms, e-bike zones and theft) on the normalized event stream. Each
// raises incidents on an IncidentSink with a stable incident key, so repeats
// fold.
//
// Threading: single-threaded (the ingest component's rules thread). Time: only through
// the Clock; intervals are judged on the steady clock, so wall-clock jumps
// do not fire or suppress rules; wall times are persisted so state survives
// restarts.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>

#include "config/config.h"
#include "gateway/core/event.h"
#include "gateway/core/clock.h"
#include "gateway/rules/state_store.h"
#include "gateway/whistle/incident.h"

namespace shaobing::rules {

class RuleEngine {
 public:
  virtual ~RuleEngine() = default;
  // An event from a configured device (the ingest checked that).
  virtual void onEvent(const Event& e) = 0;
  // Time-based rules; call about once a second.
  virtual void tick() = 0;
  virtual nlohmann::json health() const = 0;
  // A new configuration snapshot (reload): devices, residents and rule
  // settings change; what the rules have seen so far is kept.
  virtual void reconfigure(std::shared_ptr<const config::Config> next) = 0;
};

// `cfg` (until the first reconfigure), `sink`, `clock` and `store` must outlive the engine.
std::unique_ptr<RuleEngine> createRuleEngine(const config::Config& cfg, whistle::IncidentSink& sink,
                                             Clock& clock, StateStore& store);

}  // namespace shaobing::rules
