// The detectors a camera can run (vision/detectors/<name>/), by their YAML key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vision/detector.h"

namespace shaobing::vision {

// Every registered detector, in registration order.
const std::vector<DetectorEntry>& detectorEntries();

// Makes every detector's key valid in camera entries (config::registerDetectorSection).
// Call once at start-up, before loading a configuration; calling again is harmless.
void registerDetectors();

// Builds the detector registered as `key`; null for an unknown key.
std::unique_ptr<Detector> createDetector(const std::string& key, const DetectorContext& ctx);

}  // namespace shaobing::vision
