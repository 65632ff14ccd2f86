// Objects thrown from height (高空抛物) as a camera detector: the FallDetector's
// decisions become `thrown_object` findings with the floor of origin, a level
// from their confidence, and the trajectory for the snapshot (README.md).
#pragma once

#include <nlohmann/json.hpp>

#include "vision/detector.h"
#include "vision/detectors/thrown_object/fall_detector.h"

namespace shaobing::vision {

// The registry entry: key `thrown_object`.
DetectorEntry thrownObjectEntry();

// The `details` of a thrown_object whistle for a decision (times on the
// capture clock: epoch seconds in the daemon, video seconds in replay).
nlohmann::json thrownObjectDetails(const FallDecision& d, const std::string& camera_id);

}  // namespace shaobing::vision
