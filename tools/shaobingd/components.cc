// The composition root: the one place that lists what the daemon runs.
// Adding a component is one line here; gateway/ itself knows none of them
// beyond its core (whistle queue, device ingest).
#include "tools/shaobingd/components.h"

#include "vision/component.h"

namespace shaobing {

std::vector<std::unique_ptr<Component>> buildDaemonComponents(ServiceContext& ctx, const config::Config& cfg) {
  std::vector<std::unique_ptr<Component>> out = buildCoreComponents(ctx, cfg);
  if (auto vision = vision::createVision(ctx, cfg)) out.push_back(std::move(vision));
  return out;
}

}  // namespace shaobing
