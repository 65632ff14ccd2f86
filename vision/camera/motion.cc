// Predicted, then refined against a slowly updated reference view (inverse-
// compositional Gauss-Newton); phase correlation of tiles when the prediction
// fails. See motion.h.
#include "vision/camera/motion.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace shaobing::vision {
namespace {

// Grey levels (reduced image) a pixel may differ from the aligned reference
// before it counts as not following the camera's motion.
constexpr double kOutlierLevel = 20;

// A translation step shorter than this (reduced pixels) means the images are
// close enough for the linear terms of the map. Against the synthetic scenes'
// true shake 0.1 and 0.5 gave the same error; 0.5 made searches from scratch more frequent.
constexpr double kCloseStep = 0.25;

// Mean absolute gradient along x and along y relative to the mean level: an
// exposure change scales both, motion blur lowers the one along the motion.
// `gx` and `gy` are scratch buffers kept by the caller: the estimator runs on
// every frame, and fresh buffers of this size can cost more in page faults than
// the filtering itself (0.45 against 0.04 ms in a loop that allocated them anew).
cv::Point2d sharpnessOf(const cv::Mat& small8, cv::Mat& gx, cv::Mat& gy) {
  cv::spatialGradient(small8, gx, gy);  // 3×3 Sobel along x and y in one pass
  const double level = std::max(cv::mean(small8)[0], 4.0);
  return {cv::norm(gx, cv::NORM_L1) / (level * static_cast<double>(gx.total())),
          cv::norm(gy, cv::NORM_L1) / (level * static_cast<double>(gy.total()))};
}

}  // namespace

struct MotionEstimator::Impl {
  MotionParams p;
  int reduce = 1;
  cv::Size size, small;
  cv::Mat small8, small32, ref, warped, window;
  cv::Mat ref_view;                // the frame in the reference's view, for the reference update
  cv::Mat halved[2];               // intermediate halvings of the frame
  std::vector<cv::Rect> tiles;  // textured tiles of the reference
  cv::Mat ref_smooth;              // smoothed for the refinement (wider basin, consistent gradients)
  cv::Mat cur_smooth8, warped8;    // the frame smoothed the same way, and its warp (8 bits: see refine)
  cv::Mat grad_x, grad_y;          // scratch: gradients of the reference and of the frame
  cv::Mat coord_u, coord_v;        // centred coordinates of the pixels of `inner`
  cv::Rect inner;                  // the reduced pixels the refinement uses
  cv::Mat ref_inner;
  double ref_inner_mean = 0;
  cv::Mat sd[6];                   // steepest-descent images of the reference over `inner`
  cv::Matx66d hessian;
  cv::Mat err, weight, abs_err, tile_ref, tile_cur;
  cv::Point2d ref_sharpness;
  long frame_no = 0;
  long tracked = 0;  // reliable frames in a row, for the prediction
  cv::Matx23d last_map, prev_map;  // of the last two reliable frames (reduced pixels)
  bool extrapolate = true;         // predict by the last step (else: the last map)
  double extrapolate_score = 0;    // recent advantage of extrapolating, reduced px
  double far_since = NAN;
  MotionStats st;

  explicit Impl(MotionParams params) : p(params) {}

  void rebuildReference(const cv::Mat& s32) {
    s32.copyTo(ref);
    tiles.clear();
    const int tile = std::min({p.tile, small.width, small.height});
    const int nx = std::max(1, (small.width + tile - 1) / tile), ny = std::max(1, (small.height + tile - 1) / tile);
    for (int j = 0; j < ny; ++j) {
      for (int i = 0; i < nx; ++i) {
        const int x = nx == 1 ? 0 : i * (small.width - tile) / (nx - 1);
        const int y = ny == 1 ? 0 : j * (small.height - tile) / (ny - 1);
        const cv::Rect r(x, y, tile, tile);
        cv::Scalar mean, dev;
        cv::meanStdDev(ref(r), mean, dev);
        if (dev[0] >= 4.0) tiles.push_back(r);  // flat sky or wall: no phase to correlate
      }
    }
    cv::createHanningWindow(window, {tile, tile}, CV_32F);
    buildSteepestDescent();
    cv::Mat r8;
    ref.convertTo(r8, CV_8U);
    ref_sharpness = sharpnessOf(r8, grad_x, grad_y);
  }

  // The reference's smoothed copy and gradients, and the centred coordinates of the
  // affine warp W(u, v) = ((1 + p0)u + p1·v + p2, p3·u + (1 + p4)v + p5).
  void buildSteepestDescent() {
    cv::GaussianBlur(ref, ref_smooth, {5, 5}, 1.0);
    cv::Sobel(ref_smooth, grad_x, CV_32F, 1, 0, 3, 1.0 / 8);
    cv::Sobel(ref_smooth, grad_y, CV_32F, 0, 1, 3, 1.0 / 8);
    // The pixels used: all but a margin that the largest accepted displacement may
    // bring in from outside the frame.
    const int margin = std::min(static_cast<int>(std::ceil(p.max_shift_px / reduce)) + 3,
                                std::max(0, std::min(small.width, small.height) / 2 - 8));
    const cv::Rect was = inner;
    inner = cv::Rect(margin, margin, small.width - 2 * margin, small.height - 2 * margin);
    // Every pixel of `inner`. Every other row would halve the cost of the steps
    // and left the error against the synthetic scenes' true shake unchanged, but
    // on real footage with many people walking (opencv-doc's vtest.avi) it let
    // them pull the estimate further and a walker was taken for a fall.
    if (inner != was || coord_u.empty()) {
      coord_u.create(inner.size(), CV_32F);
      coord_v.create(inner.size(), CV_32F);
      for (int y = 0; y < inner.height; ++y) {
        float* pu = coord_u.ptr<float>(y);
        float* pv = coord_v.ptr<float>(y);
        for (int x = 0; x < inner.width; ++x) {
          pu[x] = static_cast<float>(x + inner.x - small.width / 2.0);
          pv[x] = static_cast<float>(y + inner.y - small.height / 2.0);
        }
      }
    }
    // Rebuilt every few frames as the reference follows the light: written into
    // the same buffers each time.
    const cv::Mat gxi = grad_x(inner), gyi = grad_y(inner);
    cv::multiply(gxi, coord_u, sd[0]);
    cv::multiply(gxi, coord_v, sd[1]);
    gxi.copyTo(sd[2]);
    cv::multiply(gyi, coord_u, sd[3]);
    cv::multiply(gyi, coord_v, sd[4]);
    gyi.copyTo(sd[5]);
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j <= i; ++j) hessian(i, j) = hessian(j, i) = sd[i].dot(sd[j]);
    }
    ref_smooth(inner).copyTo(ref_inner);
    ref_inner_mean = cv::mean(ref_inner)[0];
  }

  // Refines `map` (reference → frame, reduced pixels) by inverse-compositional
  // Gauss-Newton on the smoothed reduced image: the reference's gradients and
  // Hessian are computed once per reference, so a step costs one warp and six
  // dot products. A global gain is compensated; after the first steps, pixels
  // that do not follow the motion (moving things, lights) are left out. Returns
  // false when it does not converge; `outliers` gets the fraction of pixels that
  // differ from the aligned reference by more than kOutlierLevel.
  bool refine(cv::Matx23d& map, double* outliers, int max_steps) {
    const cv::Point2d c(small.width / 2.0, small.height / 2.0);
    bool converged = false;
    bool close = false;  // a translation step has moved less than kCloseStep
    *outliers = 1;
    if (inner.width < 16 || inner.height < 16) return false;
    // The frame is smoothed and warped in 8 bits: OpenCV's 8-bit bilinear warp
    // takes two thirds of the time of its float one, and the warp is most of a
    // step. Rounding to whole grey levels left the error against the synthetic
    // scenes' true shake unchanged (median and p99 within 0.005 px).
    cv::GaussianBlur(small8, cur_smooth8, {5, 5}, 1.0);
    for (int iter = 0; iter < max_steps; ++iter) {
      ++st.steps;
      // The frame over the inner pixels of the reference view.
      cv::Matx23d m = map;
      m(0, 2) += m(0, 0) * inner.x + m(0, 1) * inner.y;
      m(1, 2) += m(1, 0) * inner.x + m(1, 1) * inner.y;
      cv::warpAffine(cur_smooth8, warped8, m, inner.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
      warped8.convertTo(warped, CV_32F);
      const double gain = ref_inner_mean / std::max(cv::mean(warped8)[0], 1.0);
      cv::addWeighted(warped, gain, ref_inner, -1, 0, err);
      const bool last = iter == max_steps - 1;
      // Pixels that do not follow the motion (people, vehicles, lights, a swaying
      // tree) are left out: the start is close (predicted, or found by phase
      // correlation), so a misaligned edge differs by tens of grey levels at most.
      abs_err = cv::abs(err);
      const double thr = std::clamp(3.0 * cv::mean(abs_err)[0], 10.0, 30.0);
      cv::threshold(abs_err, weight, thr, 1, cv::THRESH_BINARY_INV);  // 1 where kept, else 0
      cv::multiply(err, weight, err);
      cv::Vec6d dp;
      const bool translation_only = !close && iter < 2;
      if (translation_only) {
        // Translation first: the linear terms only once the images are close —
        // after two steps, or sooner when a step found them within a frame pixel
        // (on a still camera: 2 steps in all instead of 3).
        const cv::Matx22d ht(hessian(2, 2), hessian(2, 5), hessian(5, 2), hessian(5, 5));
        cv::Vec2d dt;
        if (!cv::solve(ht, cv::Vec2d(sd[2].dot(err), sd[5].dot(err)), dt, cv::DECOMP_CHOLESKY)) return false;
        dp = cv::Vec6d(0, 0, dt[0], 0, 0, dt[1]);
      } else {
        cv::Vec6d b;
        for (int i = 0; i < 6; ++i) b[i] = sd[i].dot(err);
        if (!cv::solve(hessian, b, dp, cv::DECOMP_CHOLESKY)) return false;
      }
      // map ← map ∘ W(dp)⁻¹, W(dp) in pixel coordinates.
      const cv::Matx22d a(1 + dp[0], dp[1], dp[3], 1 + dp[4]);
      const cv::Vec2d t = cv::Vec2d(dp[2], dp[5]) + cv::Vec2d(c.x, c.y) - a * cv::Vec2d(c.x, c.y);
      const cv::Matx33d w(a(0, 0), a(0, 1), t[0], a(1, 0), a(1, 1), t[1], 0, 0, 1);
      const cv::Matx33d m3(map(0, 0), map(0, 1), map(0, 2), map(1, 0), map(1, 1), map(1, 2), 0, 0, 1);
      const cv::Matx33d next = m3 * w.inv();
      map = cv::Matx23d(next(0, 0), next(0, 1), next(0, 2), next(1, 0), next(1, 1), next(1, 2));
      // Interpolation leaves a jitter of a few hundredths of a pixel: converged
      // once the translation moves less than that.
      const double step = std::hypot(dp[2], dp[5]);
      converged = step < 0.05;
      if (translation_only && step < kCloseStep) close = true;
      if ((step < 0.01 && !translation_only) || last) {
        *outliers = cv::countNonZero(abs_err > kOutlierLevel) / static_cast<double>(inner.area());
        break;
      }
    }
    return converged;
  }

  // The frame averaged over reduce×reduce blocks into small8 and small32. A power
  // of two is reduced by halving repeatedly: OpenCV's halving path is an order of
  // magnitude faster than its general area reduction (0.04 ms against 0.26 ms
  // for 720p to a quarter), at the cost of rounding to whole grey levels at each
  // step.
  void reduceFrame(const cv::Mat& gray) {
    if (reduce == 1) {
      gray.copyTo(small8);
    } else if ((reduce & (reduce - 1)) == 0) {
      const cv::Mat* src = &gray;
      for (int r = reduce; r > 1; r /= 2) {
        cv::Mat& dst = r == 2 ? small8 : halved[r == 4 ? 0 : 1];
        cv::resize(*src, dst, cv::Size(src->cols / 2, src->rows / 2), 0, 0, cv::INTER_AREA);
        src = &dst;
      }
    } else {
      cv::resize(gray, small8, small, 0, 0, cv::INTER_AREA);
    }
    if (small8.size() != small) cv::resize(small8, small8, small, 0, 0, cv::INTER_AREA);
    small8.convertTo(small32, CV_32F);
  }

  GlobalMotion estimate(const cv::Mat& gray, double t) {
    GlobalMotion out;
    ++st.frames;
    if (size.empty()) {
      size = gray.size();
      reduce = std::clamp(std::min(p.reduce, gray.cols / 160), 1, 8);  // at least 160 px wide
      small = cv::Size(gray.cols / reduce, gray.rows / reduce);
    }
    if (gray.size() != size || gray.type() != CV_8UC1 || small.width < 16 || small.height < 16) {
      out.reliable = false;
      out.why = "unsupported frame";
      ++st.unreliable;
      return out;
    }
    reduceFrame(gray);
    if (ref.empty()) {
      rebuildReference(small32);
      return out;
    }
    ++frame_no;
    double outliers = 1, residual = 0;
    bool converged = false;
    cv::Matx23d small_map(1, 0, 0, 0, 1, 0);
    out.tiles_used = static_cast<int>(tiles.size());
    if (tracked >= 1 && !tiles.empty()) {
      // Usually the motion continues: start from the last frame's map moved on by
      // its last step, and let a few steps on the whole image settle it.
      small_map = last_map;
      if (tracked >= 2 && extrapolate) {
        small_map(0, 2) += last_map(0, 2) - prev_map(0, 2);
        small_map(1, 2) += last_map(1, 2) - prev_map(1, 2);
      }
      converged = refine(small_map, &outliers, 10) && outliers <= p.max_outliers;
    }
    if (!converged) {
      // A jolt, the first frames, or a failed prediction: find the translation
      // from scratch by phase correlation of the textured tiles.
      ++st.searched;
      std::vector<cv::Point2d> shifts;  // reduced px: each tile's content moved by this much
      shifts.reserve(tiles.size());
      for (const auto& r : tiles) {
        double response = 0;
        // phaseCorrelate multiplies its inputs by the window in place (OpenCV 4.6):
        // hand it copies.
        ref(r).copyTo(tile_ref);
        small32(r).copyTo(tile_cur);
        const cv::Point2d sh = cv::phaseCorrelate(tile_ref, tile_cur, window, &response);
        if (response < p.min_response || !std::isfinite(sh.x) || !std::isfinite(sh.y)) continue;
        shifts.push_back(sh);
      }
      // The tiles' median shift starts the refinement; repetitive facades can fool
      // a single tile, rarely most of them.
      cv::Point2d start(0, 0);
      if (!shifts.empty()) {
        std::vector<double> xs, ys;
        for (const auto& sh : shifts) {
          xs.push_back(sh.x);
          ys.push_back(sh.y);
        }
        std::nth_element(xs.begin(), xs.begin() + static_cast<long>(xs.size() / 2), xs.end());
        std::nth_element(ys.begin(), ys.begin() + static_cast<long>(ys.size() / 2), ys.end());
        start = {xs[xs.size() / 2], ys[ys.size() / 2]};
      }
      double ss = 0;
      out.tiles_used = 0;
      for (const auto& sh : shifts) {
        const double d = cv::norm(sh - start);
        if (d > p.tile_agreement_px) continue;
        ++out.tiles_used;
        ss += d * d;
      }
      residual = out.tiles_used > 0 ? std::sqrt(ss / out.tiles_used) : INFINITY;
      small_map = cv::Matx23d(1, 0, start.x, 0, 1, start.y);
      converged = out.tiles_used >= 3 && refine(small_map, &outliers, 12);
    }
    // In frame pixels: p_frame = r·(m·((p + 0.5)/r − 0.5)) + 0.5·(r − 1)... written out:
    const double r = reduce, off = 0.5 * (r - 1);
    const double axx = small_map(0, 0) - 1, axy = small_map(0, 1), ayx = small_map(1, 0), ayy = small_map(1, 1) - 1;
    const double bx = r * small_map(0, 2) - (axx + axy) * off;
    const double by = r * small_map(1, 2) - (ayx + ayy) * off;
    out.warp = cv::Matx23d(1 + axx, axy, bx, ayx, 1 + ayy, by);
    out.outliers = outliers;
    out.residual_px = residual * r;
    for (cv::Point2d q : {cv::Point2d(0, 0), cv::Point2d(size.width, 0), cv::Point2d(0, size.height),
                          cv::Point2d(size.width, size.height)}) {
      const cv::Point2d m(out.warp(0, 0) * q.x + out.warp(0, 1) * q.y + out.warp(0, 2),
                          out.warp(1, 0) * q.x + out.warp(1, 1) * q.y + out.warp(1, 2));
      out.shift_px = std::max(out.shift_px, cv::norm(m - q));
    }
    out.moved = out.shift_px >= 0.5;  // some block of the stabilised frame moves by a pixel
    const cv::Point2d sharp = sharpnessOf(small8, grad_x, grad_y);
    out.sharpness = std::min(ref_sharpness.x > 0 ? sharp.x / ref_sharpness.x : 1.0,
                             ref_sharpness.y > 0 ? sharp.y / ref_sharpness.y : 1.0);
    if (out.tiles_used < 3) {
      out.reliable = false;
      out.why = "too few textured tiles";
    } else if (!converged || outliers > p.max_outliers) {
      out.reliable = false;
      out.why = "no consistent motion";
    } else if (out.sharpness < p.min_sharpness) {
      out.reliable = false;
      out.why = "blurred";
    } else if (out.shift_px > p.max_shift_px) {
      out.reliable = false;
      out.why = "too far";
    }
    // Far from the reference for long: the camera was moved; start again from here.
    if (out.shift_px > p.max_shift_px || out.tiles_used < 3) {
      if (std::isnan(far_since)) far_since = t;
      if (t - far_since >= p.rebase_after_s) {
        rebuildReference(small32);
        far_since = NAN;
        out = GlobalMotion{};
        out.rebased = true;
        ++st.rebased;
        return out;
      }
    } else {
      far_since = NAN;
    }
    if (out.moved) ++st.moved;
    if (!out.reliable) ++st.unreliable;
    if (out.reliable) {
      if (tracked >= 2) {
        // Which start would have been closer on this frame: the last map moved on
        // by its last step (slow sway), or the last map itself (shake faster than
        // about a sixth of the frame rate, where extrapolating overshoots). The
        // next frame starts from that one.
        const double ex = std::hypot(small_map(0, 2) - (2 * last_map(0, 2) - prev_map(0, 2)),
                                     small_map(1, 2) - (2 * last_map(1, 2) - prev_map(1, 2)));
        const double hold = std::hypot(small_map(0, 2) - last_map(0, 2), small_map(1, 2) - last_map(1, 2));
        extrapolate_score = 0.7 * extrapolate_score + 0.3 * (hold - ex);
        extrapolate = extrapolate_score >= 0;
      }
      prev_map = last_map;
      last_map = small_map;
      ++tracked;
    } else {
      tracked = 0;
    }
    st.max_shift_px = std::max(st.max_shift_px, out.reliable ? out.shift_px : 0.0);
    // Let the reference follow slow changes of light, in its own view.
    if (out.reliable && frame_no % p.reference_every == 0) {
      cv::warpAffine(small32, ref_view, small_map, small, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
      cv::accumulateWeighted(ref_view, ref, p.reference_alpha);
      buildSteepestDescent();
    }
    return out;
  }
};

MotionEstimator::MotionEstimator(MotionParams params) : impl_(std::make_unique<Impl>(params)) {}
MotionEstimator::~MotionEstimator() = default;
GlobalMotion MotionEstimator::estimate(const cv::Mat& gray, double t) { return impl_->estimate(gray, t); }
const MotionStats& MotionEstimator::stats() const { return impl_->st; }

size_t MotionEstimator::memoryBytes() const {
  size_t total = 0;
  const Impl& i = *impl_;
  for (const cv::Mat* m : {&i.small8, &i.small32, &i.ref, &i.warped, &i.window, &i.ref_view, &i.halved[0],
                           &i.halved[1], &i.ref_smooth, &i.cur_smooth8, &i.warped8, &i.grad_x, &i.grad_y,
                           &i.coord_u, &i.coord_v, &i.ref_inner, &i.err, &i.weight, &i.abs_err, &i.tile_ref,
                           &i.tile_cur}) {
    total += m->total() * m->elemSize();
  }
  for (const cv::Mat& m : i.sd) total += m.total() * m.elemSize();
  return total;
}

GlobalMotion rescaled(const GlobalMotion& motion, double from_scale, double to_scale) {
  if (from_scale == to_scale) return motion;
  // Pixel centres: p_to = k·(p_from + 0.5) − 0.5 with k = from/to.
  const double k = from_scale / to_scale, c = 0.5 * (k - 1);
  GlobalMotion out = motion;
  const cv::Matx23d& m = motion.warp;
  out.warp(0, 2) = k * m(0, 2) + c - (m(0, 0) * c + m(0, 1) * c);
  out.warp(1, 2) = k * m(1, 2) + c - (m(1, 0) * c + m(1, 1) * c);
  out.shift_px = motion.shift_px * k;
  out.residual_px = motion.residual_px * k;
  out.moved = out.shift_px >= 0.5;
  return out;
}

void stabilise(const cv::Mat& frame, const GlobalMotion& motion, cv::Rect roi, cv::Mat& out) {
  // Block by block, each moved by the whole pixels the map gives at its centre:
  // within a 64-pixel block a roll of a fraction of a degree changes the
  // displacement by a few tenths of a pixel, and the rounding adds at most half a
  // pixel — less than the detectors' tolerance for sub-pixel shake — at the cost
  // of a copy instead of an interpolating warp.
  constexpr int kBlock = 64;
  out.create(roi.size(), frame.type());
  const cv::Rect whole({0, 0}, frame.size());
  const cv::Matx23d& m = motion.warp;
  for (int by = 0; by < roi.height; by += kBlock) {
    for (int bx = 0; bx < roi.width; bx += kBlock) {
      const cv::Rect block(bx, by, std::min(kBlock, roi.width - bx), std::min(kBlock, roi.height - by));
      const cv::Point2d q(roi.x + bx + block.width / 2.0, roi.y + by + block.height / 2.0);
      const int dx = static_cast<int>(std::lround(m(0, 0) * q.x + m(0, 1) * q.y + m(0, 2) - q.x));
      const int dy = static_cast<int>(std::lround(m(1, 0) * q.x + m(1, 1) * q.y + m(1, 2) - q.y));
      const cv::Rect src = block + roi.tl() + cv::Point(dx, dy);
      cv::Mat dst = out(block);
      const cv::Rect inside = src & whole;
      if (inside == src) {
        frame(src).copyTo(dst);
      } else if (inside.empty()) {
        dst.setTo(0);
      } else {
        cv::copyMakeBorder(frame(inside), dst, inside.y - src.y, src.br().y - inside.br().y, inside.x - src.x,
                           src.br().x - inside.br().x, cv::BORDER_REPLICATE);
      }
    }
  }
}

}  // namespace shaobing::vision
