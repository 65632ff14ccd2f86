// One camera's analysis: frames in (JPEG from MQTT, or decoded frames from a
// URL source), each decoded once per form its detectors need, the camera's own
// motion estimated once, every configured detector run, and each finding
// documented (snapshot now, clip once its post-roll is recorded). Used by the
// daemon's camera workers and by `shaobing replay`; not thread-safe (one
// worker per camera owns it).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "vision/camera/motion.h"
#include "vision/detector.h"
#include "vision/evidence/recorder.h"

namespace shaobing::vision {

struct PipelineOptions {
  bool evidence = true;               // snapshots and clips under vision.evidence_dir
  size_t ring_max_bytes = 24u << 20;  // encoded frames kept for clips
  int scale_override = 0;             // > 0: detectors analyse at this scale (replay --scale)
  ClipWriter* clip_writer = nullptr;  // shared clip encoding thread; null: clips written inline
  std::shared_ptr<ClipSource> clip_source;  // the camera's main stream (record_url); null: the analysed frames
};

struct PipelineStats {
  long frames = 0;
  long bad_frames = 0;  // undecodable or of the wrong size
  // Wall time spent per stage (seconds), for the benchmarks: decoding the
  // frame's first form, estimating the camera's motion, the detectors
  // (including any further forms they decode), and evidence (ring, snapshots).
  double decode_s = 0, motion_s = 0, detect_s = 0, evidence_s = 0;
};

class CameraPipeline {
 public:
  // Builds the camera's detectors from the registry (vision/detectors/registry.h)
  // once the first frame gives the camera's size.
  CameraPipeline(const config::Config& cfg, const config::CameraConfig& camera, PipelineOptions options);
  ~CameraPipeline();

  // A JPEG frame captured at `t` (seconds; epoch seconds in the daemon, video time
  // in replay). Returns the findings made on it, documented. Bad frames are
  // counted and skipped; nothing is decoded for a camera without detectors.
  std::vector<Finding> pushJpeg(std::shared_ptr<const std::string> jpeg, double t);
  // A decoded BGR or grayscale frame at full resolution (video files, RTSP). It is
  // JPEG-encoded for the clip ring only when evidence is on.
  std::vector<Finding> pushFrame(const cv::Mat& frame, double t);
  // End of input: judge what is open and write pending clips with what there is.
  std::vector<Finding> finish(double t);
  // No frame for a while: writes the clips whose post-roll ended before `now`
  // (same clock as frame times) with the frames there are.
  void idle(double now);

  // Each clip once written (or failed), with the clip_ticket of its finding.
  void onClip(EvidenceRecorder::ClipDone fn) { evidence_.onClip(std::move(fn)); }

  bool hasDetectors() const { return !camera_.detectors.empty(); }
  const std::vector<std::unique_ptr<Detector>>& detectors() const { return detectors_; }
  const MotionEstimator* motion() const { return motion_.get(); }
  const PipelineStats& stats() const { return stats_; }
  EvidenceStats evidenceStats() const { return evidence_.stats(); }
  std::string evidenceError() const { return evidence_.lastError(); }
  size_t memoryBytes() const;
  // The last problem with a frame.
  const std::string& lastError() const { return last_error_; }

 private:
  std::vector<Finding> analyse(CameraFrame& frame);
  bool ensureDetectors(cv::Size full);

  const config::Config& cfg_;
  config::CameraConfig camera_;
  PipelineOptions options_;
  cv::Size full_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::unique_ptr<MotionEstimator> motion_;
  int motion_scale_ = 1;  // frames the motion is estimated on: full / this
  EvidenceRecorder evidence_;
  PipelineStats stats_;
  std::string last_error_;
};

}  // namespace shaobing::vision
