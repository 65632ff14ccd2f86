// One camera's thrown-object pipeline: JPEG (or raw) frames in, decode at the
// analysis resolution, detect, and for each decision build the incident with
// its evidence (snapshot now, clip once the post-roll has been recorded).
// Used by the daemon's camera workers and by `shaobing replay`; not
// thread-safe (one worker per camera owns it).
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/whistle/incident.h"
#include "vision/evidence/evidence.h"
#include "vision/thrown/detector.h"

namespace shaobing::vision {

struct PipelineOptions {
  DetectorParams detector;      // detector.scale 0: the camera's thrown_object.analysis_scale
  bool evidence = true;          // snapshots and clips under vision.evidence_dir
  size_t ring_max_bytes = 24u << 20;  // encoded frames kept for clips
};

// A decision with everything a whistle needs.
struct ThrownObjectEvent {
  FallDecision decision;
  whistle::Incident incident;    // type thrown_object, details (clip path), snapshot evidence
};

struct PipelineStats {
  long frames = 0;
  long bad_frames = 0;     // undecodable or of the wrong size
  long clips_written = 0;
  long clip_errors = 0;
  long snapshot_errors = 0;
};

class ThrownObjectPipeline {
 public:
  ThrownObjectPipeline(const config::Config& cfg, const config::CameraConfig& camera, PipelineOptions options);
  ~ThrownObjectPipeline();

  // A JPEG frame captured at `t` (seconds; epoch seconds in the daemon, video time in
  // replay). Returns the decisions made on it. Bad frames are counted and skipped;
  // nothing is decoded for a camera without thrown-object detection.
  std::vector<ThrownObjectEvent> pushJpeg(std::shared_ptr<const std::string> jpeg, double t);
  // A decoded BGR or grayscale frame at full resolution (video files, RTSP). It is
  // JPEG-encoded for the clip ring only when evidence is on.
  std::vector<ThrownObjectEvent> pushFrame(const cv::Mat& frame, double t);
  // End of input: judge the open tracks and write pending clips with what there is.
  std::vector<ThrownObjectEvent> finish(double t);

  // No frame for a while: writes the clips whose post-roll ended before `now`
  // (same clock as frame times) with the frames there are.
  void idle(double now);

  // Called after each clip file is complete: (clip path, sha256 hex).
  void onClip(std::function<void(const std::string&, const std::string&)> fn) { on_clip_ = std::move(fn); }

  const PipelineStats& stats() const { return stats_; }
  const FallDetector* detector() const { return detector_.get(); }
  size_t memoryBytes() const;
  const std::string& lastError() const { return last_error_; }

 private:
  std::vector<ThrownObjectEvent> analyse(const cv::Mat& gray, double t, std::shared_ptr<const std::string> jpeg);
  bool detects() const { return camera_.thrown_object && camera_.thrown_object->enabled; }
  bool ensureDetector(cv::Size full);
  ThrownObjectEvent build(FallDecision d, double t);
  void writeDueClips(double t, bool all);

  const config::Config& cfg_;
  config::CameraConfig camera_;
  PipelineOptions options_;
  std::unique_ptr<FallDetector> detector_;
  cv::Size full_;
  FrameRing ring_;
  struct PendingClip {
    double from, to;
    std::string path;
  };
  std::vector<PendingClip> pending_;
  std::function<void(const std::string&, const std::string&)> on_clip_;
  PipelineStats stats_;
  std::string last_error_;
  long sequence_ = 0;
};

// The `details` of a thrown_object whistle for a decision (times on the
// capture clock: epoch seconds in the daemon, video seconds in replay).
nlohmann::json thrownObjectDetails(const FallDecision& d, const std::string& camera_id);

}  // namespace shaobing::vision
