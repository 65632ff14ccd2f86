// The one place that lists what the daemon runs. Adding a component is one
// line here.
#include "gateway/daemon/registry.h"

#include "gateway/ingest/ingest.h"
#include "gateway/whistle/queue.h"
#include "vision/component.h"

namespace shaobing {

std::vector<std::unique_ptr<Component>> buildComponents(ServiceContext& ctx, const config::Config& cfg) {
  std::vector<std::unique_ptr<Component>> out;
  out.push_back(whistle::createWhistleQueue(ctx, cfg));  // first: sets ctx.incidents
  out.push_back(ingest::createIngest(ctx, cfg));
  if (auto vision = vision::createVision(ctx, cfg)) out.push_back(std::move(vision));
  return out;
}

}  // namespace shaobing
