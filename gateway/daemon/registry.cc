// The core components; the full list is the composition root's
// (tools/shaobingd/components.cc).
#include "gateway/daemon/registry.h"

#include "gateway/ingest/ingest.h"
#include "gateway/whistle/queue.h"

namespace shaobing {

std::vector<std::unique_ptr<Component>> buildCoreComponents(ServiceContext& ctx, const config::Config& cfg) {
  std::vector<std::unique_ptr<Component>> out;
  out.push_back(whistle::createWhistleQueue(ctx, cfg));  // first: sets ctx.incidents
  out.push_back(ingest::createIngest(ctx, cfg));
  return out;
}

}  // namespace shaobing
