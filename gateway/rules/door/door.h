// Doors: forced, held open, tampered with, tailgated, and restricted doors
// opened outside their hours (README.md in this folder).
#pragma once

#include <map>

#include "gateway/rules/rule.h"

namespace shaobing::rules::door {

struct Config : config::RuleConfig {
  double held_open_s = 120;                          // rules.door_held_open
  std::map<std::string, config::DailyWindow> restricted;  // rules.restricted: device -> allowed hours
};

RuleEntry entry();

}  // namespace shaobing::rules::door
