// E-bike charging recognised by its load signature (入户充电 / 飞线充电) in the
// power readings of smart sockets and household meters in no-charging zones
// (README.md in this folder; the classifier is signature.h).
#pragma once

#include <string>
#include <vector>

#include "gateway/rules/charging_load/signature.h"
#include "gateway/rules/rule.h"

namespace shaobing::rules::charging_load {

struct Config : config::RuleConfig {
  std::vector<std::string> no_charging_zones;  // rules.charging_load.no_charging_zones
  charging::SignatureParams signature;         // min_w, max_w, confirm
  config::DailyWindow night{22 * 60, 6 * 60};
  whistle::Level level = whistle::Level::kPriority;         // by day
  whistle::Level night_level = whistle::Level::kEmergency;  // at night
};

RuleEntry entry();

}  // namespace shaobing::rules::charging_load
