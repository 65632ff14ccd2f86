// Where a device or camera is: building, unit, floor, free text.
#pragma once

#include <optional>
#include <string>

namespace shaobing::config {

struct Location {
  std::string building;
  std::string unit;
  std::optional<int> floor;
  std::string text;  // free text, e.g. "B3 east gate"
};

}  // namespace shaobing::config
