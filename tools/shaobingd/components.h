// The daemon's components, in start order (see components.cc).
#pragma once

#include "gateway/daemon/registry.h"

namespace shaobing {

std::vector<std::unique_ptr<Component>> buildDaemonComponents(ServiceContext& ctx, const config::Config& cfg);

}  // namespace shaobing
