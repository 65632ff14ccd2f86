// One camera's evidence, shared by all its detectors: a ring of the recent
// encoded frames; for each finding a snapshot with the detector's overlay,
// written at once, and a clip from clip_pre before the event to clip_post after
// the decision, written once that post-roll is recorded or the camera falls
// silent. Retention by total size. One camera worker owns it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/cameras.h"
#include "vision/detector.h"
#include "vision/evidence/evidence.h"

namespace shaobing::vision {

struct EvidenceStats {
  long clips_written = 0;
  long clip_errors = 0;
  long snapshot_errors = 0;
};

class EvidenceRecorder {
 public:
  EvidenceRecorder(const config::VisionConfig& vision, std::string camera_id, size_t ring_max_bytes);

  void push(EncodedFrame frame) { ring_.push(std::move(frame)); }
  // Writes the snapshot of `finding` (on the frame nearest its decision) and
  // schedules its clip; adds both to the incident's evidence and details.
  void document(Finding& finding);
  // Writes the clips whose post-roll ended by `now` (all pending ones when `all`).
  void writeDue(double now, bool all);
  bool pending() const { return !pending_.empty(); }

  // Called after each clip file is complete: (clip path, sha256 hex).
  void onClip(std::function<void(const std::string&, const std::string&)> fn) { on_clip_ = std::move(fn); }

  const EvidenceStats& stats() const { return stats_; }
  const std::string& lastError() const { return last_error_; }
  size_t memoryBytes() const { return ring_.bytes() + ring_.size() * 64; }

 private:
  const config::VisionConfig& vision_;
  std::string camera_id_;
  FrameRing ring_;
  struct PendingClip {
    double from, to;
    std::string path;
  };
  std::vector<PendingClip> pending_;
  std::function<void(const std::string&, const std::string&)> on_clip_;
  EvidenceStats stats_;
  std::string last_error_;
  long sequence_ = 0;
};

}  // namespace shaobing::vision
