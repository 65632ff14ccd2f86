// The `cameras:` and `vision:` sections: video cameras analysed on the box
// (frame source, facade calibration for objects thrown from height) and where
// their evidence is kept (docs/vision.md, docs/configuration.md).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/location.h"
#include "config/reader.h"

namespace shaobing::config {

using Point2 = std::pair<double, double>;
using Polygon = std::vector<Point2>;

// Four image↔facade correspondences. Image points are pixels in the camera's
// full resolution; facade points are (metres along the facade, metres above
// the ground). Floor 1 is the ground floor.
struct FacadeCalibration {
  std::array<Point2, 4> image_points{};
  std::array<Point2, 4> facade_points_m{};
  double floor_height_m = 3.0;
  int floors = 0;
};

struct ThrownObjectConfig {
  bool enabled = true;
  FacadeCalibration calibration;
  Polygon detect_area;          // empty: the facade (floors × calibrated width)
  std::vector<Polygon> masks;   // shielded regions (lights, trees)
  double column_width_m = 0;    // > 0: report a window column, numbered from x = column_origin_m
  double column_origin_m = 0;
  int min_floor = 2;            // falls starting below this floor do not whistle
  int analysis_scale = 1;       // analyse at full resolution / this (1, 2 or 4)
};

struct CameraConfig {
  std::string id;
  std::string source = "mqtt";  // mqtt | url
  std::string url;              // source url: rtsp://, http://, a file path
  std::string grid;
  std::string zone;
  Location location;
  double offline_after_s = 30;  // no frame for this long: device_offline
  int queue_frames = 50;        // frames waiting for analysis; the oldest is dropped beyond
  std::optional<ThrownObjectConfig> thrown_object;
  int line = 0;
};

struct VisionConfig {
  std::string evidence_dir;            // default <state_dir>/vision
  long long evidence_max_bytes = 2LL * 1024 * 1024 * 1024;  // snapshots + clips, oldest deleted first
  double clip_pre_s = 5;
  double clip_post_s = 5;
  int snapshot_quality = 90;
};

struct Config;
void parseCameras(MapReader& root, Config& cfg);

}  // namespace shaobing::config
