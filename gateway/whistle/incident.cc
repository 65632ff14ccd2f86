// Level names; see incident.h.
#include "gateway/whistle/incident.h"

namespace shaobing::whistle {

const char* toString(Level level) {
  switch (level) {
    case Level::kRoutine:
      return "routine";
    case Level::kPriority:
      return "priority";
    case Level::kEmergency:
      return "emergency";
  }
  return "routine";
}

std::optional<Level> parseLevel(const std::string& text) {
  if (text == "routine") return Level::kRoutine;
  if (text == "priority") return Level::kPriority;
  if (text == "emergency") return Level::kEmergency;
  return std::nullopt;
}

}  // namespace shaobing::whistle
