// The `thrown_object:` subtree of a camera entry (docs/vision.md): where on the
// facade to look, what to ignore, and how confident a fall must be for each
// whistle level.
#pragma once

#include <memory>

#include "config/cameras.h"
#include "vision/camera/facade.h"

namespace shaobing::vision {

struct ThrownObjectConfig : config::DetectorConfig {
  // Its own `calibration:` or, without one, the camera's (`cameras[].calibration`).
  config::FacadeCalibration calibration;
  config::Polygon detect_area;          // empty: the facade (floors × calibrated width)
  std::vector<config::Polygon> masks;   // shielded regions (lights, trees); the camera's masks included
  double column_width_m = 0;            // > 0: report a window column, numbered from x = column_origin_m
  double column_origin_m = 0;
  int min_floor = 2;                    // falls starting below this floor do not whistle
  int analysis_scale = 1;               // analyse at full resolution / this (1, 2 or 4)
  // The whistle's level follows the decision's confidence: at least
  // emergency_confidence → emergency; at least priority_confidence → priority
  // ("suspected, please review the clip"); below → no whistle.
  double emergency_confidence = 0.55;
  double priority_confidence = 0.35;

  Facade facade() const { return Facade(calibration, detect_area, column_width_m, column_origin_m); }
};

// The section parser registered for `thrown_object` (vision/detectors/registry.cc).
std::shared_ptr<const config::DetectorConfig> parseThrownObjectConfig(config::MapReader& r,
                                                                      const config::CameraConfig& camera);

}  // namespace shaobing::vision
