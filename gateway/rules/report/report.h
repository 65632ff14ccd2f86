// People's reports (随手拍): each report (drivers/shaobing_report_v1) becomes a
// `reported_hazard` whistle at the level the reporter chose, with its photo as
// evidence; the same reporter and report_id fold into one (README.md here).
#pragma once

#include "gateway/rules/rule.h"

namespace shaobing::rules::report {

RuleEntry entry();

}  // namespace shaobing::rules::report
