// Scene-set definitions: events scenes (3 drops each, 30% at night, 40% with
// distractors present) and distractor-only scenes of 60 s with no true event.
#include "vision/synth/scene_set.h"

#include <cmath>
#include <cstdio>

namespace shaobing::vision::synth {
namespace {

constexpr int kEventsPerScene = 3;
constexpr double kDistractorSceneS = 60;

std::string numbered(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%03d", prefix, i);
  return buf;
}

// Distractors a scene gets: noise and JPEG nearly always, one "primary" kind cycling
// through all moving ones so each is well represented, plus random extras.
std::set<Distractor> drawDistractors(Random& rng, int index, int extras) {
  static const Distractor kMoving[] = {Distractor::Birds,       Distractor::Rain,    Distractor::Leaves,
                                       Distractor::WindowLights, Distractor::Exposure, Distractor::Shake,
                                       Distractor::Pedestrians, Distractor::Insect};
  std::set<Distractor> out;
  if (rng.chance(0.9)) out.insert(Distractor::Noise);
  if (rng.chance(0.5)) out.insert(Distractor::Jpeg);
  out.insert(kMoving[index % 8]);
  for (int i = 0; i < extras; ++i) out.insert(kMoving[rng.integer(0, 7)]);
  return out;
}

std::vector<SceneRecipe> eventsSet(uint64_t seed, double minutes, const char* prefix, int events_per_scene) {
  std::vector<SceneRecipe> out;
  Random rng(mixSeed(seed, 0xE7E));
  double total_s = 0;
  for (int i = 0; total_s < minutes * 60; ++i) {
    SceneRecipe r;
    r.name = numbered(prefix, i);
    r.seed = mixSeed(seed, 1000 + i);
    r.night = rng.chance(0.3);
    r.events = events_per_scene;
    if (rng.chance(0.4)) {
      r.distractors = drawDistractors(rng, i, rng.integer(0, 2));
    } else {
      r.distractors = {Distractor::Noise};
    }
    total_s += makeScene(r).duration();
    out.push_back(r);
  }
  return out;
}

std::vector<SceneRecipe> distractorsSet(uint64_t seed, double minutes, const char* prefix, double scene_s) {
  std::vector<SceneRecipe> out;
  Random rng(mixSeed(seed, 0xD15));
  const int scenes = std::max(1, static_cast<int>(std::ceil(minutes * 60 / scene_s - 1e-9)));
  for (int i = 0; i < scenes; ++i) {
    SceneRecipe r;
    r.name = numbered(prefix, i);
    r.seed = mixSeed(seed, 5000 + i);
    r.night = rng.chance(0.3);
    r.duration_s = scene_s;
    r.distractors = drawDistractors(rng, i, rng.integer(1, 3));
    out.push_back(r);
  }
  return out;
}

// Harder conditions: the camera shakes strongly for most of every scene, together
// with one or two of exposure steps, window lights, birds, heavy rain (mostly at
// night) and sparse insects.
std::set<Distractor> drawHardDistractors(Random& rng, int index, bool night) {
  static const Distractor kWith[] = {Distractor::Exposure, Distractor::WindowLights, Distractor::Birds,
                                     Distractor::HeavyRain, Distractor::SparseInsects};
  std::set<Distractor> out{Distractor::StrongShake, Distractor::Noise};
  if (rng.chance(0.5)) out.insert(Distractor::Jpeg);
  Distractor primary = kWith[index % 5];
  if (primary == Distractor::HeavyRain && !night && rng.chance(0.5)) primary = Distractor::Exposure;
  out.insert(primary);
  if (rng.chance(0.6)) out.insert(kWith[rng.integer(0, 4)]);
  return out;
}

std::vector<SceneRecipe> hardEventsSet(uint64_t seed, double minutes, bool wide) {
  std::vector<SceneRecipe> out;
  Random rng(mixSeed(seed, 0x4A2DE));
  double total_s = 0;
  for (int i = 0; total_s < minutes * 60; ++i) {
    SceneRecipe r;
    r.name = numbered("hard-events", i);
    r.seed = mixSeed(seed, 20000 + i);
    r.night = rng.chance(0.35);
    r.events = kEventsPerScene;
    r.wide = wide;
    r.distractors = drawHardDistractors(rng, i, r.night);
    total_s += makeScene(r).duration();
    out.push_back(r);
  }
  return out;
}

std::vector<SceneRecipe> hardDistractorsSet(uint64_t seed, double minutes, bool wide) {
  std::vector<SceneRecipe> out;
  Random rng(mixSeed(seed, 0x4A2DD));
  const int scenes = std::max(1, static_cast<int>(std::ceil(minutes * 60 / kDistractorSceneS - 1e-9)));
  for (int i = 0; i < scenes; ++i) {
    SceneRecipe r;
    r.name = numbered("hard-distractors", i);
    r.seed = mixSeed(seed, 25000 + i);
    r.night = rng.chance(0.35);
    r.duration_s = kDistractorSceneS;
    r.wide = wide;
    r.distractors = drawHardDistractors(rng, i, r.night);
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<std::string> sceneSetNames() {
  return {"events", "distractors-only", "hard-events", "hard-distractors", "quick", "all"};
}

std::optional<std::vector<SceneRecipe>> sceneSet(const SceneSetOptions& o) {
  if (o.name == "events") return eventsSet(o.seed, o.minutes > 0 ? o.minutes : 15, "events", kEventsPerScene);
  if (o.name == "distractors-only") {
    return distractorsSet(o.seed, o.minutes > 0 ? o.minutes : 12, "distractors", kDistractorSceneS);
  }
  if (o.name == "hard-events") return hardEventsSet(o.seed, o.minutes > 0 ? o.minutes : 6, o.wide);
  if (o.name == "hard-distractors") return hardDistractorsSet(o.seed, o.minutes > 0 ? o.minutes : 20, o.wide);
  if (o.name == "all") {
    auto out = eventsSet(o.seed, o.minutes > 0 ? o.minutes : 15, "events", kEventsPerScene);
    auto d = distractorsSet(o.seed, o.minutes > 0 ? o.minutes : 12, "distractors", kDistractorSceneS);
    out.insert(out.end(), d.begin(), d.end());
    return out;
  }
  if (o.name == "quick") {
    // Small enough for a test: one day and one night scene with two drops each, and
    // 20 s of distractors.
    std::vector<SceneRecipe> out;
    for (int i = 0; i < 2; ++i) {
      SceneRecipe r;
      r.name = numbered("quick-events", i);
      r.seed = mixSeed(o.seed, 9000 + i);
      r.night = i == 1;
      r.events = 2;
      r.heavy_fraction = 1.0;  // keep it short
      r.distractors = {Distractor::Noise, i == 0 ? Distractor::Birds : Distractor::WindowLights};
      out.push_back(r);
    }
    SceneRecipe d;
    d.name = "quick-distractors-000";
    d.seed = mixSeed(o.seed, 9100);
    d.duration_s = o.minutes > 0 ? o.minutes * 60 : 20;
    d.distractors = {Distractor::Noise, Distractor::Jpeg, Distractor::Birds, Distractor::Rain,
                     Distractor::Leaves, Distractor::Shake, Distractor::Insect, Distractor::Exposure};
    out.push_back(d);
    return out;
  }
  return std::nullopt;
}

}  // namespace shaobing::vision::synth
