// Objects thrown from height: foreground on a grayscale frame, blobs, tracks,
// and a judgement of each track in facade metres (docs/vision.md).
//
// The detector is pure computation: frames in (grayscale, at 1/scale of the
// camera's full resolution, with their capture time), decisions out. It owns
// no threads and no I/O, so the daemon, `shaobing replay` and the tests run
// exactly the same code.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "vision/camera/facade.h"
#include "vision/camera/motion.h"
#include "vision/detectors/thrown_object/config.h"

namespace shaobing::vision {

struct DetectorParams {
  int scale = 1;               // analysis resolution = full / scale (1, 2 or 4)
  double warmup_s = 1.0;       // background settles before anything is tracked
  double bg_alpha = 0.05;      // background learning rate per frame
  double k_sigma = 4.0;        // foreground threshold in units of the noise
  double min_contrast = 7;     // and at least this many grey levels
  int max_blobs = 120;         // more blobs in one frame: the frame is disturbed (rain, shake)
  size_t rain_thin_blobs = 10;  // this many streak-like blobs in one frame: it is raining
  size_t min_points_rain = 10;  // a track seen in rain needs this many points (else 8):
                                // streak pieces sometimes line up for eight frames
  double max_object_m = 0.9;   // blobs wider than this on the facade are not thrown objects
  double lost_after_s = 0.45;  // a track without a blob for this long has ended
  double min_fall_m = 2.0;     // vertical drop before a track can be judged a fall
  double decide_after_s = 0.5; // a falling track is judged once it is this long
  double max_horizontal_mps = 3.0;
  double min_steady_mps = 2.2;  // light objects (paper, bags) fall at least this fast; leaves slower
  double max_sway_m = 0.45;    // rms of x around a straight line (leaves sway more)
  // Slower than min_steady_mps (a light bag, a cloth) and still taken, but only as a
  // suspected fall (priority): it must hold a straight line and look larger than a
  // leaf. Leaves of 5-10 cm near the camera look up to about 15 cm and sway 0.3 m
  // and more; 0 disables.
  double min_slow_mps = 1.3;
  double max_slow_sway_m = 0.2;
  double min_slow_size_m = 0.17;  // apparent size, from the track's median blob area
  double min_slow_s = 1.0;        // seen falling at least this long
};

// A point of a track: capture time, full-resolution pixel position, facade metres.
struct TrackPoint {
  double t = 0;
  cv::Point2d px;
  cv::Point2d facade;  // (x, z)
  double area_px = 0;  // at analysis resolution
  double camera_shift_px = 0;  // how far the camera was displaced on this frame (compensated)
  bool in_rain = false;        // seen on a frame with rain streaks
};

struct FallDecision {
  double decided_at = 0;      // capture time of the frame the decision was made on
  double release_time = 0;    // estimated, same clock
  double release_height_m = 0;
  double facade_x_m = 0;
  int floor = 0;
  int floor_lo = 0, floor_hi = 0;
  int column = 0;             // 0 when columns are not configured
  double confidence = 0;
  bool heavy = true;          // free fall (false: light object falling steadily)
  bool slow = false;          // a steady fall slower than min_steady_mps: only suspected
  double speed_mps = 0;       // at the last observed point
  double acceleration_mps2 = 0;
  double duration_s = 0;       // of the observed track
  double shaky_fraction = 0;   // of the track's frames on which the camera moved > 1 px
  std::vector<TrackPoint> track;
  std::vector<cv::Point2d> fitted_path;  // full-resolution pixels, from the release point on
  cv::Point2d origin_px;
};

struct DetectorStats {
  long frames = 0;
  long disturbed_frames = 0;
  long blobs = 0;
  long tracks = 0;
  long decisions = 0;
  long duplicates = 0;  // tracks found to continue a fall already decided
  long rejected = 0;  // tracks that moved down but were not judged falls
  long held_frames = 0;  // camera motion could not be estimated: nothing judged
  long stabilised_frames = 0;
  double noise_sigma = 0;
};

class FallDetector {
 public:
  FallDetector(const ThrownObjectConfig& cfg, cv::Size full_size, DetectorParams params = {});
  ~FallDetector();
  FallDetector(const FallDetector&) = delete;
  FallDetector& operator=(const FallDetector&) = delete;

  // `gray`: CV_8UC1 at full_size / scale. `t`: capture time in seconds, increasing.
  // `motion`: the camera's global motion on this frame at the same scale (null:
  // the camera is assumed still). Moved frames are brought into the reference
  // view before anything else; on unreliable ones nothing is tracked or judged.
  std::vector<FallDecision> process(const cv::Mat& gray, double t, const GlobalMotion* motion = nullptr);
  // Ends every track (end of a recording) and returns the remaining decisions.
  std::vector<FallDecision> flush(double t);

  const Facade& facade() const;
  const DetectorParams& params() const;
  cv::Size analysisSize() const;
  const DetectorStats& stats() const;
  // Bytes held by the background model and the tracks.
  size_t memoryBytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Judgement of one track (exposed for tests): nullopt-like `ok == false` with a
// reason when the track is not a fall from the facade.
struct Judgement {
  bool ok = false;
  std::string reason;
  FallDecision decision;
};
Judgement judgeTrack(const std::vector<TrackPoint>& points, const Facade& facade, const DetectorParams& params,
                     int min_floor, bool final);

}  // namespace shaobing::vision
