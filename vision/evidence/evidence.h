// Evidence of a camera incident: a ring buffer of the camera's recent encoded
// frames, a clip written from it (N s before to N s after the decision), a
// snapshot with the trajectory drawn, and retention of the evidence directory
// by total size.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace shaobing::vision {

// One encoded (JPEG) frame and its capture time in seconds (any epoch, monotonic per camera).
struct EncodedFrame {
  double t = 0;
  std::shared_ptr<const std::string> jpeg;
};

// Keeps the frames of the last `span_s` seconds, and at most `max_bytes` of them
// (oldest dropped first). Not thread-safe: one camera worker owns it.
class FrameRing {
 public:
  FrameRing(double span_s, size_t max_bytes);
  void push(EncodedFrame frame);
  // Frames with t in [from, to], oldest first.
  std::vector<EncodedFrame> between(double from, double to) const;
  // The frame whose time is nearest to t (null jpeg when empty).
  EncodedFrame nearest(double t) const;
  size_t bytes() const { return bytes_; }
  size_t size() const { return frames_.size(); }

 private:
  double span_s_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<EncodedFrame> frames_;
};

// Width and height from a JPEG's frame header (baseline, extended or
// progressive), without decoding it. False with `error` set on anything else.
bool jpegSize(const std::string& jpeg, cv::Size* size, std::string* error);

// Sees every byte of a file as it is written (e.g. to hash it on the way).
using ByteObserver = std::function<void(const char* data, size_t n)>;

// Writes JPEG frames unchanged into an MJPEG AVI (RIFF, 'MJPG' stream with an
// idx1 index) that common players and OpenCV read. Frame size comes from the
// first frame's JPEG header; the frame rate from the frames' times. Returns
// false with `error` set on failure.
bool writeMjpegAvi(const std::string& path, const std::vector<EncodedFrame>& frames, double fps,
                   std::string* error, const ByteObserver& observe = {});

// Frames per second of a sequence of frames from their times (`fallback` when
// fewer than two frames or no time passes).
double framesPerSecond(const std::vector<EncodedFrame>& frames, double fallback);

// A point of a trajectory in full-resolution pixels.
struct TrajectoryPoint {
  double t = 0;
  cv::Point2d px;
};

struct SnapshotOverlay {
  std::vector<TrajectoryPoint> observed;  // the track as seen
  std::vector<cv::Point2d> fitted;        // the fitted path, extended back to the origin
  cv::Point2d origin;                     // estimated release point
  std::vector<cv::Point2d> floor_band;    // outline of the origin floor on the facade (4 points), may be empty
  std::string label;                      // e.g. "floor 14 (13-15) x 21.3 m"
};

// Decodes `jpeg` in colour, draws the overlay and re-encodes it. Empty on a bad frame.
std::string drawSnapshot(const std::string& jpeg, const SnapshotOverlay& overlay, int quality);

// Deletes the oldest regular files under `dir` (recursively, by modification time)
// until their total size is at most `max_bytes`. Returns the bytes deleted.
uint64_t enforceRetention(const std::string& dir, uint64_t max_bytes);

}  // namespace shaobing::vision
