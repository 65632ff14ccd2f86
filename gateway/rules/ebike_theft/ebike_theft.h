// Suspected e-bike theft: an e-bike leaves a watched shed at night and no
// credential to go with it appears at the shed's gates within the window;
// with the bike's own tag and its registered owner, a grant to someone else
// does not clear it (README.md in this folder).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/rules/rule.h"

namespace shaobing::rules::ebike_theft {

struct Owner {
  std::string person;                    // the owner's person id in access events
  std::vector<std::string> credentials;  // the owner's cards / face ids
};

struct Config : config::RuleConfig {
  std::vector<std::string> shed_zones;  // rules.ebike_theft.shed_zones
  std::vector<std::string> gates;       // rules.ebike_theft.gates: access devices at the shed gates
  config::DailyWindow night{22 * 60, 6 * 60};
  double window_s = 120;                // a grant this close before or after clears it
  std::map<std::string, Owner> owners;  // rules.ebike_theft.owners: tag -> owner
};

RuleEntry entry();

}  // namespace shaobing::rules::ebike_theft
