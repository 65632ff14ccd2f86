// Writes one scene to a directory: <name>.avi, <name>.json (ground truth) and
// <name>.yaml (the camera entry with the facade calibration).
#pragma once

#include <string>

#include "vision/synth/scene.h"

namespace shaobing::vision::synth {

struct WrittenScene {
  std::string video_path;
  std::string truth_path;
  std::string camera_yaml_path;
  int frames = 0;
  double render_s = 0;  // wall time spent rendering and encoding
};

// Returns false with `error` set if a file cannot be written. With write_video off only
// the ground truth and the camera entry are written.
bool writeScene(const Scene& scene, const std::string& dir, const std::string& camera_id, bool write_video,
                WrittenScene* out, std::string* error);

}  // namespace shaobing::vision::synth
