// The one list of detectors. Adding a detector is one line here (and its folder).
#include "vision/detectors/registry.h"

#include "vision/detectors/thrown_object/thrown_object.h"

namespace shaobing::vision {

const std::vector<DetectorEntry>& detectorEntries() {
  static const std::vector<DetectorEntry> entries = {
      thrownObjectEntry(),
  };
  return entries;
}

void registerDetectors() {
  for (const auto& e : detectorEntries()) config::registerDetectorSection(e.key, e.parse);
}

std::unique_ptr<Detector> createDetector(const std::string& key, const DetectorContext& ctx) {
  for (const auto& e : detectorEntries()) {
    if (e.key == key) return e.create(ctx);
  }
  return nullptr;
}

}  // namespace shaobing::vision
