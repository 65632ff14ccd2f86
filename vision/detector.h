// The seam between a camera and what watches it. A camera (vision/camera/)
// decodes each frame once, in the forms its detectors ask for, estimates the
// camera's own motion once, and hands both to every detector configured for
// it. A detector turns frames into findings; the camera adds the evidence
// (snapshot, clip) and raises the whistles. Adding a detector is one folder
// (vision/detectors/<name>/: config, detector, README, tests) and one line in
// vision/detectors/registry.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/cameras.h"
#include "config/config.h"
#include "gateway/whistle/incident.h"
#include "vision/camera/motion.h"
#include "vision/evidence/evidence.h"

namespace shaobing::vision {

// One frame of a camera, decoded lazily and at most once per form. A JPEG frame
// is decoded straight to grayscale or colour at 1/2, 1/4 of its size by the
// JPEG decoder itself; a raw frame (URL sources) is converted and resized.
// Not thread-safe: it lives on the camera's worker for one frame.
class CameraFrame {
 public:
  CameraFrame(double t, std::shared_ptr<const std::string> jpeg, cv::Size full);
  CameraFrame(double t, cv::Mat image);  // CV_8UC3 (BGR) or CV_8UC1

  double time() const { return t_; }
  cv::Size fullSize() const { return full_; }
  // CV_8UC1 at fullSize() / scale (scale 1, 2 or 4); empty when the frame cannot
  // be decoded to that size (error() says why).
  const cv::Mat& gray(int scale);
  // CV_8UC3 (BGR) at fullSize() / scale; empty on error.
  const cv::Mat& colour(int scale);
  // The encoded frame (JPEG frames), else null.
  const std::shared_ptr<const std::string>& jpeg() const { return jpeg_; }
  const std::string& error() const { return error_; }

 private:
  const cv::Mat& form(bool colour, int scale);

  double t_;
  std::shared_ptr<const std::string> jpeg_;
  cv::Mat image_;
  cv::Size full_;
  struct Form {
    bool colour;
    int scale;
    cv::Mat mat;
  };
  std::vector<Form> forms_;
  std::string error_;
};

// What a detector saw: an incident (type, level, details, folding key) and what
// the camera needs to document it.
struct Finding {
  whistle::Incident incident;
  double observed_at = 0;    // capture time the event began (the clip starts clip_pre before it)
  double decided_at = 0;     // capture time of the frame it was decided on
  SnapshotOverlay overlay;   // drawn on the frame for the snapshot
  std::string evidence_name = "event";  // file name prefix of the snapshot and clip
  long clip_ticket = 0;      // set by the evidence recorder: names the clip that will follow
};

// Everything a detector is built from.
struct DetectorContext {
  const config::Config& cfg;
  const config::CameraConfig& camera;
  const config::DetectorConfig& config;  // the detector's own subtree, as its registry entry parsed it
  cv::Size full_size;                    // of the camera's frames
  int scale_override = 0;                // > 0: analyse at this scale (replay --scale)
};

// One detector of one camera. Runs on the camera's worker thread only.
class Detector {
 public:
  virtual ~Detector() = default;
  // The registry key (also the camera YAML key), e.g. "thrown_object".
  virtual std::string name() const = 0;
  // The grayscale form it reads (scale 1, 2 or 4), or 0: the camera estimates its
  // motion on the finest form a detector reads anyway.
  virtual int grayScale() const { return 0; }
  // Judges one frame. `motion` (null when the camera is not stabilised) is in
  // full-resolution pixels: use rescaled() for another scale. Frames the
  // detector cannot use are skipped and counted by it.
  virtual std::vector<Finding> process(CameraFrame& frame, const GlobalMotion* motion) = 0;
  // End of input (end of a recording): judges what is open.
  virtual std::vector<Finding> flush(double t) = 0;
  // Figures for health and replay's summary.
  virtual nlohmann::json stats() const = 0;
  virtual size_t memoryBytes() const = 0;
};

// A detector's registration: its YAML key, its config parser and its factory.
struct DetectorEntry {
  std::string key;
  config::DetectorSectionParser parse;
  std::function<std::unique_ptr<Detector>(const DetectorContext&)> create;
};

}  // namespace shaobing::vision
