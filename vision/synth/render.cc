// Scene rendering: a static facade background per scene, sprites for moving things,
// then global camera effects (shake, exposure, noise) in that order.
#include "vision/synth/render.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>

namespace shaobing::vision::synth {
namespace {

constexpr int kShift = 4;  // fixed-point bits for sub-pixel polygon vertices
constexpr int kNoisePool = 6;

void fillQuad(cv::Mat& img, const Projector& proj, double x0, double z0, double x1, double z1,
              const cv::Scalar& colour) {
  std::vector<cv::Point> pts;
  for (cv::Point2d f : {cv::Point2d(x0, z0), cv::Point2d(x1, z0), cv::Point2d(x1, z1), cv::Point2d(x0, z1)}) {
    cv::Point2d p = proj.projectFacade(f.x, f.y);
    pts.emplace_back(cvRound(p.x * (1 << kShift)), cvRound(p.y * (1 << kShift)));
  }
  cv::fillConvexPoly(img, pts, colour, cv::LINE_AA, kShift);
}

}  // namespace

struct SceneRenderer::State {
  const Scene& scene;
  RenderOptions options;
  Projector projector;
  cv::Mat background;
  std::vector<std::pair<cv::Mat, cv::Mat>> noise;  // (positive part, negative part)

  State(const Scene& s, RenderOptions o) : scene(s), options(o), projector(s.pose) {}

  void drawWindow(cv::Mat& img, int floor, int column, bool lit) const {
    const FacadeLayout& l = scene.layout;
    const double xc = l.columnCentre(column), base = l.floorBase(floor);
    fillQuad(img, projector, xc - l.window_width_m / 2, base + l.sill_m, xc + l.window_width_m / 2,
             base + l.sill_m + l.window_height_m, lit ? scene.window_lit : scene.window_dark);
    if (l.isLoggia(column)) {  // balcony railing in front of the lower part of the window
      fillQuad(img, projector, xc - 1.4, base + 0.2, xc + 1.4, base + 1.1, scene.wall * 0.85);
    }
  }

  void buildBackground() {
    const CameraPose& p = scene.pose;
    background.create(p.height, p.width, CV_8UC3);
    for (int y = 0; y < p.height; ++y) {
      const double a = static_cast<double>(y) / p.height;
      background.row(y).setTo(scene.sky_top * (1 - a) + scene.sky_bottom * a);
    }
    // Ground: everything below the horizon (the vanishing line of horizontal planes).
    cv::Point2d h1 = projector.project({p.x_m - 1e5, -1e6, p.height_m});
    cv::Point2d h2 = projector.project({p.x_m + 1e5, -1e6, p.height_m});
    const double slope = (h2.y - h1.y) / (h2.x - h1.x);
    auto horizonAt = [&](double x) { return h1.y + slope * (x - h1.x); };
    std::vector<cv::Point> ground{{0, cvRound(horizonAt(0))}, {p.width, cvRound(horizonAt(p.width))},
                                  {p.width, p.height}, {0, p.height}};
    cv::fillConvexPoly(background, ground, scene.ground, cv::LINE_AA);

    const FacadeLayout& l = scene.layout;
    fillQuad(background, projector, 0, 0, l.width(), l.roofHeight(), scene.wall);
    for (int f = 1; f <= l.floors; ++f) {
      fillQuad(background, projector, 0, l.floorBase(f), l.width(), l.floorBase(f) + 0.15, scene.wall * 0.8);
      for (int c = 1; c <= l.columns; ++c) {
        if (l.isLoggia(c)) {
          fillQuad(background, projector, l.columnCentre(c) - 1.4, l.floorBase(f) + 0.2,
                   l.columnCentre(c) + 1.4, l.floorBase(f) + 2.7, scene.wall * 0.55);
        }
        drawWindow(background, f, c, scene.lit_at_start[f - 1][c - 1]);
      }
    }
    fillQuad(background, projector, 0, l.roofHeight() - 0.3, l.width(), l.roofHeight(), scene.wall * 0.7);
    // Entrance at the foot of the building.
    fillQuad(background, projector, l.width() / 2 - 1.5, 0, l.width() / 2 + 1.5, 2.4, scene.wall * 0.4);

    if (scene.noise_sigma > 0) {
      cv::RNG rng(mixSeed(scene.recipe.seed, 0x7015E));
      for (int i = 0; i < kNoisePool; ++i) {
        cv::Mat n(p.height, p.width, CV_16SC3);
        rng.fill(n, cv::RNG::NORMAL, 0, scene.noise_sigma);
        cv::Mat pos, neg;
        n.convertTo(pos, CV_8UC3);
        cv::Mat negated = -n;
        negated.convertTo(neg, CV_8UC3);
        noise.emplace_back(pos, neg);
      }
    }
  }

  void drawSized(cv::Mat& img, const WorldPoint& a, const WorldPoint& b, double radius_m,
                 const cv::Scalar& colour, double opacity) const {
    const double ppm = projector.pixelsPerMetre(a);
    drawCapsule(img, projector.project(a), projector.project(b), radius_m * ppm, colour, opacity);
  }

  void drawEvents(cv::Mat& img, double t) const {
    const double half = scene.exposureTime() / 2;
    for (const auto& e : scene.events) {
      const double dt = t - e.release_time_s;
      if (dt < 0 || t > e.endTime() + 1.0) continue;
      // Motion blur: the object sweeps a capsule during the exposure; its ink spreads
      // over the swept area.
      WorldPoint a = e.motion.at(std::max(0.0, dt - half)), b = e.motion.at(dt + half);
      const double ppm = projector.pixelsPerMetre(a);
      const double r = e.size_m / 2 * ppm;
      const double len = cv::norm(projector.project(a) - projector.project(b));
      const double opacity = CV_PI * r * r / (2 * r * len + CV_PI * r * r);
      drawCapsule(img, projector.project(a), projector.project(b), r, e.colour, std::min(1.0, opacity));
    }
  }

  void drawDistractors(cv::Mat& img, double t, int index) const {
    const bool night = scene.recipe.night;
    for (const auto& w : scene.toggles) {
      if (w.time_s <= t) drawWindow(img, w.floor, w.column, w.on);
    }
    for (const auto& p : scene.pedestrians) {
      if (t < p.start_s || t > p.end_s) continue;
      const double x = p.x0 + p.vx * (t - p.start_s);
      const double sway = 0.05 * std::sin(2 * CV_PI * 1.8 * t);
      drawSized(img, {x, p.d, 0.35}, {x + sway, p.d, p.height_m - 0.45}, 0.2, p.colour, night ? 0.5 : 1.0);
      drawSized(img, {x + sway, p.d, p.height_m - 0.12}, {x + sway, p.d, p.height_m - 0.12}, 0.11,
                p.colour * 0.8, night ? 0.5 : 1.0);
    }
    for (const auto& b : scene.birds) {
      if (t < b.start_s || t > b.end_s) continue;
      WorldPoint c = b.at(t);
      const double span = b.wingspan_m * (b.flap_hz > 0 ? 0.55 + 0.45 * std::abs(std::sin(CV_PI * b.flap_hz * t + b.phase)) : 1.0);
      drawSized(img, {c.x - span / 2, c.d, c.z}, {c.x + span / 2, c.d, c.z}, 0.04, night ? cv::Scalar(45, 45, 45) : cv::Scalar(40, 40, 45), 1.0);
    }
    for (const auto& f : scene.leaves) {
      if (t < f.start_s || t > f.endTime()) continue;
      WorldPoint c = f.at(t);
      const double angle = 2 * CV_PI * f.sway_hz * (t - f.start_s) * 1.7;
      const double dx = f.size_m / 2 * std::cos(angle), dz = f.size_m / 2 * std::sin(angle);
      drawSized(img, {c.x - dx, c.d, c.z - dz}, {c.x + dx, c.d, c.z + dz}, f.size_m / 4, f.colour, 1.0);
    }
    for (const auto& r : scene.rain) {
      if (t < r.start_s || t > r.end_s) continue;
      Random rng(mixSeed(scene.recipe.seed, 0x4A1000000ull + index));
      const double a = r.angle_deg * CV_PI / 180;
      const cv::Point2d dir(std::sin(a), std::cos(a));
      cv::Mat overlay = img.clone();
      const cv::Scalar colour = night ? cv::Scalar(120, 120, 120) : cv::Scalar(235, 235, 235);
      for (int i = 0; i < r.streaks; ++i) {
        cv::Point2d p0(rng.uniform(-50, img.cols + 50), rng.uniform(-50, img.rows));
        cv::Point2d p1 = p0 + dir * r.length_px;
        cv::line(overlay, cv::Point(cvRound(p0.x * 16), cvRound(p0.y * 16)),
                 cv::Point(cvRound(p1.x * 16), cvRound(p1.y * 16)), colour, 1, cv::LINE_AA, 4);
      }
      cv::addWeighted(overlay, r.intensity, img, 1 - r.intensity, 0, img);
    }
    for (const auto& k : scene.insects) {
      if (t < k.start_s || t > k.end_s) continue;
      Random rng(k.seed);
      const double p1 = rng.uniform(0, 6), p2 = rng.uniform(0, 6);
      auto at = [&](double tt) {
        return k.centre + cv::Point2d(90 * std::sin(7.3 * tt + p1) + 40 * std::sin(19.1 * tt),
                                      70 * std::sin(9.7 * tt + p2) + 35 * std::sin(23.3 * tt + p1));
      };
      drawCapsule(img, at(t - 0.01), at(t + 0.01), k.radius_px, cv::Scalar(25, 25, 25), 0.8, k.radius_px / 2);
    }
    for (const auto& d : scene.darts) {
      if (t < d.start_s || t > d.end_s) continue;
      // Lit by the camera's IR at night (bright), a dark speck by day.
      const cv::Scalar colour = night ? cv::Scalar(200, 200, 200) : cv::Scalar(30, 30, 30);
      const double half = scene.exposureTime() / 2;
      drawCapsule(img, d.at(t - half), d.at(t + half), d.radius_px, colour, 0.9);
    }
  }

  // Camera motion: the image displaced and rolled, row by row when the sensor has a
  // rolling shutter, and smeared by the motion during the exposure.
  void applyShake(cv::Mat& img, double t) const {
    bool any = false, per_row = false;
    double readout = 0;
    for (const auto& k : scene.shake) {
      if (t < k.start_s - 0.05 || t > k.end_s + 0.05) continue;
      any = true;
      if (k.strong) per_row = true;
      readout = std::max(readout, k.readout_s);
    }
    if (!any) return;
    auto motionAt = [&](double tt, cv::Point2d* d, double* roll) {
      *d = {0, 0};
      *roll = 0;
      for (const auto& k : scene.shake) {
        *d += k.offset(tt);
        *roll += k.roll(tt);
      }
    };
    if (!per_row) {
      cv::Point2d d;
      double roll;
      motionAt(t, &d, &roll);
      cv::Matx23d m(1, 0, d.x, 0, 1, d.y);
      cv::Mat shifted;
      cv::warpAffine(img, shifted, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      img = shifted;
      return;
    }
    const cv::Point2d c(img.cols / 2.0, img.rows / 2.0);
    cv::Mat map_x(img.size(), CV_32F), map_y(img.size(), CV_32F);
    for (int y = 0; y < img.rows; ++y) {
      cv::Point2d d;
      double roll;
      motionAt(t + readout * (static_cast<double>(y) / img.rows - 0.5), &d, &roll);
      const double cs = std::cos(roll), sn = std::sin(roll);
      float* mx = map_x.ptr<float>(y);
      float* my = map_y.ptr<float>(y);
      for (int x = 0; x < img.cols; ++x) {
        // The scene point seen at (x, y): undo the displacement, then the roll about the centre.
        const double px = x - d.x - c.x, py = y - d.y - c.y;
        mx[x] = static_cast<float>(cs * px + sn * py + c.x);
        my[x] = static_cast<float>(-sn * px + cs * py + c.y);
      }
    }
    cv::Mat warped;
    cv::remap(img, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    img = warped;
    // Motion blur: the image moves by v·exposure while the shutter is open.
    const double e = scene.exposureTime();
    cv::Point2d d0, d1;
    double r0, r1;
    motionAt(t - e / 2, &d0, &r0);
    motionAt(t + e / 2, &d1, &r1);
    const cv::Point2d smear = d1 - d0;
    const double len = cv::norm(smear);
    if (len >= 1.0) {
      const int size = 2 * static_cast<int>(std::ceil(len / 2)) + 1;
      cv::Mat kernel = cv::Mat::zeros(size, size, CV_32F);
      const cv::Point2d mid(size / 2.0, size / 2.0);
      cv::line(kernel, mid - smear / 2, mid + smear / 2, cv::Scalar(1.0), 1, cv::LINE_AA);
      kernel /= cv::sum(kernel)[0];
      cv::filter2D(img, img, -1, kernel, {-1, -1}, 0, cv::BORDER_REPLICATE);
    }
  }

  void applyCamera(cv::Mat& img, double t, int index) const {
    applyShake(img, t);
    double gain = 1;
    for (const auto& e : scene.exposure) {
      if (e.time_s <= t) gain = e.gain;
    }
    if (gain != 1) img.convertTo(img, -1, gain);
    if (!noise.empty()) {
      const auto& n = noise[mixSeed(scene.recipe.seed, index) % noise.size()];
      cv::add(img, n.first, img);
      cv::subtract(img, n.second, img);
    }
  }
};

SceneRenderer::SceneRenderer(const Scene& scene, RenderOptions options)
    : state_(std::make_unique<State>(scene, options)) {
  state_->buildBackground();
}

SceneRenderer::~SceneRenderer() = default;

cv::Mat SceneRenderer::render(int index) const {
  const double t = index / state_->scene.fps;
  cv::Mat img = state_->background.clone();
  if (state_->options.distractors) state_->drawDistractors(img, t, index);
  if (state_->options.events) state_->drawEvents(img, t);
  if (state_->options.distractors) state_->applyCamera(img, t, index);
  return img;
}

bool writeVideo(const Scene& scene, const std::string& path, std::string* error) {
  cv::VideoWriter writer(path, cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), scene.fps,
                         cv::Size(scene.pose.width, scene.pose.height),
                         {cv::VIDEOWRITER_PROP_QUALITY, scene.jpeg_quality});
  if (!writer.isOpened()) {
    if (error != nullptr) *error = "cannot open " + path + " for writing";
    return false;
  }
  SceneRenderer renderer(scene);
  for (int i = 0; i < scene.frame_count; ++i) writer.write(renderer.render(i));
  writer.release();
  return true;
}

void drawCapsule(cv::Mat& image, cv::Point2d a, cv::Point2d b, double radius_px, const cv::Scalar& colour,
                 double opacity, double blur_px) {
  const double margin = radius_px + 2 + 3 * blur_px;
  const int x0 = static_cast<int>(std::floor(std::min(a.x, b.x) - margin));
  const int y0 = static_cast<int>(std::floor(std::min(a.y, b.y) - margin));
  const int x1 = static_cast<int>(std::ceil(std::max(a.x, b.x) + margin));
  const int y1 = static_cast<int>(std::ceil(std::max(a.y, b.y) + margin));
  const cv::Rect box = cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, image.cols, image.rows);
  if (box.empty() || opacity <= 0) return;
  // Coverage of each pixel by the capsule, from a grid of samples inside the pixel;
  // a capsule thinner than the grid keeps its ink as a fraction of one sample.
  const cv::Rect full(x0, y0, x1 - x0, y1 - y0);
  const int grid = full.area() < 4096 ? 8 : 3;
  const double min_radius = 0.5 / grid;
  const double ink = radius_px < min_radius ? (radius_px * radius_px) / (min_radius * min_radius) : 1.0;
  const double r = std::max(radius_px, min_radius);
  const cv::Point2d ab = b - a;
  const double ab2 = ab.dot(ab);
  cv::Mat alpha(full.size(), CV_32F);
  for (int y = 0; y < full.height; ++y) {
    for (int x = 0; x < full.width; ++x) {
      int inside = 0;
      for (int sy = 0; sy < grid; ++sy) {
        for (int sx = 0; sx < grid; ++sx) {
          const cv::Point2d p(x0 + x + (sx + 0.5) / grid, y0 + y + (sy + 0.5) / grid);
          const double t = ab2 > 0 ? std::clamp((p - a).dot(ab) / ab2, 0.0, 1.0) : 0.0;
          const cv::Point2d q = p - (a + ab * t);
          inside += q.dot(q) <= r * r;
        }
      }
      alpha.at<float>(y, x) = static_cast<float>(ink * opacity * inside / (grid * grid));
    }
  }
  if (blur_px > 0) cv::GaussianBlur(alpha, alpha, cv::Size(), blur_px);
  cv::Mat roi = image(box);
  cv::Mat a_roi = alpha(cv::Rect(box.x - x0, box.y - y0, box.width, box.height));
  for (int y = 0; y < roi.rows; ++y) {
    auto* px = roi.ptr<cv::Vec3b>(y);
    const float* al = a_roi.ptr<float>(y);
    for (int x = 0; x < roi.cols; ++x) {
      const float w = std::min(al[x], 1.0f);
      if (w <= 0) continue;
      for (int c = 0; c < 3; ++c) px[x][c] = cv::saturate_cast<uchar>(px[x][c] * (1 - w) + colour[c] * w);
    }
  }
}

}  // namespace shaobing::vision::synth
