// Builds the daemon's components from the configuration, in start order.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "gateway/daemon/component.h"

namespace shaobing {

// Throws std::runtime_error when a component cannot start (e.g. the state
// directory is unusable); the daemon exits 1 with that message.
std::vector<std::unique_ptr<Component>> buildComponents(ServiceContext& ctx,
                                                        const config::Config& cfg);

}  // namespace shaobing
