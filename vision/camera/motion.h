// Global motion of a camera's image (shake, sway, a bump) against the camera's
// own reference view, estimated once per frame and shared by every detector of
// the camera (docs/vision.md, "Stabilisation").
//
// The estimate is a 2×3 affine map from the frame to the reference view:
// translation, small roll, and the shear/scale a rolling shutter adds while the
// camera moves. It comes from phase correlation of tiles of a reduced copy of
// the frame (textured tiles only), fitted robustly. When too few tiles agree,
// the frame is blurred, or the camera has moved too far, the estimate is marked
// unreliable and detectors hold judgement for that frame.
//
// Pure computation, no threads: one camera worker owns an estimator.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace shaobing::vision {

struct MotionParams {
  int reduce = 4;                 // estimate on the frame reduced by this factor
  int tile = 32;                  // tile side at the reduced size
  double min_response = 0.06;     // phase-correlation peak a tile needs to count
  double tile_agreement_px = 1.5; // tiles farther than this from the tiles' median shift (reduced px) do not count
  double max_outliers = 0.25;     // more of the image than this not following the motion: unreliable
  double max_shift_px = 40;       // farther from the reference (frame px): unreliable
  double rebase_after_s = 3;      // that long beyond max_shift_px: the camera was moved; new reference
  double min_sharpness = 0.55;    // gradient energy relative to the reference: lower is blur
  double reference_alpha = 0.05;  // how fast the reference follows slow changes (light)
  int reference_every = 5;        // frames between reference updates
};

struct GlobalMotion {
  // Maps reference pixels to frame pixels (a frame pixel p shows the scene point
  // the reference shows at q where p = warp·(q, 1)); identity when still. Use
  // with cv::warpAffine(..., cv::WARP_INVERSE_MAP) to bring a frame into the
  // reference view.
  cv::Matx23d warp = cv::Matx23d(1, 0, 0, 0, 1, 0);
  bool moved = false;       // some pixel is displaced by half a pixel or more
  bool reliable = true;     // false: do not judge anything on this frame
  bool rebased = false;     // the reference was replaced (the camera was moved for good)
  double shift_px = 0;      // largest displacement over the frame's corners
  double residual_px = 0;   // when searched: rms distance of the agreeing tiles from their median shift (frame px)
  double outliers = 0;      // fraction of the image that does not follow the fitted motion
  double sharpness = 1;     // gradient energy relative to the reference (the lower of x and y)
  int tiles_used = 0;
  const char* why = "";     // when not reliable: "too few textured tiles", "no consistent motion", "blurred", "too far"
};

struct MotionStats {
  long frames = 0;
  long moved = 0;
  long unreliable = 0;
  long rebased = 0;
  long searched = 0;  // frames whose motion was searched from scratch (not predicted)
  long steps = 0;     // refinement steps taken, over all frames
  double max_shift_px = 0;
};

class MotionEstimator {
 public:
  explicit MotionEstimator(MotionParams params = {});
  ~MotionEstimator();
  MotionEstimator(const MotionEstimator&) = delete;
  MotionEstimator& operator=(const MotionEstimator&) = delete;

  // `gray`: CV_8UC1, the same size on every call; `t`: capture time in seconds.
  // The first frame becomes the reference and has no motion.
  GlobalMotion estimate(const cv::Mat& gray, double t);

  const MotionStats& stats() const;
  size_t memoryBytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The same motion for frames at another scale: `from_scale` and `to_scale` are
// divisors of the full resolution (1 = full, 2 = half, ...).
GlobalMotion rescaled(const GlobalMotion& motion, double from_scale, double to_scale);

// Brings the part `roi` of the reference view out of `frame`; `out` gets
// roi.size(). Each 64-pixel block is moved by whole pixels (within about 0.7
// px of the exact map: the detectors tolerate a pixel); pixels whose source
// lies outside the frame repeat the border.
void stabilise(const cv::Mat& frame, const GlobalMotion& motion, cv::Rect roi, cv::Mat& out);

}  // namespace shaobing::vision
