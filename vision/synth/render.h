// Renders a synthetic scene frame by frame (random access, deterministic) and writes
// it as an MJPG .avi of real JPEG frames.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>

#include "vision/synth/scene.h"

namespace shaobing::vision::synth {

struct RenderOptions {
  bool events = true;       // draw the thrown objects (off: the same scene without them)
  bool distractors = true;  // draw the moving distractors, shake, exposure and noise
};

class SceneRenderer {
 public:
  explicit SceneRenderer(const Scene& scene, RenderOptions options = {});
  ~SceneRenderer();
  SceneRenderer(const SceneRenderer&) = delete;
  SceneRenderer& operator=(const SceneRenderer&) = delete;

  // BGR frame `index` (0-based); depends only on the scene and the index.
  cv::Mat render(int index) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Writes every frame to `path` (MJPG in AVI at the scene's JPEG quality). Returns false
// with `error` set when the file cannot be written.
bool writeVideo(const Scene& scene, const std::string& path, std::string* error);

// Draws a filled capsule from a to b (pixels, sub-pixel precise, anti-aliased by
// coverage sampling) blended over `image` with the given opacity; blur_px softens it.
void drawCapsule(cv::Mat& image, cv::Point2d a, cv::Point2d b, double radius_px,
                 const cv::Scalar& colour, double opacity, double blur_px = 0);

}  // namespace shaobing::vision::synth
