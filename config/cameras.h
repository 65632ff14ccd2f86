// The `cameras:` and `vision:` sections: video cameras analysed on the box
// (frame source, facade calibration for objects thrown from height) and where
// their evidence is kept (docs/vision.md, docs/configuration.md).
#pragma once

#include <array>
#include <functional>
#include <memory>
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

struct CameraConfig;

// The configuration of one detector of a camera. Each detector parses its own
// subtree of the camera entry (vision/detectors/<name>/config.cc) into a
// subclass of this; the camera keeps it by the subtree's key.
struct DetectorConfig {
  virtual ~DetectorConfig() = default;
  bool enabled = true;
};

// Parses a detector's subtree; problems go to the reader's diagnostics (with
// FILE:LINE:COL). `camera` holds everything parsed before the detectors
// (calibration, masks). Null: the subtree was unusable.
using DetectorSectionParser =
    std::function<std::shared_ptr<const DetectorConfig>(MapReader& section, const CameraConfig& camera)>;

// Makes `key` a valid key of camera entries, parsed by `parser`. Called at
// start-up by vision::registerDetectors() (the detector registry), before any
// configuration is loaded; registering a key again replaces its parser.
void registerDetectorSection(const std::string& key, DetectorSectionParser parser);

struct CameraConfig {
  std::string id;
  std::string source = "mqtt";  // mqtt | url
  std::string url;              // source url: rtsp://, http://, a file path
  // NVR-style separate streams (source: url): a low-resolution sub-stream the
  // detectors analyse, and the main stream clips are cut from without decoding.
  std::string detect_url;
  std::string record_url;
  std::string grid;
  std::string zone;
  Location location;
  double offline_after_s = 30;  // no frame for this long: device_offline
  int queue_frames = 50;        // frames waiting for analysis; the oldest is dropped beyond
  bool stabilise = true;        // estimate and compensate camera shake before detection
  // Shared by every detector of the camera: the facade calibration (metres,
  // floors) and the regions no detector looks at.
  std::optional<FacadeCalibration> calibration;
  std::vector<Polygon> masks;
  // Detector subtrees by key (thrown_object, ...), in the registry's order.
  std::vector<std::pair<std::string, std::shared_ptr<const DetectorConfig>>> detectors;
  int line = 0;
  std::string yaml;  // the entry as written (normalised): tells a changed camera on reload

  // The stream the detectors analyse (url sources).
  const std::string& analysisUrl() const { return detect_url.empty() ? url : detect_url; }
  // The stream clips are cut from; empty: clips come from the analysed frames.
  std::string recordUrl() const { return !record_url.empty() ? record_url : detect_url.empty() ? "" : url; }

  // The configuration of the detector `key` as its own type, or null.
  template <class T>
  const T* detector(const std::string& key) const {
    for (const auto& [k, d] : detectors) {
      if (k == key) return dynamic_cast<const T*>(d.get());
    }
    return nullptr;
  }
};

struct VisionConfig {
  std::string evidence_dir;            // default <state_dir>/vision
  long long evidence_max_bytes = 2LL * 1024 * 1024 * 1024;  // snapshots + clips, oldest deleted first
  double clip_pre_s = 5;
  double clip_post_s = 5;
  int snapshot_quality = 90;
  std::string clip_format = "mp4";  // mp4: H.264 a browser plays; avi: the JPEG frames as they came (MJPEG)
  int clip_crf = 27;                // H.264 constant quality of mp4 clips (lower: better, bigger)
  bool operator==(const VisionConfig&) const = default;
};

struct Config;
void parseCameras(MapReader& root, Config& cfg);

// The calibration keys (image_points, facade_points_m, floor_height_m, floors)
// of a `calibration:` map; false when any is missing or invalid.
bool parseFacadeCalibration(MapReader& k, FacadeCalibration& out);

}  // namespace shaobing::config
