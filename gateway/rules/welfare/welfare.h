// Welfare of residents who live alone (关爱独居老人): each watched resident has
// signals of daily life — water used (a water meter), a door opened (a door
// contact or door controller), their own access events — each with a window
// and a threshold. When all (or any, as configured) of them stay silent, a
// priority whistle goes to the resident's grid worker; it is closed as soon as
// any signal shows life again. State survives restarts (README.md here).
#pragma once

#include <string>
#include <vector>

#include "gateway/rules/rule.h"

namespace shaobing::rules::welfare {

enum class SignalKind { kWater, kDoor, kAccess };
const char* toString(SignalKind k);

struct Signal {
  SignalKind kind = SignalKind::kAccess;
  std::string device;     // water meter, door contact or door; access: empty = any door
  double within_s = 24 * 3600.0;
  double under = 1;       // silent when less than this in the window: litres, or events (1)
};

struct Resident {
  std::string id;         // as access events name the person
  std::string name;
  std::string grid;
  std::vector<Signal> signals;
  bool all = true;        // all signals must be silent (false: any one)
  bool has_quiet = false;
  config::DailyWindow quiet;  // no whistle in these hours: it goes out when they end
};

struct Config : config::RuleConfig {
  std::vector<Resident> residents;  // rules.welfare.residents (+ the older rules.resident_inactive)
};

RuleEntry entry();

}  // namespace shaobing::rules::welfare
