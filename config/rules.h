// The `ingest:` and `rules:` sections: limits on device input and the
// incident rules run on the normalized event stream (docs/configuration.md).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/reader.h"

namespace shaobing::config {

struct IngestConfig {
  long long max_payload_bytes = 64 * 1024;
  long long max_report_bytes = 12LL * 1024 * 1024;  // people's reports carry a photo
  double max_clock_skew_s = 3600;  // device timestamps further off are rejected
};

// A daily window in local time, "07:00-19:00"; may wrap midnight ("22:00-06:00").
struct DailyWindow {
  int start_min = 0;
  int end_min = 0;
  bool contains(int minute_of_day) const;
};
bool parseDailyWindow(const std::string& text, DailyWindow& out);
// Reads `key` as a daily window into `out`; a malformed one is reported.
void readDailyWindow(MapReader& r, const std::string& key, DailyWindow& out);

// A rule's own settings, parsed from its keys under `rules:` by the parser the
// rule registered (gateway/rules/<rule>/, registry gateway/rules/registry.cc).
struct RuleConfig {
  virtual ~RuleConfig() = default;
};
struct Config;
// Reads the rule's keys from the `rules:` mapping (absent keys: defaults).
using RuleSectionParser = std::function<std::shared_ptr<const RuleConfig>(MapReader& rules, const Config& cfg)>;
// Registers a rule's parser; called at start-up by rules::registerRules(),
// before any configuration is loaded. Registering a name again replaces it.
void registerRuleSection(const std::string& name, RuleSectionParser parser);

struct RulesConfig {
  double cooldown_s = 600;  // the same incident is not whistled again within this
  // rules.heartbeat: how long a device of each kind may stay silent (its own
  // `heartbeat:` overrides; 0 = not watched). Judged by the liveness watch.
  std::map<std::string, double> heartbeat_default_s = {{"access", 600}, {"sensor", 900}, {"camera", 300}};
  // Every registered rule's settings, by rule name, in the registry's order.
  std::vector<std::pair<std::string, std::shared_ptr<const RuleConfig>>> sections;

  template <class T>
  const T* section(const std::string& name) const {
    for (const auto& [n, c] : sections) {
      if (n == name) return dynamic_cast<const T*>(c.get());
    }
    return nullptr;
  }
};

void parseIngestAndRules(MapReader& root, Config& cfg);

}  // namespace shaobing::config
