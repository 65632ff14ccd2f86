// Tile phase correlation against a slowly updated reference view; see motion.h.
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

struct TileShift {
  cv::Point2d centre;  // reduced px
  cv::Point2d shift;   // reduced px: the tile's content moved by this much
  double weight = 0;
  bool used = true;
};

// Weighted least squares of shift = a + A·(centre − c0) over the used tiles; an
// affine model with five tiles or more, a translation below. Returns the rms
// residual; `model` gets [ax, Axx, Axy, ay, Ayx, Ayy] (relative to c0).
double fitShifts(const std::vector<TileShift>& tiles, cv::Point2d c0, double model[6]) {
  int n = 0;
  for (const auto& t : tiles) n += t.used;
  const bool affine = n >= 5;
  const int m = affine ? 3 : 1;
  cv::Mat a(n, m, CV_64F), bx(n, 1, CV_64F), by(n, 1, CV_64F);
  int i = 0;
  for (const auto& t : tiles) {
    if (!t.used) continue;
    const double w = std::sqrt(t.weight);
    a.at<double>(i, 0) = w;
    if (affine) {
      a.at<double>(i, 1) = w * (t.centre.x - c0.x) / 100.0;
      a.at<double>(i, 2) = w * (t.centre.y - c0.y) / 100.0;
    }
    bx.at<double>(i) = w * t.shift.x;
    by.at<double>(i) = w * t.shift.y;
    ++i;
  }
  cv::Mat sx, sy;
  cv::solve(a, bx, sx, cv::DECOMP_SVD);
  cv::solve(a, by, sy, cv::DECOMP_SVD);
  model[0] = sx.at<double>(0);
  model[3] = sy.at<double>(0);
  model[1] = affine ? sx.at<double>(1) / 100.0 : 0;
  model[2] = affine ? sx.at<double>(2) / 100.0 : 0;
  model[4] = affine ? sy.at<double>(1) / 100.0 : 0;
  model[5] = affine ? sy.at<double>(2) / 100.0 : 0;
  double ss = 0, ws = 0;
  for (const auto& t : tiles) {
    if (!t.used) continue;
    const double dx = t.centre.x - c0.x, dy = t.centre.y - c0.y;
    const double ex = model[0] + model[1] * dx + model[2] * dy - t.shift.x;
    const double ey = model[3] + model[4] * dx + model[5] * dy - t.shift.y;
    ss += t.weight * (ex * ex + ey * ey);
    ws += t.weight;
  }
  return ws > 0 ? std::sqrt(ss / ws) : INFINITY;
}

// Mean absolute gradient along x and along y relative to the mean level: an
// exposure change scales both, motion blur lowers the one along the motion.
cv::Point2d sharpnessOf(const cv::Mat& small8) {
  cv::Mat gx, gy;
  cv::Sobel(small8, gx, CV_16S, 1, 0);
  cv::Sobel(small8, gy, CV_16S, 0, 1);
  const double level = std::max(cv::mean(small8)[0], 4.0);
  return {cv::mean(cv::abs(gx))[0] / level, cv::mean(cv::abs(gy))[0] / level};
}

}  // namespace

struct MotionEstimator::Impl {
  MotionParams p;
  int reduce = 1;
  cv::Size size, small;
  cv::Mat small8, small32, ref, warped, window;
  std::vector<cv::Rect> tiles;  // textured tiles of the reference
  cv::Mat ref_smooth, cur_smooth;  // both smoothed for the refinement (wider basin, consistent gradients)
  cv::Mat ref_gx, ref_gy, gx, gy, u, v;
  cv::Mat sd[6], wsd[6];
  cv::Mat err, weight, abs_err, tile_ref, tile_cur;
  cv::Point2d ref_sharpness;
  long frame_no = 0;
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
    ref_sharpness = sharpnessOf(r8);
  }

  // The reference's smoothed copy and gradients, and the centred coordinates of the
  // affine warp W(u, v) = ((1 + p0)u + p1·v + p2, p3·u + (1 + p4)v + p5).
  void buildSteepestDescent() {
    cv::GaussianBlur(ref, ref_smooth, {5, 5}, 1.0);
    cv::Sobel(ref_smooth, ref_gx, CV_32F, 1, 0, 3, 1.0 / 8);
    cv::Sobel(ref_smooth, ref_gy, CV_32F, 0, 1, 3, 1.0 / 8);
    if (u.size() == small) return;
    u.create(small, CV_32F);
    v.create(small, CV_32F);
    for (int y = 0; y < small.height; ++y) {
      float* pu = u.ptr<float>(y);
      float* pv = v.ptr<float>(y);
      for (int x = 0; x < small.width; ++x) {
        pu[x] = static_cast<float>(x - small.width / 2.0);
        pv[x] = static_cast<float>(y - small.height / 2.0);
      }
    }
  }

  // Refines `map` (reference → frame, reduced pixels) by efficient second-order
  // minimisation (Gauss-Newton with the mean of both images' gradients, which
  // converges in a few steps) on the whole smoothed reduced image, ignoring outlying pixels (moving
  // things, lights) and compensating a global gain. Returns false when it does
  // not converge; `outliers` gets the fraction of pixels ignored.
  bool refine(cv::Matx23d& map, double* outliers) {
    const cv::Point2d c(small.width / 2.0, small.height / 2.0);
    bool converged = false;
    *outliers = 1;
    cv::GaussianBlur(small32, cur_smooth, {5, 5}, 1.0);
    // Pixels whose source may lie outside the frame are left out, the same ones
    // in every step (a changing set would move the minimum).
    double reach = 0;
    for (cv::Point2d q : {cv::Point2d(0, 0), cv::Point2d(small.width, 0), cv::Point2d(0, small.height),
                          cv::Point2d(small.width, small.height)}) {
      const cv::Point2d m(map(0, 0) * q.x + map(0, 1) * q.y + map(0, 2), map(1, 0) * q.x + map(1, 1) * q.y + map(1, 2));
      reach = std::max(reach, cv::norm(m - q));
    }
    const int margin = static_cast<int>(std::ceil(reach)) + 3;
    const cv::Rect in(margin, margin, small.width - 2 * margin, small.height - 2 * margin);
    for (int iter = 0; iter < 8; ++iter) {
      if (in.width < 16 || in.height < 16) return false;
      cv::warpAffine(cur_smooth, warped, map, small, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
      const double gain = cv::mean(ref_smooth(in))[0] / std::max(cv::mean(warped(in))[0], 1.0);
      cv::addWeighted(warped(in), gain, ref_smooth(in), -1, 0, err);
      // Jacobian: the mean of the reference's and the warped frame's gradients.
      cv::Sobel(warped, gx, CV_32F, 1, 0, 3, gain / 8);
      cv::Sobel(warped, gy, CV_32F, 0, 1, 3, gain / 8);
      gx = (gx(in) + ref_gx(in)) * 0.5;
      gy = (gy(in) + ref_gy(in)) * 0.5;
      sd[0] = gx.mul(u(in));
      sd[1] = gx.mul(v(in));
      sd[2] = gx;
      sd[3] = gy.mul(u(in));
      sd[4] = gy.mul(v(in));
      sd[5] = gy;
      abs_err = cv::abs(err);
      // The first steps use every pixel (misaligned edges carry the signal); later
      // ones ignore what does not follow the motion.
      const double thr = iter < 2 ? 1e9 : std::max(5.0 * cv::mean(abs_err)[0], 15.0);
      cv::compare(abs_err, thr, weight, cv::CMP_LT);
      const double kept = cv::countNonZero(weight);
      if (kept < 200) return false;
      *outliers = cv::countNonZero(abs_err > kOutlierLevel) / static_cast<double>(in.area());
      weight.convertTo(weight, CV_32F, 1.0 / 255);
      cv::Matx66d h;
      cv::Vec6d b;
      for (int i = 0; i < 6; ++i) {
        wsd[i] = sd[i].mul(weight);
        b[i] = wsd[i].dot(err);
        for (int j = 0; j <= i; ++j) h(i, j) = h(j, i) = wsd[i].dot(sd[j]);
      }
      cv::Vec6d dp;
      if (iter < 2) {
        // Translation first: the linear terms only once the images are close.
        const cv::Matx22d ht(h(2, 2), h(2, 5), h(5, 2), h(5, 5));
        cv::Vec2d dt;
        if (!cv::solve(ht, cv::Vec2d(b[2], b[5]), dt, cv::DECOMP_CHOLESKY)) return false;
        dp = cv::Vec6d(0, 0, dt[0], 0, 0, dt[1]);
      } else if (!cv::solve(h, b, dp, cv::DECOMP_CHOLESKY)) {
        return false;
      }
      // map ← map ∘ W(dp)⁻¹, W(dp) in pixel coordinates.
      const cv::Matx22d a(1 + dp[0], dp[1], dp[3], 1 + dp[4]);
      const cv::Vec2d t = cv::Vec2d(dp[2], dp[5]) + cv::Vec2d(c.x, c.y) - a * cv::Vec2d(c.x, c.y);
      const cv::Matx33d w(a(0, 0), a(0, 1), t[0], a(1, 0), a(1, 1), t[1], 0, 0, 1);
      const cv::Matx33d m(map(0, 0), map(0, 1), map(0, 2), map(1, 0), map(1, 1), map(1, 2), 0, 0, 1);
      const cv::Matx33d next = m * w.inv();
      map = cv::Matx23d(next(0, 0), next(0, 1), next(0, 2), next(1, 0), next(1, 1), next(1, 2));
      // Interpolation leaves a jitter of a few hundredths of a pixel: converged
      // once the translation moves less than that.
      const double step = std::hypot(dp[2], dp[5]);
      converged = step < 0.05;
      if (step < 0.01 && iter >= 2) break;
    }
    return converged;
  }

  GlobalMotion estimate(const cv::Mat& gray, double t) {
    GlobalMotion out;
    ++st.frames;
    if (size.empty()) {
      size = gray.size();
      reduce = std::clamp(std::min(p.reduce, gray.cols / 256), 1, 8);
      small = cv::Size(gray.cols / reduce, gray.rows / reduce);
    }
    if (gray.size() != size || gray.type() != CV_8UC1 || small.width < 16 || small.height < 16) {
      out.reliable = false;
      out.why = "unsupported frame";
      ++st.unreliable;
      return out;
    }
    cv::resize(gray, small8, small, 0, 0, cv::INTER_AREA);
    small8.convertTo(small32, CV_32F);
    if (ref.empty()) {
      rebuildReference(small32);
      return out;
    }
    ++frame_no;
    std::vector<TileShift> shifts;
    shifts.reserve(tiles.size());
    for (const auto& r : tiles) {
      double response = 0;
      // phaseCorrelate multiplies its inputs by the window in place (OpenCV 4.6):
      // hand it copies.
      ref(r).copyTo(tile_ref);
      small32(r).copyTo(tile_cur);
      const cv::Point2d s = cv::phaseCorrelate(tile_ref, tile_cur, window, &response);
      if (response < p.min_response || !std::isfinite(s.x) || !std::isfinite(s.y)) continue;
      shifts.push_back({{r.x + r.width / 2.0, r.y + r.height / 2.0}, s, response});
    }
    out.tiles_used = static_cast<int>(shifts.size());
    const cv::Point2d c0(small.width / 2.0, small.height / 2.0);
    // The tiles' median shift starts the refinement; repetitive facades can fool a
    // single tile, rarely most of them.
    cv::Point2d start(0, 0);
    if (!shifts.empty()) {
      std::vector<double> xs, ys;
      for (const auto& t : shifts) {
        xs.push_back(t.shift.x);
        ys.push_back(t.shift.y);
      }
      std::nth_element(xs.begin(), xs.begin() + static_cast<long>(xs.size() / 2), xs.end());
      std::nth_element(ys.begin(), ys.begin() + static_cast<long>(ys.size() / 2), ys.end());
      start = {xs[xs.size() / 2], ys[ys.size() / 2]};
      for (auto& t : shifts) t.used = cv::norm(t.shift - start) <= 1.5;
    }
    double model[6] = {start.x, 0, 0, start.y, 0, 0};
    out.tiles_used = static_cast<int>(std::count_if(shifts.begin(), shifts.end(), [](const TileShift& t) { return t.used; }));
    double residual = out.tiles_used >= 1 ? fitShifts(shifts, c0, model) : INFINITY;
    if (out.tiles_used >= 1) {
      model[1] = model[2] = model[4] = model[5] = 0;  // translation only; the image refines the rest
      model[0] = start.x;
      model[3] = start.y;
    }
    // Tiles give the first estimate (reference → frame, reduced pixels); the
    // whole image refines it.
    cv::Matx23d small_map(1 + model[1], model[2], model[0] - model[1] * c0.x - model[2] * c0.y, model[4],
                          1 + model[5], model[3] - model[4] * c0.x - model[5] * c0.y);
    double outliers = 1;
    const bool converged = out.tiles_used >= 3 && refine(small_map, &outliers);
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
    out.moved = out.shift_px > 0.25;
    const cv::Point2d sharp = sharpnessOf(small8);
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
    st.max_shift_px = std::max(st.max_shift_px, out.reliable ? out.shift_px : 0.0);
    // Let the reference follow slow changes of light, in its own view.
    if (out.reliable && frame_no % p.reference_every == 0) {
      cv::warpAffine(small32, warped, small_map, small, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
      cv::accumulateWeighted(warped, ref, p.reference_alpha);
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
  for (const cv::Mat* m : {&impl_->small8, &impl_->small32, &impl_->ref, &impl_->warped, &impl_->window}) {
    total += m->total() * m->elemSize();
  }
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
  out.moved = out.shift_px > 0.25;
  return out;
}

void stabilise(const cv::Mat& frame, const GlobalMotion& motion, cv::Rect roi, cv::Mat& out) {
  // q in roi coordinates is q + roi.tl() in the reference view.
  cv::Matx23d m = motion.warp;
  m(0, 2) += m(0, 0) * roi.x + m(0, 1) * roi.y;
  m(1, 2) += m(1, 0) * roi.x + m(1, 1) * roi.y;
  cv::warpAffine(frame, out, m, roi.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
}

}  // namespace shaobing::vision
