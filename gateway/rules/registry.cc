// The rule registry: every rule, one line each, in the order they see each
// event. A new rule is a folder under gateway/rules/ and one line here.
// Devices gone silent are not a rule: the daemon's liveness watch judges every
// source (gateway/daemon/liveness.h).
#include "gateway/rules/charging_load/charging_load.h"
#include "gateway/rules/door/door.h"
#include "gateway/rules/ebike_theft/ebike_theft.h"
#include "gateway/rules/ebike_zones/ebike_zones.h"
#include "gateway/rules/report/report.h"
#include "gateway/rules/rule.h"
#include "gateway/rules/smoke/smoke.h"
#include "gateway/rules/stranger/stranger.h"
#include "gateway/rules/welfare/welfare.h"

namespace shaobing::rules {

const std::vector<RuleEntry>& ruleEntries() {
  static const std::vector<RuleEntry> entries = {
      door::entry(),           // before ebike_theft: it posts the gates' grants
      stranger::entry(),
      welfare::entry(),
      charging_load::entry(),  // before smoke: it posts open charging loads
      smoke::entry(),
      ebike_zones::entry(),
      ebike_theft::entry(),
      report::entry(),
  };
  return entries;
}

void registerRules() {
  for (const auto& e : ruleEntries()) {
    if (e.parse) config::registerRuleSection(e.name, e.parse);
  }
}

}  // namespace shaobing::rules
