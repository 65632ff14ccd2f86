// Parses `cameras[].thrown_object` (see config.h).
#include "vision/detectors/thrown_object/config.h"

namespace shaobing::vision {

std::shared_ptr<const config::DetectorConfig> parseThrownObjectConfig(config::MapReader& r,
                                                                      const config::CameraConfig& camera) {
  auto t = std::make_shared<ThrownObjectConfig>();
  r.boolean("enabled", t->enabled);
  if (YAML::Node cn = r.child("calibration"); cn.IsDefined()) {
    config::MapReader k(cn, r.pathOf("calibration"), r.diagnostics());
    config::parseFacadeCalibration(k, t->calibration);
  } else if (camera.calibration) {
    t->calibration = *camera.calibration;
  } else {
    r.error("calibration", "required: a facade calibration here or in the camera entry (cameras[].calibration)");
  }
  if (YAML::Node a = r.child("detect_area"); a.IsDefined()) {
    t->detect_area = config::readPolygon(a, r.pathOf("detect_area"), r.diagnostics(), 3);
  }
  t->masks = camera.masks;
  config::forEachItem(r.child("masks"), r.pathOf("masks"), r.diagnostics(),
                      [&](const YAML::Node& item, const std::string& path) {
                        auto poly = config::readPolygon(item, path, r.diagnostics(), 3);
                        if (poly.size() >= 3) t->masks.push_back(std::move(poly));
                      });
  r.number("column_width_m", t->column_width_m, 0.5, 50);
  r.number("column_origin_m", t->column_origin_m, -1000, 1000);
  r.integer("min_floor", t->min_floor, 1, 300);
  if (r.integer("analysis_scale", t->analysis_scale, 1, 4) && t->analysis_scale == 3) {
    r.error("analysis_scale", "must be 1, 2 or 4");
  }
  r.number("emergency_confidence", t->emergency_confidence, 0, 1);
  r.number("priority_confidence", t->priority_confidence, 0, 1);
  if (t->priority_confidence > t->emergency_confidence) {
    r.error("priority_confidence",
            "must not exceed emergency_confidence (" + std::to_string(t->emergency_confidence) + ")");
  }
  return t;
}

}  // namespace shaobing::vision
