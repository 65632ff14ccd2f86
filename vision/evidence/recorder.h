// One camera's evidence, shared by all its detectors: a ring of the recent
// encoded frames; for each finding a snapshot with the detector's overlay,
// written at once, and a clip from clip_pre before the event to clip_post after
// the decision, written once that post-roll is recorded or the camera falls
// silent (then with the last frames received) — from the ring, or cut from the
// camera's main stream when it has one (ClipSource). Clips go to a ClipWriter (the
// daemon's shared, lower-priority encoding thread) or, without one, are written
// on the caller's thread (replay). Retention by total size after each clip.
// One camera worker owns it; the clip callback and the statistics are safe to
// use from the writer thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "config/cameras.h"
#include "vision/detector.h"
#include "vision/camera/stream_recorder.h"
#include "vision/evidence/clip_writer.h"
#include "vision/evidence/evidence.h"

namespace shaobing::vision {

struct EvidenceStats {
  long clips_written = 0;
  long clip_errors = 0;      // clips not written (no frames, disk, writer queue full)
  long clip_fallbacks = 0;   // MP4 wanted, MJPEG AVI written
  long snapshot_errors = 0;
};

class EvidenceRecorder {
 public:
  // Called once per clip, when it is written or has failed, with the ticket its
  // finding was given by document(). Runs on the writer's thread when there is one.
  using ClipDone = std::function<void(long ticket, const ClipResult&)>;

  // `clips`: where clips are cut from (a camera's main stream) instead of the
  // ring of analysed frames, which then only serves snapshots (2 s).
  EvidenceRecorder(const config::VisionConfig& vision, std::string camera_id, size_t ring_max_bytes,
                   ClipWriter* writer = nullptr, std::shared_ptr<ClipSource> clips = nullptr);
  // Waits for its clips still with the writer (their callbacks use it).
  ~EvidenceRecorder();
  EvidenceRecorder(const EvidenceRecorder&) = delete;
  EvidenceRecorder& operator=(const EvidenceRecorder&) = delete;

  void push(EncodedFrame frame) { ring_.push(std::move(frame)); }
  // Writes the snapshot of `finding` (on the frame nearest its decision), adds
  // it to the incident's evidence and schedules the clip, whose span and
  // expected path go into details.clip; sets finding.clip_ticket.
  void document(Finding& finding);
  // Hands over the clips whose post-roll ended by `now` (all pending ones when `all`).
  void writeDue(double now, bool all);
  bool pending() const { return !pending_.empty(); }

  void onClip(ClipDone fn) { on_clip_ = std::move(fn); }

  EvidenceStats stats() const;
  std::string lastError() const;
  size_t memoryBytes() const { return ring_.bytes() + ring_.size() * 64; }

 private:
  void finished(long ticket, const ClipResult& r);
  void setError(std::string e);

  const config::VisionConfig& vision_;
  std::string camera_id_;
  ClipWriter* writer_;
  std::shared_ptr<ClipSource> source_;
  ClipFormat format_;
  FrameRing ring_;
  struct PendingClip {
    double from, to;
    std::string base;
    long ticket;
  };
  std::vector<PendingClip> pending_;
  ClipDone on_clip_;
  std::atomic<long> clips_written_{0}, clip_errors_{0}, clip_fallbacks_{0}, snapshot_errors_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  int jobs_out_ = 0;  // clips handed to the writer, not yet finished
  long sequence_ = 0;
};

}  // namespace shaobing::vision
