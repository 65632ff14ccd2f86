// Smoke alarms: an emergency while the detector alarms, closed when it says
// `alarm: false`; a charging load in the same zone or building is named in
// the details (README.md in this folder).
#pragma once

#include "gateway/rules/rule.h"

namespace shaobing::rules::smoke {

RuleEntry entry();

}  // namespace shaobing::rules::smoke
