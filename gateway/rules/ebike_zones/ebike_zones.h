// E-bikes seen by a camera's own analytics in an elevator or corridor zone
// (README.md in this folder).
#pragma once

#include <string>
#include <vector>

#include "gateway/rules/rule.h"

namespace shaobing::rules::ebike_zones {

struct Config : config::RuleConfig {
  std::vector<std::string> elevator;  // rules.ebike_zones.elevator
  std::vector<std::string> corridor;  // rules.ebike_zones.corridor
};

RuleEntry entry();

}  // namespace shaobing::rules::ebike_zones
