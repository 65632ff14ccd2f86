// A synthetic scene: everything needed to render it frame by frame, drawn at random
// but deterministically from one seed, plus its ground truth.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "vision/synth/geometry.h"
#include "vision/synth/physics.h"

namespace shaobing::vision::synth {

// Deterministic random numbers independent of the standard library's distributions.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform(double lo, double hi);
  int integer(int lo, int hi);  // inclusive
  bool chance(double p) { return uniform(0, 1) < p; }

 private:
  uint64_t state_;
};
uint64_t mixSeed(uint64_t a, uint64_t b);

// StrongShake, HeavyRain and SparseInsects are the harder conditions of the "hard-*"
// scene sets: a pole-mounted camera in wind (several pixels at a few hertz, with
// rotation, rolling-shutter wobble and motion blur), a night downpour, and small
// insects darting through the IR light.
enum class Distractor {
  Birds, Rain, Leaves, WindowLights, Exposure, Shake, Pedestrians, Insect, Noise, Jpeg,
  StrongShake, HeavyRain, SparseInsects
};
const char* distractorName(Distractor d);
bool parseDistractor(const std::string& name, Distractor* out);
std::vector<Distractor> allDistractors();

struct ThrownEvent {
  int id = 0;
  double release_time_s = 0;
  int floor = 0;
  int column = 0;
  double size_m = 0;
  FallMotion motion;
  cv::Scalar colour;  // BGR

  double endTime() const { return release_time_s + motion.fallDuration(); }
};

struct Bird {
  std::string pattern;  // horizontal | gliding | upward | erratic | descending
  double start_s = 0, end_s = 0;
  WorldPoint start;
  double vx = 0, vz = 0;
  double wingspan_m = 0.4;
  double flap_hz = 4;
  double phase = 0;
  double dive_at_s = 0;  // descending: dive starts this long after start_s, for 0.6 s
  WorldPoint at(double t) const;
};

struct Leaf {
  double start_s = 0;
  WorldPoint start;
  double fall_mps = 1;
  double sway_m = 1;
  double sway_hz = 0.5;
  double size_m = 0.08;
  cv::Scalar colour;
  WorldPoint at(double t) const;
  double endTime() const { return start_s + start.z / fall_mps; }
};

struct Pedestrian {
  double start_s = 0, end_s = 0;
  double x0 = 0, d = 0, vx = 1.2, height_m = 1.7;
  cv::Scalar colour;
};

struct WindowToggle {
  double time_s = 0;
  int floor = 0, column = 0;
  bool on = true;
};

struct TimeSpan {
  double start_s = 0, end_s = 0;
};

struct RainSpell : TimeSpan {
  int streaks = 300;
  double angle_deg = 8;
  double length_px = 24;
  double speed_px = 60;  // per frame
  double intensity = 0.35;
};

struct ShakeSpell : TimeSpan {
  double amplitude_px = 1.5;
  double hz = 6;
  double rotation_deg = 0;  // amplitude of the roll oscillation about the image centre
  double readout_s = 0;     // rolling shutter: the last row is exposed this much after the first
  double phase = 1.0;       // of the vertical component
  double ramp_s = 0;        // amplitude rises and falls over this long at the spell's ends
  bool strong = false;      // StrongShake: two components, roll, rolling shutter, ramps
  // Displacement (pixels) and roll (radians) of the image at time t.
  cv::Point2d offset(double t) const;
  double roll(double t) const;
};

// A small insect darting near the camera: a few pixels wide, erratic and fast.
struct Dart {
  double start_s = 0, end_s = 0;
  cv::Point2d start;
  double speed_px = 200;
  double radius_px = 2.5;
  uint64_t seed = 0;
  cv::Point2d at(double t) const;
};

struct InsectSpell : TimeSpan {
  cv::Point2d centre;
  double radius_px = 40;
  uint64_t seed = 0;
};

struct ExposureStep {
  double time_s = 0;
  double gain = 1;
};

struct DistractorRecord {
  std::string kind;
  double start_s = 0, end_s = 0;
  std::string detail;
};

// What a scene should contain; makeScene draws the rest from the seed.
struct SceneRecipe {
  std::string name;
  uint64_t seed = 1;
  bool night = false;
  int events = 0;             // true thrown objects
  double duration_s = 0;      // minimum length; events extend it as needed
  std::set<Distractor> distractors;
  // Weights of the size classes < 12 cm, 12–20 cm, ≥ 20 cm for the events.
  double small_weight = 0.15, medium_weight = 0.35, large_weight = 0.5;
  double heavy_fraction = 0.7;
  // Held-out scenes: the harder distractors are drawn from wider parameter ranges
  // than the tuning scenes (stronger and faster shake, more rain, more insects).
  bool wide = false;
};

struct Scene {
  SceneRecipe recipe;
  double fps = 25;
  int frame_count = 0;
  CameraPose pose;
  FacadeLayout layout;
  Calibration calibration;
  cv::Scalar wall, window_dark, window_lit, sky_top, sky_bottom, ground;
  std::vector<std::vector<bool>> lit_at_start;  // [floor-1][column-1]
  std::vector<ThrownEvent> events;
  std::vector<Bird> birds;
  std::vector<Leaf> leaves;
  std::vector<Pedestrian> pedestrians;
  std::vector<WindowToggle> toggles;
  std::vector<RainSpell> rain;
  std::vector<ShakeSpell> shake;
  std::vector<InsectSpell> insects;
  std::vector<Dart> darts;
  std::vector<ExposureStep> exposure;
  double noise_sigma = 0;
  int jpeg_quality = 80;

  double duration() const { return frame_count / fps; }
  double exposureTime() const { return recipe.night ? 1.0 / 50 : 1.0 / 200; }
  std::vector<DistractorRecord> distractorRecords() const;
};

Scene makeScene(const SceneRecipe& recipe);

// `events` large, heavy objects thrown on a still camera with sensor noise only:
// the plain case that tests feed through the whole path.
SceneRecipe plainDrops(std::string name, uint64_t seed, int events);

// Ground truth: parameters, seed, calibration, events (with their per-frame track in
// pixels) and distractor time spans.
nlohmann::json groundTruth(const Scene& scene, const std::string& camera_id);

// The camera entry an installer would write for this scene (YAML, `cameras:` list).
// `pixel_scale`: for the scene seen at another resolution (0.5: an NVR's
// half-size sub-stream).
std::string cameraConfigYaml(const Scene& scene, const std::string& camera_id, double pixel_scale = 1.0);

}  // namespace shaobing::vision::synth
