// The one place that lists what the daemon runs. Adding a component is one
// line here.
#include "gateway/daemon/registry.h"

namespace shaobing {

std::vector<std::unique_ptr<Component>> buildComponents(ServiceContext& /*ctx*/,
                                                        const config::Config& /*cfg*/) {
  std::vector<std::unique_ptr<Component>> out;
  return out;
}

}  // namespace shaobing
