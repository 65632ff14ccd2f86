// Foreground → blobs → tracks → judgement; see detector.h and docs/vision.md.
#include "vision/detectors/thrown_object/fall_detector.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

namespace shaobing::vision {
namespace {

constexpr double kG = 9.81;

struct Blob {
  cv::Point2d px;  // full resolution
  double area = 0;
  bool thin = false;  // a line about a pixel wide: a fragment of a rain streak
  bool used = false;
};

struct Track {
  long id = 0;
  std::vector<TrackPoint> points;
  double lowest_z = INFINITY;
  bool decided = false;
  void add(const TrackPoint& p) {
    points.push_back(p);
    lowest_z = std::min(lowest_z, p.facade.y);
  }
  // How far below its first point the track has been.
  double drop() const { return points.front().facade.y - lowest_z; }
  double last_t() const { return points.back().t; }
};

// Least squares fit of y = c0 + c1·x (+ c2·x²); returns rms residual.
double polyFit(const std::vector<double>& x, const std::vector<double>& y, int degree, double* c) {
  const int n = static_cast<int>(x.size()), m = degree + 1;
  cv::Mat a(n, m, CV_64F), b(n, 1, CV_64F), sol;
  for (int i = 0; i < n; ++i) {
    double p = 1;
    for (int j = 0; j < m; ++j) {
      a.at<double>(i, j) = p;
      p *= x[i];
    }
    b.at<double>(i) = y[i];
  }
  if (!cv::solve(a, b, sol, cv::DECOMP_SVD)) return INFINITY;
  double ss = 0;
  for (int i = 0; i < n; ++i) {
    double v = 0, p = 1;
    for (int j = 0; j < m; ++j) {
      v += sol.at<double>(j) * p;
      p *= x[i];
    }
    ss += (v - y[i]) * (v - y[i]);
  }
  for (int j = 0; j < m; ++j) c[j] = sol.at<double>(j);
  return std::sqrt(ss / n);
}

// Drops the resting tail of a track: the object lying on the ground (which
// projects to the foot of the facade or below it) or no longer moving.
std::vector<TrackPoint> trimRest(const std::vector<TrackPoint>& pts) {
  size_t end = pts.size();
  while (end > 3 && (pts[end - 1].facade.y < 0.8 || std::abs(pts[end - 1].facade.y - pts[end - 4].facade.y) < 0.04)) --end;
  return {pts.begin(), pts.begin() + static_cast<long>(end)};
}

bool debugEnabled() {
  static const bool on = std::getenv("SHAOBING_VISION_DEBUG") != nullptr;
  return on;
}

}  // namespace

Judgement judgeTrack(const std::vector<TrackPoint>& all, const Facade& facade, const DetectorParams& p,
                     int min_floor, bool final) {
  Judgement j;
  const std::vector<TrackPoint> pts = trimRest(all);
  const size_t n = pts.size();
  const bool rain = std::any_of(pts.begin(), pts.end(), [](const TrackPoint& q) { return q.in_rain; });
  if (n < (rain ? std::max<size_t>(p.min_points_rain, 8) : 8)) {
    j.reason = "too short";
    return j;
  }
  const double t0 = pts.front().t, duration = pts.back().t - t0;
  const double fall = pts.front().facade.y - pts.back().facade.y;
  if (duration < 0.3) {
    j.reason = "too brief";
    return j;
  }
  // A real object is seen in most frames; noise linked across gaps is not.
  double frame_dt = duration;
  for (size_t i = 1; i < n; ++i) frame_dt = std::min(frame_dt, pts[i].t - pts[i - 1].t);
  const double density = n * std::max(frame_dt, 1e-3) / std::max(duration, 1e-3);
  if (density < (n >= 20 ? 0.35 : 0.6)) {
    j.reason = "seen in too few frames";
    return j;
  }
  // A track judged at its end may have fallen a little less; a short fall seen
  // down to the lowest floor (a drop from floor 2 or 3) still less, if it is
  // long enough to show gravity (checked below).
  const double min_fall = (final ? 0.75 : 1.0) * p.min_fall_m;
  const bool short_final = final && n >= 10 && density >= 0.75 && pts.back().facade.y < 3.0;
  if (fall < (short_final ? 0.5 * p.min_fall_m : min_fall)) {
    j.reason = "not falling far enough";
    return j;
  }
  std::vector<double> tau(n), x(n), z(n);
  for (size_t i = 0; i < n; ++i) {
    tau[i] = pts[i].t - t0;
    x[i] = pts[i].facade.x;
    z[i] = pts[i].facade.y;
  }
  // Mostly monotonic descent (centroid jitter allowed).
  int up_steps = 0;
  for (size_t i = 1; i < n; ++i) up_steps += z[i] > z[i - 1] + 0.2;
  if (up_steps > static_cast<int>(n) / 5) {
    j.reason = "not a steady descent";
    return j;
  }
  double cx[2] = {0, 0};
  const double sway = polyFit(tau, x, 1, cx);
  if (std::abs(cx[1]) > p.max_horizontal_mps) {
    j.reason = "moves sideways";
    return j;
  }
  if (sway > p.max_sway_m) {
    j.reason = "sways";
    return j;
  }
  double cq[3] = {0, 0, 0}, cl[2] = {0, 0};
  const double rms_q = polyFit(tau, z, 2, cq);
  polyFit(tau, z, 1, cl);
  const double accel = -2 * cq[2];
  const double ppm = facade.pixelsPerMetre(pts.front().facade);
  // Centroid jitter of a pixel or two, in metres, plus a margin for drag and perspective.
  const double tol = 2.0 / std::max(ppm, 1.0) + 0.12 + 0.02 * fall;
  if (rms_q > tol) {
    j.reason = "erratic";
    return j;
  }
  // The speed over the last part of the track.
  const double v_end = -(cq[1] + 2 * cq[2] * tau.back());
  const bool heavy = accel > 5.5 && accel < 14.5 && duration >= 0.35;
  const bool light = !heavy && accel > -2.0 && accel < 14.5 && v_end >= p.min_steady_mps && -cl[1] >= 0.8 * p.min_steady_mps;
  if (!heavy && fall < min_fall) {
    j.reason = "not falling far enough";
    return j;
  }
  // Slower than a bag usually falls: taken only if nothing about it looks like a leaf.
  bool slow = false;
  if (!heavy && !light && p.min_slow_mps > 0 && accel > -2.0 && accel < 2.0 && v_end >= p.min_slow_mps &&
      -cl[1] >= 0.8 * p.min_slow_mps && sway <= p.max_slow_sway_m && duration >= p.min_slow_s) {
    std::vector<double> areas(n);
    for (size_t i = 0; i < n; ++i) areas[i] = pts[i].area_px;
    std::nth_element(areas.begin(), areas.begin() + static_cast<long>(n / 2), areas.end());
    // Diameter of a disc of that area, in metres on the facade (area at analysis resolution).
    const double size_m = 2 * std::sqrt(areas[n / 2] / CV_PI) * p.scale / std::max(ppm, 1e-6);
    slow = size_m >= p.min_slow_size_m;
  }
  if (!heavy && !light && !slow) {
    j.reason = accel >= 14.5 ? "accelerates faster than gravity" : "too slow or decelerating";
    return j;
  }

  FallDecision& d = j.decision;
  d.heavy = heavy;
  d.slow = slow;
  d.acceleration_mps2 = accel;
  d.speed_mps = v_end;
  double tau_rel = 0, z_rel = z.front();
  if (heavy) {
    // Free fall from rest (or the top of a short throw): z + g/2·τ² = a + b·τ.
    std::vector<double> zg(n);
    for (size_t i = 0; i < n; ++i) zg[i] = z[i] + 0.5 * kG * tau[i] * tau[i];
    double c[2] = {0, 0};
    polyFit(tau, zg, 1, c);
    tau_rel = c[1] / kG;  // when the vertical speed was zero
    tau_rel = std::clamp(tau_rel, -1.5, 0.3);
    z_rel = c[0] + c[1] * tau_rel - 0.5 * kG * tau_rel * tau_rel;
  } else {
    // Drag: v(τ) = vt·tanh(g·τ/vt). Estimate vt from the end, the starting speed from
    // the first points, and step back to rest.
    const double vt = std::max(v_end, 1.0);
    const size_t k = std::min<size_t>(n, 6);
    std::vector<double> ts(tau.begin(), tau.begin() + static_cast<long>(k)), zs(z.begin(), z.begin() + static_cast<long>(k));
    double c[2] = {0, 0};
    polyFit(ts, zs, 1, c);
    const double v1 = std::clamp(-c[1], 0.0, 0.95 * vt);
    const double back = vt / kG * std::atanh(v1 / vt);
    const double drop = vt * vt / kG * std::log(std::cosh(kG * back / vt));
    tau_rel = -back;
    z_rel = c[0] + drop;
  }
  d.release_time = t0 + tau_rel;
  d.release_height_m = z_rel;
  d.facade_x_m = cx[0] + cx[1] * std::max(tau_rel, 0.0);
  d.floor = facade.floorAt(z_rel);
  if (z_rel < (min_floor - 1) * facade.floorHeight()) {
    j.reason = "starts below floor " + std::to_string(min_floor);
    return j;
  }
  if (z_rel > facade.roofHeight() + 2 * facade.floorHeight() || d.facade_x_m < facade.xMin() - 2 ||
      d.facade_x_m > facade.xMax() + 2) {
    j.reason = "starts outside the facade";
    return j;
  }
  const double spread = 0.45 + 1.5 * rms_q + (heavy ? 0.0 : 0.5) + std::max(0.0, -tau_rel - 0.3) * 0.8;
  d.floor_lo = facade.floorAt(z_rel - spread);
  // A steady fall says little about how long the object fell unseen before it was
  // first picked up (faint objects at night): the origin may be higher.
  d.floor_hi = facade.floorAt(z_rel + spread + (heavy ? 0.0 : 2 * facade.floorHeight()));
  d.column = facade.columnAt(d.facade_x_m);
  const double fit_quality = std::exp(-rms_q / std::max(tol, 1e-6));
  const double support = std::min(1.0, duration / 1.0) * std::min(1.0, n / 15.0);
  const double physics = heavy ? std::exp(-std::abs(accel - kG) / 4.0) : 0.8;
  // A track seen while the camera moved rests on the stabilisation as well: it
  // counts for less (a fall seen only then cannot be an emergency on its own).
  int shaky = 0;
  for (const auto& q : pts) shaky += q.camera_shift_px > 1.0;
  d.shaky_fraction = static_cast<double>(shaky) / n;
  d.confidence = std::clamp((0.35 + 0.65 * fit_quality * support * physics) * (1 - 0.15 * d.shaky_fraction), 0.0, 1.0);

  d.duration_s = duration;
  d.track = all;
  // The fitted path from the release point to the last observation.
  for (double s = tau_rel; s <= tau.back() + 1e-9; s += 0.04) {
    double zz;
    if (heavy) {
      zz = z_rel - 0.5 * kG * (s - tau_rel) * (s - tau_rel);
    } else {
      const double vt = std::max(v_end, 1.0), dt = s - tau_rel;
      zz = z_rel - vt * vt / kG * std::log(std::cosh(kG * dt / vt));
    }
    d.fitted_path.push_back(facade.toImage({cx[0] + cx[1] * std::max(s, 0.0), zz}));
  }
  d.origin_px = facade.toImage({d.facade_x_m, z_rel});
  j.ok = true;
  return j;
}

struct FallDetector::Impl {
  ThrownObjectConfig cfg;
  DetectorParams p;
  Facade facade;
  cv::Size full, small;
  cv::Rect roi;        // analysis pixels
  cv::Mat mask;        // roi-sized, 255 where analysed
  cv::Mat not_mask;
  cv::Mat bg;          // CV_32F, roi-sized
  cv::Mat bg8, normalised, hi, lo, above, below, diff, fg, stabilised;
  double camera_shift = 0;  // of the frame being processed
  std::vector<std::vector<cv::Point>> contours;
  double bg_mean = 0;
  long frame_no = 0;
  cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  double start_t = NAN;
  double sigma = 3;
  double noise_gain = 1;
  bool raining = false;   // on the frame being processed
  size_t thin_count = 0;  // thin blobs on it when raining (else 0)
  std::vector<Track> tracks;
  std::vector<FallDecision> recent;  // decisions of the last seconds, to fold split tracks
  long next_id = 1;
  DetectorStats st;

  Impl(const ThrownObjectConfig& c, cv::Size full_size, DetectorParams params)
      : cfg(c), p(params), facade(c.facade()), full(full_size) {
    p.scale = std::clamp(p.scale, 1, 4);
    small = cv::Size(full.width / p.scale, full.height / p.scale);
    std::vector<cv::Point> area;
    for (const auto& q : facade.detectArea()) area.emplace_back(cvRound(q.x / p.scale), cvRound(q.y / p.scale));
    roi = cv::boundingRect(area) & cv::Rect({0, 0}, small);
    mask = cv::Mat::zeros(roi.size(), CV_8U);
    if (roi.empty()) return;
    for (auto& q : area) q -= roi.tl();
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{area}, 255);
    for (const auto& m : cfg.masks) {
      std::vector<cv::Point> poly;
      for (const auto& q : m) poly.emplace_back(cvRound(q.first / p.scale) - roi.x, cvRound(q.second / p.scale) - roi.y);
      cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, 0);
    }
    cv::bitwise_not(mask, not_mask);
  }

  cv::Point2d toFull(double x, double y) const {
    return {(x + roi.x + 0.5) * p.scale - 0.5, (y + roi.y + 0.5) * p.scale - 0.5};
  }

  // Robust noise estimate from a sparse grid of background differences.
  double estimateSigma(const cv::Mat& f, const cv::Mat& b) const {
    std::vector<int> d;
    d.reserve(4096);
    for (int y = 2; y < f.rows; y += 7) {
      const uchar* fp = f.ptr<uchar>(y);
      const uchar* bp = b.ptr<uchar>(y);
      const uchar* mp = mask.ptr<uchar>(y);
      for (int x = 3; x < f.cols; x += 7) {
        if (mp[x]) d.push_back(std::abs(int(fp[x]) - int(bp[x])));
      }
    }
    if (d.size() < 16) return sigma;
    auto mid = d.begin() + static_cast<long>(d.size() / 2);
    std::nth_element(d.begin(), mid, d.end());
    // Integer differences: interpolate the median of |noise| between levels.
    const double below = static_cast<double>(std::count_if(d.begin(), d.end(), [&](int v) { return v < *mid; }));
    const double at = static_cast<double>(std::count(d.begin(), d.end(), *mid));
    const double med = *mid - 0.5 + (d.size() / 2.0 - below) / std::max(at, 1.0);
    return 1.4826 * std::max(med, 0.1);
  }

  // Mean over a sparse grid of the detection area.
  double sampledMean(const cv::Mat& m) const {
    double sum = 0;
    long n = 0;
    for (int y = 1; y < m.rows; y += 5) {
      const uchar* row = m.ptr<uchar>(y);
      const uchar* mp = mask.ptr<uchar>(y);
      for (int x = 2; x < m.cols; x += 5) {
        if (mp[x]) {
          sum += row[x];
          ++n;
        }
      }
    }
    return n ? sum / n : 0;
  }

  // The background's 8-bit copy and its 3×3 neighbourhood range; the
  // background changes slowly, so this is refreshed every few frames.
  void refreshBackground() {
    bg.convertTo(bg8, CV_8U);
    cv::dilate(bg8, hi, kernel);
    cv::erode(bg8, lo, kernel);
    // Outside the detection area the range is [0, 255]: nothing there is foreground.
    hi.setTo(255, not_mask);
    lo.setTo(0, not_mask);
    bg_mean = sampledMean(bg8);
  }

  std::vector<Blob> findBlobs(const cv::Mat& gray, const GlobalMotion* motion) {
    cv::Mat g = gray(roi);
    int margin = 0;
    if (motion != nullptr && motion->moved) {
      stabilise(gray, *motion, roi, stabilised);
      g = stabilised;
      ++st.stabilised_frames;
      // Near the frame's edges the stabilised frame repeats the border: nothing there.
      margin = static_cast<int>(std::ceil(motion->shift_px)) + 2;
    }
    if (bg.empty()) {
      g.convertTo(bg, CV_32F);
      refreshBackground();
      return {};
    }
    ++frame_no;
    // Global exposure changes: compare the frame scaled back to the background's level.
    const double gain = bg_mean > 1 ? std::clamp(sampledMean(g) / bg_mean, 0.2, 5.0) : 1.0;
    const cv::Mat* f = &g;
    if (std::abs(gain - 1) > 0.01) {
      g.convertTo(normalised, CV_8U, 1.0 / gain);
      f = &normalised;
    }
    sigma = 0.8 * sigma + 0.2 * estimateSigma(*f, bg8);
    st.noise_sigma = sigma;
    const double thr = std::max(p.min_contrast, p.k_sigma * sigma) * noise_gain;
    // Foreground where the frame leaves the neighbourhood range of the background
    // (robust to sub-pixel shake on edges); 8-bit saturating arithmetic.
    cv::subtract(*f, hi, above);
    cv::subtract(lo, *f, below);
    cv::max(above, below, diff);
    cv::compare(diff, thr, fg, cv::CMP_GT);
    if (margin > 0) clearFrameBorder(margin);
    if (frame_no % 2 == 0) cv::accumulateWeighted(g, bg, 2 * p.bg_alpha);
    if (frame_no % 4 == 0) refreshBackground();
    // Outer contours of the (sparse) foreground: cheaper than labelling every
    // pixel of the frame. Area and centroid come from the pixels in each box.
    cv::findContours(fg, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    std::vector<Blob> blobs;
    size_t thin = 0;
    for (const auto& c : contours) {
      const cv::Rect box = cv::boundingRect(c);
      const double w = box.width, h = box.height;
      const cv::Moments m = cv::moments(fg(box), true);
      if (m.m00 <= 0) continue;
      const double area = m.m00;
      Blob b;
      b.px = toFull(box.x + m.m10 / m.m00, box.y + m.m01 / m.m00);
      b.area = area;
      // Too large for a thrown object at this place on the facade (insects near the
      // lens, people, birds close to the camera); long thin streaks (rain).
      const double ppm = facade.pixelsPerMetre(facade.toFacade(b.px)) / p.scale;
      const double extent = std::max(w, h);
      if (extent > std::max(4.0, p.max_object_m * ppm) + 2) continue;
      if (extent >= 5 && extent >= 2.5 * std::min(w, h) && area < 0.6 * w * h) continue;
      // Pieces of rain streaks left by the threshold: one pixel wide, or two pixels
      // wide and at least four times as long (second moments of the blob's pixels).
      const double cxx = m.mu20 / area, cyy = m.mu02 / area, cxy = m.mu11 / area;
      const double mid = (cxx + cyy) / 2, dev = std::sqrt((cxx - cyy) * (cxx - cyy) / 4 + cxy * cxy);
      const double major = mid + dev, minor = mid - dev;
      b.thin = (major >= 1.0 && minor <= 0.26 && major >= 4 * minor) || (box.width == 1 && box.height >= 2);
      thin += b.thin;
      blobs.push_back(b);
    }
    // Rain: many such pieces. They are not what the noise threshold is for (raising it
    // hides the objects), and they may continue a track but not start one.
    raining = thin >= p.rain_thin_blobs;
    thin_count = raining ? thin : 0;
    // Noise the robust estimate does not capture (compression blocks, heavy
    // tails at night) shows up as many small blobs: raise the threshold until a
    // frame has only a handful, and lower it again slowly. Long streaks were
    // filtered out above; the pieces of streaks on a raining frame do not count.
    const size_t counted = blobs.size() - thin_count;
    if (counted > 30) {
      noise_gain = std::min(noise_gain * 1.12, 4.0);
    } else if (counted < 8) {
      noise_gain = std::max(noise_gain * 0.99, 1.0);
    }
    return blobs;
  }

  // Zeroes the foreground within `margin` pixels of the frame's edges (where the
  // analysed region reaches them).
  void clearFrameBorder(int margin) {
    const cv::Rect inner(margin, margin, small.width - 2 * margin, small.height - 2 * margin);
    if (inner.width <= 0 || inner.height <= 0) {
      fg.setTo(0);
      return;
    }
    const cv::Rect keep = (inner & roi) - roi.tl();
    if (keep == cv::Rect({0, 0}, roi.size())) return;
    cv::Mat kept = cv::Mat::zeros(fg.size(), CV_8U);
    fg(keep).copyTo(kept(keep));
    fg = kept;
  }

  // Where a track should be at time t (full-resolution pixels) and how far off it may be.
  void predict(const Track& tr, double t, cv::Point2d* at, double* gate) const {
    const auto& pts = tr.points;
    const size_t n = pts.size();
    const double dt = t - pts.back().t;
    if (n == 1) {
      *at = pts.back().px;
      *gate = 10.0 + 30 * dt;
      return;
    }
    const size_t k = std::min<size_t>(n, 6);
    const TrackPoint& a = pts[n - k];
    const TrackPoint& b = pts.back();
    const double span = std::max(b.t - a.t, 1e-3);
    cv::Point2d v = (b.px - a.px) / span;
    if (n >= 4) {
      // Acceleration from the two halves of the recent window.
      const TrackPoint& m = pts[n - 1 - (k - 1) / 2];
      const double s1 = std::max(m.t - a.t, 1e-3), s2 = std::max(b.t - m.t, 1e-3);
      const cv::Point2d v1 = (m.px - a.px) / s1, v2 = (b.px - m.px) / s2;
      const cv::Point2d acc = (v2 - v1) / ((s1 + s2) / 2);
      v = v2 + acc * (s2 / 2);
      *at = b.px + v * dt + acc * (0.5 * dt * dt);
    } else {
      *at = b.px + v * dt;
    }
    *gate = 5.0 + 0.35 * cv::norm(v) * dt + 60 * dt * dt + 4 * p.scale;
  }

  void associate(std::vector<Blob>& blobs, double t, bool disturbed) {
    const bool cluttered = blobs.size() - thin_count > 30;
    struct Pair {
      double d;
      size_t track, blob;
    };
    std::vector<Pair> pairs;
    for (size_t i = 0; i < tracks.size(); ++i) {
      cv::Point2d at;
      double gate;
      predict(tracks[i], t, &at, &gate);
      // Among many blobs (rain, flicker) a wide gate links unrelated ones.
      if (disturbed) gate = std::min(gate, 6.0 * p.scale);
      if (cluttered && tracks[i].points.size() >= 3) gate = std::min(gate, 3.0 * p.scale + 2);
      for (size_t j = 0; j < blobs.size(); ++j) {
        const double d = cv::norm(blobs[j].px - at);
        if (d <= gate) pairs.push_back({d, i, j});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.d < b.d; });
    std::vector<bool> track_used(tracks.size(), false);
    for (const auto& pr : pairs) {
      if (track_used[pr.track] || blobs[pr.blob].used) continue;
      track_used[pr.track] = true;
      blobs[pr.blob].used = true;
      tracks[pr.track].add(point(blobs[pr.blob], t));
    }
    if (disturbed) return;
    for (auto& b : blobs) {
      if (b.used || (raining && b.thin)) continue;
      Track tr;
      tr.id = next_id++;
      tr.add(point(b, t));
      tracks.push_back(std::move(tr));
      ++st.tracks;
    }
  }

  // A track that picks up a fall already whistled (the object was lost for a
  // moment and found again) is the same fall.
  bool continuesEarlierFall(const Track& tr, const FallDecision& cand) {
    const TrackPoint& a = tr.points.front();
    recent.erase(std::remove_if(recent.begin(), recent.end(),
                                [&](const FallDecision& d) { return a.t - d.release_time > 40; }),
                 recent.end());
    for (const auto& d : recent) {
      if (std::abs(cand.facade_x_m - d.facade_x_m) > 3.5) continue;
      if (std::abs(cand.release_time - d.release_time) < 0.6) return true;
      const double dt = a.t - d.release_time;
      if (dt <= 0) continue;
      // Where the object of that fall should be now, with room for the errors of
      // the estimate; nothing once that fall must have reached the ground.
      if (d.heavy) {
        const double expected = std::max(d.release_height_m - 0.5 * kG * dt * dt, 0.0);
        if (dt <= std::sqrt(2 * std::max(d.release_height_m, 0.0) / kG) + 0.5 &&
            std::abs(a.facade.y - expected) < 3.0 + 0.25 * (d.release_height_m - a.facade.y)) {
          return true;
        }
        // Every object starts in free fall; a light one (a bag, a box) then falls at
        // about its terminal speed and is found again higher up than free fall puts
        // it — but below where it was last seen by at least that speed (taken as 60%
        // of the speed last measured, and no less than the slowest fall the detector
        // takes) since then. Another object thrown nearby later starts higher.
        if (d.track.empty()) continue;
        const TrackPoint& seen = d.track.back();
        const double since = a.t - seen.t;
        const double v = std::max(p.min_steady_mps, 0.6 * d.speed_mps);
        if (since <= 0 || since > seen.facade.y / v + 1.0) continue;
        if (a.facade.y <= seen.facade.y - v * since + 3.0 && a.facade.y >= expected - 3.0) return true;
      } else {
        const double v = std::max(d.speed_mps, 1.0);
        if (dt > d.release_height_m / (0.5 * v) + 1.0) continue;
        // A fall judged steady early on may still be accelerating: the lower bound is free fall.
        const double hi = d.release_height_m - 0.5 * v * dt + 3.0;
        const double lo = d.release_height_m - 0.5 * kG * dt * dt - 3.0;
        if (a.facade.y <= hi && a.facade.y >= lo) return true;
      }
    }
    return false;
  }

  TrackPoint point(const Blob& b, double t) const {
    return {t, b.px, facade.toFacade(b.px), b.area, camera_shift, raining};
  }

  void judge(Track& tr, double now, bool final, std::vector<FallDecision>& out) {
    if (tr.decided) return;
    const double duration = tr.points.back().t - tr.points.front().t;
    if (!final && duration < p.decide_after_s) return;
    // Most tracks (static flicker, noise) never go down far enough to be judged
    // at all; the judgement would reject them anyway, after fitting them.
    if (tr.drop() < 0.5 * p.min_fall_m) return;
    Judgement j = judgeTrack(tr.points, facade, p, cfg.min_floor, final);
    if (debugEnabled() && (final || j.ok) && tr.points.size() >= 4) {
      const auto& a = tr.points.front();
      const auto& b = tr.points.back();
      double area = 0;
      for (const auto& q : tr.points) area += q.area_px / tr.points.size();
      std::fprintf(stderr, "track %ld %s t %.2f-%.2f n %zu (%.1f,%.1f)->(%.1f,%.1f) m px (%.0f,%.0f) area %.1f: %s\n",
                   tr.id, final ? "ended" : "open", a.t, b.t, tr.points.size(), a.facade.x, a.facade.y, b.facade.x,
                   b.facade.y, b.px.x, b.px.y, area, j.ok ? "FALL" : j.reason.c_str());
    }
    if (!j.ok) {
      if (final && tr.points.size() >= 6 && tr.points.front().facade.y - tr.points.back().facade.y > 1.0) ++st.rejected;
      return;
    }
    tr.decided = true;
    if (continuesEarlierFall(tr, j.decision)) {
      ++st.duplicates;
      return;
    }
    j.decision.decided_at = now;
    recent.push_back(j.decision);
    ++st.decisions;
    out.push_back(std::move(j.decision));
  }

  std::vector<FallDecision> process(const cv::Mat& gray, double t, const GlobalMotion* motion) {
    std::vector<FallDecision> out;
    ++st.frames;
    if (roi.empty() || gray.size() != small || gray.type() != CV_8UC1) return out;
    if (std::isnan(start_t)) start_t = t;
    if (motion != nullptr && motion->rebased) {
      // The camera now looks elsewhere: learn the background again.
      bg.release();
      tracks.clear();
      start_t = t;
    }
    if (motion != nullptr && !motion->reliable) {
      // Camera motion unknown (a jolt, blur): hold judgement. Tracks age; those
      // that stay lost end on a later frame and are judged on what was seen.
      ++st.held_frames;
      return out;
    }
    camera_shift = motion != nullptr ? motion->shift_px : 0;
    std::vector<Blob> blobs = findBlobs(gray, motion);
    if (t - start_t < p.warmup_s) return out;
    st.blobs += static_cast<long>(blobs.size());
    const bool disturbed = static_cast<int>(blobs.size() - thin_count) > p.max_blobs;
    if (disturbed) ++st.disturbed_frames;
    associate(blobs, t, disturbed);
    for (auto& tr : tracks) {
      if (tr.points.back().t == t) judge(tr, t, false, out);
    }
    // End tracks that lost their object; judge them one last time.
    std::vector<Track> alive;
    alive.reserve(tracks.size());
    for (auto& tr : tracks) {
      if (t - tr.last_t() > p.lost_after_s) {
        judge(tr, t, true, out);
      } else {
        alive.push_back(std::move(tr));
      }
    }
    tracks = std::move(alive);
    // A flood of one-point tracks (rain, flicker) must not grow without bound.
    if (tracks.size() > 400) tracks.erase(tracks.begin(), tracks.begin() + static_cast<long>(tracks.size() - 400));
    return out;
  }
};

FallDetector::FallDetector(const ThrownObjectConfig& cfg, cv::Size full_size, DetectorParams params)
    : impl_(std::make_unique<Impl>(cfg, full_size, params)) {}
FallDetector::~FallDetector() = default;

std::vector<FallDecision> FallDetector::process(const cv::Mat& gray, double t, const GlobalMotion* motion) {
  return impl_->process(gray, t, motion);
}

std::vector<FallDecision> FallDetector::flush(double t) {
  std::vector<FallDecision> out;
  for (auto& tr : impl_->tracks) impl_->judge(tr, t, true, out);
  impl_->tracks.clear();
  return out;
}

const Facade& FallDetector::facade() const { return impl_->facade; }
const DetectorParams& FallDetector::params() const { return impl_->p; }
cv::Size FallDetector::analysisSize() const { return impl_->small; }
const DetectorStats& FallDetector::stats() const { return impl_->st; }

size_t FallDetector::memoryBytes() const {
  size_t total = 0;
  for (const cv::Mat* m : {&impl_->mask, &impl_->bg, &impl_->bg8, &impl_->normalised, &impl_->hi, &impl_->lo,
                           &impl_->above, &impl_->below, &impl_->diff, &impl_->fg, &impl_->stabilised}) {
    total += m->total() * m->elemSize();
  }
  for (const auto& tr : impl_->tracks) total += tr.points.capacity() * sizeof(TrackPoint);
  return total;
}

}  // namespace shaobing::vision
