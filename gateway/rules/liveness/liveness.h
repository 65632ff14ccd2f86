// Devices gone silent: a device that sends nothing (not even a heartbeat) for
// longer than its heartbeat interval raises device_offline, cleared when it
// speaks again (README.md in this folder).
#pragma once

#include <map>
#include <string>

#include "gateway/rules/rule.h"

namespace shaobing::rules::liveness {

struct Config : config::RuleConfig {
  // rules.heartbeat.<kind>: the default interval per device kind (0 = not watched);
  // a device's own `heartbeat:` overrides it.
  std::map<std::string, double> heartbeat_s = {{"access", 600}, {"sensor", 900}, {"camera", 300}};
};

RuleEntry entry();

}  // namespace shaobing::rules::liveness
