// Named scene sets (documented in docs/synthetic-scenes.md): lists of recipes drawn
// deterministically from a seed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vision/synth/scene.h"

namespace shaobing::vision::synth {

struct SceneSetOptions {
  // events | distractors-only | hard-events | hard-distractors | quick | all
  std::string name = "events";
  uint64_t seed = 1;
  // Footage to generate in minutes; 0 = the set's default (events 15, distractors-only 12).
  double minutes = 0;
  // Held-out variant: the hard distractors drawn from wider parameter ranges
  // (SceneRecipe::wide). Use it with seeds the detector was never tuned on.
  bool wide = false;
};

// Recipes of the set, or nullopt for an unknown name. The "events" set is sized by
// estimated footage: scenes are added until their summed length reaches `minutes`.
std::optional<std::vector<SceneRecipe>> sceneSet(const SceneSetOptions& options);
std::vector<std::string> sceneSetNames();

}  // namespace shaobing::vision::synth
