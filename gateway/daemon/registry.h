// The seam between the daemon core and what it runs: the composition root
// (tools/shaobingd/components.cc, linked only into shaobingd) decides which
// components exist; the core builds them through this function type.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "gateway/daemon/component.h"

namespace shaobing {

// Builds the daemon's components from the configuration, in start order.
// Throws std::runtime_error when a component cannot start (e.g. the state
// directory is unusable); the daemon exits 1 with that message.
using ComponentFactory =
    std::function<std::vector<std::unique_ptr<Component>>(ServiceContext& ctx, const config::Config& cfg)>;

// The components every gateway runs (whistle queue, device ingest), in start
// order; the composition root appends its own.
std::vector<std::unique_ptr<Component>> buildCoreComponents(ServiceContext& ctx, const config::Config& cfg);

}  // namespace shaobing
