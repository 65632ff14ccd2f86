// Names the calling thread, so that `top -H`, `ps -L`, /proc/<pid>/task/*/comm
// and core dumps show which part of the daemon a thread belongs to.
#pragma once

#include <string>

namespace shaobing {

// Linux keeps the first 15 bytes; longer names are cut there.
void nameThisThread(const std::string& name);

}  // namespace shaobing
