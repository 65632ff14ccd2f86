// Draws a scene's contents from its recipe and seed, and writes its ground truth.
#include "vision/synth/scene.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace shaobing::vision::synth {
namespace {

constexpr double kWarmupS = 4.0;  // quiet start so background models can settle
constexpr double kTailS = 2.0;

cv::Scalar grey(double v) { return cv::Scalar(v, v, v); }

cv::Scalar objectColour(Random& rng, bool night) {
  if (night) return grey(rng.uniform(60, 110));  // dimly lit by windows and street lights
  switch (rng.integer(0, 3)) {
    case 0: return grey(rng.uniform(20, 70));                                     // dark
    case 1: return grey(rng.uniform(230, 255));                                   // white
    case 2: return cv::Scalar(rng.uniform(20, 60), rng.uniform(40, 90), rng.uniform(150, 220));  // red/brown
    default: return cv::Scalar(rng.uniform(120, 200), rng.uniform(60, 110), rng.uniform(20, 60));  // blue
  }
}

ThrownEvent drawEvent(Random& rng, const Scene& scene, int id, double release_time) {
  const FacadeLayout& l = scene.layout;
  ThrownEvent e;
  e.id = id;
  e.release_time_s = release_time;
  e.floor = rng.integer(2, l.floors);
  do {
    e.column = rng.integer(1, l.columns);
  } while (l.isLoggia(e.column) && rng.chance(0.5));
  const SceneRecipe& r = scene.recipe;
  const double pick = rng.uniform(0, r.small_weight + r.medium_weight + r.large_weight);
  if (pick < r.small_weight) {
    e.size_m = rng.uniform(0.10, 0.12);
  } else if (pick < r.small_weight + r.medium_weight) {
    e.size_m = rng.uniform(0.12, 0.20);
  } else {
    e.size_m = rng.uniform(0.20, 0.50);
  }
  FallMotion& m = e.motion;
  m.release = {l.columnCentre(e.column) + rng.uniform(-0.5, 0.5), 0.1,
               l.floorBase(e.floor) + l.sill_m + rng.uniform(0.0, 0.4)};
  m.heavy = rng.chance(r.heavy_fraction);
  if (m.heavy) {
    if (rng.chance(0.5)) {  // thrown rather than dropped
      m.vx = rng.uniform(-1.5, 1.5);
      m.vd = rng.uniform(0.0, 0.6);
      m.vz = rng.uniform(0.0, 1.0);
    }
  } else {
    m.terminal_mps = rng.uniform(1.5, 7.0);
    m.vx = rng.uniform(-1.0, 1.0);
    m.vd = rng.uniform(0.0, 0.3);
    m.sway_m = rng.uniform(0.0, 0.4);
    m.sway_hz = rng.uniform(0.3, 1.0);
  }
  e.colour = objectColour(rng, r.night);
  return e;
}

void addBirds(Random& rng, Scene& s, double t0, double t1) {
  static const char* kPatterns[] = {"horizontal", "gliding", "upward", "erratic", "descending"};
  const int count = std::max(1, static_cast<int>((t1 - t0) / 6));
  for (int i = 0; i < count; ++i) {
    Bird b;
    b.pattern = kPatterns[rng.integer(0, 4)];
    b.start_s = rng.uniform(t0, std::max(t0, t1 - 3));
    b.end_s = std::min(t1, b.start_s + rng.uniform(3, 8));
    const bool leftwards = rng.chance(0.5);
    b.start = {leftwards ? s.layout.width() + 8 : -8, rng.uniform(2, 25), rng.uniform(6, 50)};
    b.vx = (leftwards ? -1 : 1) * rng.uniform(5, 11);
    b.wingspan_m = rng.uniform(0.25, 0.6);
    b.flap_hz = rng.uniform(3, 7);
    b.phase = rng.uniform(0, 2 * CV_PI);
    if (b.pattern == "gliding") {
      b.vz = -rng.uniform(0.3, 0.9);
      b.flap_hz = 0;
    } else if (b.pattern == "upward") {
      b.vz = rng.uniform(1.5, 3.0);
      b.vx *= 0.5;
      b.start.z = rng.uniform(3, 25);
    } else if (b.pattern == "erratic") {
      b.vx *= 0.3;
      b.start.x = rng.uniform(0, s.layout.width());
    } else if (b.pattern == "descending") {
      b.dive_at_s = rng.uniform(0.5, 2.0);
    }
    s.birds.push_back(b);
  }
}

void addLeaves(Random& rng, Scene& s, double t0, double t1) {
  const int count = std::max(2, static_cast<int>((t1 - t0) / 2.5));
  for (int i = 0; i < count; ++i) {
    Leaf f;
    f.start_s = rng.uniform(t0, std::max(t0, t1 - 4));
    f.start = {rng.uniform(0, s.layout.width()), rng.uniform(3, 10), rng.uniform(5, 14)};
    f.fall_mps = rng.uniform(0.5, 1.5);
    f.sway_m = rng.uniform(0.4, 1.5);
    f.sway_hz = rng.uniform(0.3, 0.8);
    f.size_m = rng.uniform(0.05, 0.10);
    f.colour = rng.chance(0.5) ? cv::Scalar(40, 120, 90) : cv::Scalar(30, 90, 140);
    if (s.recipe.night) f.colour *= 0.35;
    s.leaves.push_back(f);
  }
}

void addWindowLights(Random& rng, Scene& s, double t0, double t1) {
  const int count = std::max(2, static_cast<int>((t1 - t0) / 2));
  for (int i = 0; i < count; ++i) {
    WindowToggle w;
    w.time_s = rng.uniform(t0, t1);
    w.floor = rng.integer(1, s.layout.floors);
    w.column = rng.integer(1, s.layout.columns);
    w.on = !s.lit_at_start[w.floor - 1][w.column - 1];
    s.toggles.push_back(w);
  }
  std::sort(s.toggles.begin(), s.toggles.end(),
            [](const WindowToggle& a, const WindowToggle& b) { return a.time_s < b.time_s; });
}

void addPedestrians(Random& rng, Scene& s, double t0, double t1) {
  const int count = std::max(1, static_cast<int>((t1 - t0) / 8));
  for (int i = 0; i < count; ++i) {
    Pedestrian p;
    p.start_s = rng.uniform(t0, std::max(t0, t1 - 5));
    p.end_s = std::min(t1, p.start_s + rng.uniform(8, 20));
    p.d = rng.uniform(3, 12);
    p.vx = (rng.chance(0.5) ? -1 : 1) * rng.uniform(0.9, 1.6);
    p.x0 = p.vx > 0 ? rng.uniform(-5, s.layout.width() / 2) : rng.uniform(s.layout.width() / 2, s.layout.width() + 5);
    p.height_m = rng.uniform(1.5, 1.9);
    p.colour = grey(rng.uniform(30, 120));
    s.pedestrians.push_back(p);
  }
}

// Spans of length [lo, hi] seconds inside [t0, t1].
TimeSpan drawSpan(Random& rng, double t0, double t1, double lo, double hi) {
  const double len = std::min(rng.uniform(lo, hi), t1 - t0);
  const double start = rng.uniform(t0, t1 - len);
  return {start, start + len};
}

void addDistractors(Random& rng, Scene& s) {
  const double t0 = 0.5, t1 = s.duration() - 0.5;
  const auto& want = s.recipe.distractors;
  auto has = [&](Distractor d) { return want.count(d) > 0; };
  if (has(Distractor::Birds)) addBirds(rng, s, t0, t1);
  if (has(Distractor::Leaves)) addLeaves(rng, s, t0, t1);
  if (has(Distractor::WindowLights)) addWindowLights(rng, s, t0, t1);
  if (has(Distractor::Pedestrians)) addPedestrians(rng, s, t0, t1);
  if (has(Distractor::Rain)) {
    RainSpell r;
    static_cast<TimeSpan&>(r) = drawSpan(rng, t0, t1, 8, 30);
    r.streaks = rng.integer(150, 450);
    r.angle_deg = rng.uniform(-12, 12);
    r.length_px = rng.uniform(15, 35);
    r.speed_px = rng.uniform(45, 80);
    r.intensity = s.recipe.night ? rng.uniform(0.15, 0.3) : rng.uniform(0.25, 0.45);
    s.rain.push_back(r);
  }
  if (has(Distractor::Shake)) {
    for (int i = 0, n = std::max(1, static_cast<int>((t1 - t0) / 15)); i < n; ++i) {
      ShakeSpell k;
      static_cast<TimeSpan&>(k) = drawSpan(rng, t0, t1, 1, 4);
      k.amplitude_px = rng.uniform(0.5, 3.0);
      k.hz = rng.uniform(3, 10);
      s.shake.push_back(k);
    }
  }
  if (has(Distractor::Insect)) {
    for (int i = 0, n = std::max(1, static_cast<int>((t1 - t0) / 20)); i < n; ++i) {
      InsectSpell k;
      static_cast<TimeSpan&>(k) = drawSpan(rng, t0, t1, 1, 4);
      k.centre = {rng.uniform(200, s.pose.width - 200.0), rng.uniform(150, s.pose.height - 150.0)};
      k.radius_px = rng.uniform(15, 60);
      k.seed = rng.next();
      s.insects.push_back(k);
    }
  }
  if (has(Distractor::Exposure)) {
    double gain = 1;
    for (int i = 0, n = std::max(1, static_cast<int>((t1 - t0) / 8)); i < n; ++i) {
      gain = std::clamp(gain * rng.uniform(0.7, 1.4), 0.6, 1.5);
      s.exposure.push_back({rng.uniform(t0, t1), gain});
    }
    std::sort(s.exposure.begin(), s.exposure.end(),
              [](const ExposureStep& a, const ExposureStep& b) { return a.time_s < b.time_s; });
  }
  const bool wide = s.recipe.wide;
  if (has(Distractor::StrongShake)) {
    // Wind sways the pole for most of the scene: spells of 4-20 s, a few seconds apart.
    for (double at = t0 + rng.uniform(0, 3); at < t1 - 1;) {
      ShakeSpell k;
      k.strong = true;
      k.start_s = at;
      k.end_s = std::min(t1, at + rng.uniform(4, 20));
      k.hz = wide ? rng.uniform(1.5, 14) : rng.uniform(2, 12);
      // Faster sway comes with smaller amplitude (the pole is stiff at high frequency):
      // the peak speed is bounded.
      const double max_px = std::min(wide ? 7.0 : 6.0, (wide ? 240.0 : 180.0) / (2 * CV_PI * k.hz));
      k.amplitude_px = rng.uniform(std::min(1.5, max_px), max_px);
      k.rotation_deg = rng.uniform(0, wide ? 0.35 : 0.25);
      k.readout_s = rng.uniform(0, wide ? 0.033 : 0.025);
      k.phase = rng.uniform(0, 2 * CV_PI);
      k.ramp_s = rng.uniform(0.2, 1.5);
      s.shake.push_back(k);
      at = k.end_s + rng.uniform(1, 6);
    }
  }
  if (has(Distractor::HeavyRain)) {
    RainSpell r;
    static_cast<TimeSpan&>(r) = drawSpan(rng, t0, t1, 15, 60);
    r.streaks = wide ? rng.integer(700, 1600) : rng.integer(600, 1200);
    r.angle_deg = rng.uniform(-15, 15);
    r.length_px = rng.uniform(20, 45);
    r.speed_px = rng.uniform(55, 90);
    r.intensity = s.recipe.night ? rng.uniform(0.2, 0.35) : rng.uniform(0.3, 0.5);
    s.rain.push_back(r);
  }
  if (has(Distractor::SparseInsects)) {
    const int count = std::max(2, static_cast<int>((t1 - t0) / (wide ? 3 : 4)));
    for (int i = 0; i < count; ++i) {
      Dart d;
      d.start_s = rng.uniform(t0, std::max(t0, t1 - 2));
      d.end_s = std::min(t1, d.start_s + rng.uniform(0.8, 5));
      d.start = {rng.uniform(100, s.pose.width - 100.0), rng.uniform(60, s.pose.height - 60.0)};
      d.speed_px = rng.uniform(80, wide ? 500 : 400);
      d.radius_px = rng.uniform(1.5, wide ? 5 : 4);
      d.seed = rng.next();
      s.darts.push_back(d);
    }
  }
  s.noise_sigma = has(Distractor::Noise) ? (s.recipe.night ? rng.uniform(4, 8) : rng.uniform(2, 5)) : 0;
  s.jpeg_quality = has(Distractor::Jpeg) ? rng.integer(35, 60) : 80;
}

cv::Point2d round2(cv::Point2d p) { return {std::round(p.x * 100) / 100, std::round(p.y * 100) / 100}; }

nlohmann::json pointsJson(const std::vector<cv::Point2d>& pts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : pts) out.push_back({p.x, p.y});
  return out;
}

std::string yamlPoints(const std::vector<cv::Point2d>& pts, double scale = 1.0) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < pts.size(); ++i) {
    out << (i ? ", " : "") << "[" << pts[i].x * scale << ", " << pts[i].y * scale << "]";
  }
  out << "]";
  return out.str();
}

}  // namespace

uint64_t Random::next() {
  // splitmix64: tiny, fast and identical on every platform.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Random::uniform(double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(next() >> 11) * 0x1.0p-53);
}

int Random::integer(int lo, int hi) {
  return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1));
}

uint64_t mixSeed(uint64_t a, uint64_t b) {
  Random r(a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull));
  return r.next();
}

const char* distractorName(Distractor d) {
  switch (d) {
    case Distractor::Birds: return "birds";
    case Distractor::Rain: return "rain";
    case Distractor::Leaves: return "leaves";
    case Distractor::WindowLights: return "window_lights";
    case Distractor::Exposure: return "exposure";
    case Distractor::Shake: return "shake";
    case Distractor::Pedestrians: return "pedestrians";
    case Distractor::Insect: return "insect";
    case Distractor::Noise: return "noise";
    case Distractor::Jpeg: return "jpeg";
    case Distractor::StrongShake: return "strong_shake";
    case Distractor::HeavyRain: return "heavy_rain";
    case Distractor::SparseInsects: return "sparse_insects";
  }
  return "?";
}

std::vector<Distractor> allDistractors() {
  return {Distractor::Birds,  Distractor::Rain,        Distractor::Leaves, Distractor::WindowLights,
          Distractor::Exposure, Distractor::Shake, Distractor::Pedestrians, Distractor::Insect,
          Distractor::Noise,  Distractor::Jpeg, Distractor::StrongShake, Distractor::HeavyRain,
          Distractor::SparseInsects};
}

bool parseDistractor(const std::string& name, Distractor* out) {
  for (Distractor d : allDistractors()) {
    if (name == distractorName(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

WorldPoint Bird::at(double t) const {
  const double dt = t - start_s;
  WorldPoint p = start;
  p.x += vx * dt;
  p.z += vz * dt + 0.15 * std::sin(2 * CV_PI * 0.7 * dt + phase);
  if (pattern == "erratic") {
    p.x += 2.5 * std::sin(1.9 * dt + phase) + 1.2 * std::sin(5.3 * dt);
    p.z += 1.5 * std::sin(2.7 * dt + 2 * phase) + 0.8 * std::sin(7.1 * dt + phase);
  } else if (pattern == "descending") {
    // A short dive at 4 m/s, then level flight again.
    p.z -= 4.0 * std::clamp(dt - dive_at_s, 0.0, 0.6);
  }
  p.z = std::max(p.z, 2.0);
  return p;
}

WorldPoint Leaf::at(double t) const {
  const double dt = std::max(0.0, t - start_s);
  WorldPoint p = start;
  p.x += sway_m * std::sin(2 * CV_PI * sway_hz * dt);
  p.z = std::max(0.0, p.z - fall_mps * dt);
  return p;
}

cv::Point2d ShakeSpell::offset(double t) const {
  if (t < start_s || t > end_s) return {0, 0};
  if (!strong) {
    return {amplitude_px * std::sin(2 * CV_PI * hz * t), amplitude_px * std::sin(2 * CV_PI * hz * 1.3 * t + 1.0)};
  }
  double a = amplitude_px;
  if (ramp_s > 0) a *= std::min({1.0, (t - start_s) / ramp_s, (end_s - t) / ramp_s});
  // A dominant sway plus a weaker, faster component: real poles do not move as pure sines.
  const double w = 2 * CV_PI * hz;
  return {a * (std::sin(w * t) + 0.25 * std::sin(2.7 * w * t + 0.4)),
          a * 0.8 * (std::sin(1.3 * w * t + phase) + 0.25 * std::sin(3.1 * w * t))};
}

double ShakeSpell::roll(double t) const {
  if (t < start_s || t > end_s || rotation_deg == 0) return 0;
  double a = rotation_deg * CV_PI / 180;
  if (ramp_s > 0) a *= std::min({1.0, (t - start_s) / ramp_s, (end_s - t) / ramp_s});
  return a * std::sin(2 * CV_PI * hz * 0.9 * t + 2.0);
}

cv::Point2d Dart::at(double t) const {
  // A random walk of headings, integrated in fixed steps: deterministic per seed.
  Random rng(seed);
  cv::Point2d p = start;
  double heading = rng.uniform(0, 2 * CV_PI);
  const double step = 0.02;
  for (double s = start_s; s < t; s += step) {
    heading += rng.uniform(-1.2, 1.2);
    const double dt = std::min(step, t - s);
    p += cv::Point2d(std::cos(heading), std::sin(heading)) * speed_px * dt;
  }
  return p;
}

std::vector<DistractorRecord> Scene::distractorRecords() const {
  std::vector<DistractorRecord> out;
  for (const auto& b : birds) out.push_back({"birds", b.start_s, b.end_s, b.pattern});
  for (const auto& f : leaves) out.push_back({"leaves", f.start_s, std::min(duration(), f.endTime()), ""});
  for (const auto& p : pedestrians) out.push_back({"pedestrians", p.start_s, p.end_s, ""});
  for (const auto& w : toggles) {
    out.push_back({"window_lights", w.time_s, w.time_s,
                   "floor " + std::to_string(w.floor) + " column " + std::to_string(w.column) + (w.on ? " on" : " off")});
  }
  for (const auto& r : rain) out.push_back({"rain", r.start_s, r.end_s, std::to_string(r.streaks) + " streaks"});
  for (const auto& k : shake) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.1f px at %.1f Hz, roll %.2f deg, readout %.0f ms", k.amplitude_px, k.hz,
                  k.rotation_deg, k.readout_s * 1000);
    out.push_back({"shake", k.start_s, k.end_s, buf});
  }
  for (const auto& d : darts) out.push_back({"sparse_insects", d.start_s, d.end_s, ""});
  for (const auto& k : insects) out.push_back({"insect", k.start_s, k.end_s, ""});
  for (const auto& e : exposure) out.push_back({"exposure", e.time_s, e.time_s, "gain " + std::to_string(e.gain)});
  if (noise_sigma > 0) out.push_back({"noise", 0, duration(), "sigma " + std::to_string(noise_sigma)});
  if (recipe.distractors.count(Distractor::Jpeg)) {
    out.push_back({"jpeg", 0, duration(), "quality " + std::to_string(jpeg_quality)});
  }
  return out;
}

Scene makeScene(const SceneRecipe& recipe) {
  Random rng(mixSeed(recipe.seed, 0x5CE4E));
  Scene s;
  s.recipe = recipe;
  FacadeLayout& l = s.layout;
  l.columns = rng.integer(10, 14);
  for (int c = 1; c <= l.columns; ++c) {
    if (c % 4 == 2) l.loggia_columns.push_back(c);
  }
  CameraPose& p = s.pose;
  p.distance_m = rng.uniform(34, 42);
  p.x_m = l.width() / 2 + rng.uniform(-4, 4);
  p.yaw_deg = rng.uniform(-4, 4);
  p.roll_deg = rng.uniform(-1, 1);
  // Tilt up just enough to keep the parapet in view with a strip of sky above it.
  const double half_fov = std::atan(p.height / 2.0 / p.focal_px) * 180 / CV_PI;
  const double roof_elevation = std::atan((l.roofHeight() - p.height_m) / p.distance_m) * 180 / CV_PI;
  p.pitch_deg = roof_elevation - half_fov + rng.uniform(3, 5);
  s.calibration = makeCalibration(Projector(p), l);

  if (recipe.night) {
    s.wall = grey(rng.uniform(22, 34));
    s.window_dark = grey(rng.uniform(10, 16));
    s.window_lit = cv::Scalar(120, 190, 225);
    s.sky_top = cv::Scalar(18, 10, 8);
    s.sky_bottom = cv::Scalar(40, 30, 28);
    s.ground = grey(18);
  } else {
    s.wall = cv::Scalar(rng.uniform(150, 185), rng.uniform(165, 195), rng.uniform(180, 205));
    s.window_dark = cv::Scalar(rng.uniform(95, 125), rng.uniform(90, 110), rng.uniform(80, 95));
    s.window_lit = cv::Scalar(170, 200, 215);
    s.sky_top = cv::Scalar(215, 160, 110);
    s.sky_bottom = cv::Scalar(235, 215, 195);
    s.ground = cv::Scalar(95, 105, 110);
  }
  s.lit_at_start.assign(l.floors, std::vector<bool>(l.columns, false));
  for (auto& row : s.lit_at_start) {
    for (size_t c = 0; c < row.size(); ++c) row[c] = rng.chance(recipe.night ? 0.3 : 0.05);
  }

  double t = kWarmupS + rng.uniform(0, 1);
  for (int i = 0; i < recipe.events; ++i) {
    ThrownEvent e = drawEvent(rng, s, i + 1, t);
    t = e.endTime() + rng.uniform(3, 5);
    s.events.push_back(e);
  }
  const double length = std::max(recipe.duration_s, recipe.events ? t - 3 + kTailS : 0.0);
  s.frame_count = static_cast<int>(std::ceil(length * s.fps));
  addDistractors(rng, s);
  return s;
}

nlohmann::json groundTruth(const Scene& s, const std::string& camera_id) {
  using nlohmann::json;
  json gt;
  gt["format"] = "shaobing-synthetic-scene/1";
  gt["scene"] = s.recipe.name;
  gt["seed"] = s.recipe.seed;
  gt["camera_id"] = camera_id;
  gt["fps"] = s.fps;
  gt["frames"] = s.frame_count;
  gt["duration_s"] = s.duration();
  gt["width"] = s.pose.width;
  gt["height"] = s.pose.height;
  gt["night"] = s.recipe.night;
  gt["jpeg_quality"] = s.jpeg_quality;
  gt["camera"] = {{"focal_px", s.pose.focal_px},     {"x_m", s.pose.x_m},
                  {"distance_m", s.pose.distance_m}, {"height_m", s.pose.height_m},
                  {"pitch_deg", s.pose.pitch_deg},   {"yaw_deg", s.pose.yaw_deg},
                  {"roll_deg", s.pose.roll_deg}};
  gt["facade"] = {{"floors", s.layout.floors},
                  {"floor_height_m", s.layout.floor_height_m},
                  {"columns", s.layout.columns},
                  {"column_spacing_m", s.layout.column_spacing_m},
                  {"margin_m", s.layout.margin_m},
                  {"width_m", s.layout.width()},
                  {"loggia_columns", s.layout.loggia_columns}};
  const Calibration& c = s.calibration;
  gt["calibration"] = {
      {"image_points", pointsJson({c.image_points.begin(), c.image_points.end()})},
      {"facade_points_m", pointsJson({c.facade_points_m.begin(), c.facade_points_m.end()})},
      {"floor_height_m", c.floor_height_m},
      {"floors", c.floors},
      {"detect_area", pointsJson(c.detect_area)}};
  const Projector projector(s.pose);
  json events = json::array();
  for (const auto& e : s.events) {
    json track = json::array();
    const int first = static_cast<int>(std::ceil(e.release_time_s * s.fps));
    const int last = std::min(s.frame_count - 1, static_cast<int>(std::floor(e.endTime() * s.fps)));
    for (int f = first; f <= last; ++f) {
      WorldPoint w = e.motion.at(f / s.fps - e.release_time_s);
      cv::Point2d px = round2(projector.project(w));
      track.push_back({f, px.x, px.y, std::round(w.x * 1000) / 1000, std::round(w.z * 1000) / 1000});
    }
    const FallMotion& m = e.motion;
    events.push_back({{"id", e.id},
                      {"release_time_s", e.release_time_s},
                      {"release_frame", static_cast<int>(std::ceil(e.release_time_s * s.fps))},
                      {"floor", e.floor},
                      {"column", e.column},
                      {"facade_x_m", m.release.x},
                      {"release_height_m", m.release.z},
                      {"size_m", e.size_m},
                      {"heavy", m.heavy},
                      {"terminal_velocity_mps", m.heavy ? json(nullptr) : json(m.terminal_mps)},
                      {"throw_velocity_mps", {m.vx, m.vd, m.vz}},
                      {"end_time_s", e.endTime()},
                      {"end_frame", static_cast<int>(std::floor(e.endTime() * s.fps))},
                      {"track_columns", {"frame", "u", "v", "x_m", "z_m"}},
                      {"track", track}});
  }
  gt["events"] = events;
  json distractors = json::array();
  for (const auto& d : s.distractorRecords()) {
    distractors.push_back({{"kind", d.kind}, {"start_s", d.start_s}, {"end_s", d.end_s}, {"detail", d.detail}});
  }
  gt["distractors"] = distractors;
  return gt;
}

SceneRecipe plainDrops(std::string name, uint64_t seed, int events) {
  SceneRecipe r;
  r.name = std::move(name);
  r.seed = seed;
  r.events = events;
  r.heavy_fraction = 1.0;
  r.small_weight = 0;
  r.medium_weight = 0;
  r.distractors = {Distractor::Noise};
  return r;
}

std::string cameraConfigYaml(const Scene& s, const std::string& camera_id, double pixel_scale) {
  const Calibration& c = s.calibration;
  std::ostringstream out;
  out << "cameras:\n"
      << "  - id: " << camera_id << "\n"
      << "    thrown_object:\n"
      << "      calibration:\n"
      << "        image_points: " << yamlPoints({c.image_points.begin(), c.image_points.end()}, pixel_scale) << "\n"
      << "        facade_points_m: " << yamlPoints({c.facade_points_m.begin(), c.facade_points_m.end()}) << "\n"
      << "        floor_height_m: " << c.floor_height_m << "\n"
      << "        floors: " << c.floors << "\n"
      << "      detect_area: " << yamlPoints(c.detect_area, pixel_scale) << "\n";
  return out.str();
}

}  // namespace shaobing::vision::synth
