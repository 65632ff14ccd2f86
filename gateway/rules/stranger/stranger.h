// Repeated strangers: K denied attempts by unknown or blocklisted people at
// one door, or across the doors of one building, within a window (README.md).
#pragma once

#include "gateway/rules/rule.h"

namespace shaobing::rules::stranger {

struct Config : config::RuleConfig {
  int attempts = 3;        // rules.stranger_repeated.attempts
  double window_s = 600;   // rules.stranger_repeated.window
};

RuleEntry entry();

}  // namespace shaobing::rules::stranger
