// Scene files on disk, named after the scene.
#include "vision/synth/output.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "vision/synth/render.h"

namespace shaobing::vision::synth {
namespace {

bool writeText(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    if (error != nullptr) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace

bool writeScene(const Scene& scene, const std::string& dir, const std::string& camera_id, bool write_video,
                WrittenScene* out, std::string* error) {
  const std::filesystem::path base = std::filesystem::path(dir) / scene.recipe.name;
  WrittenScene w;
  w.video_path = base.string() + ".avi";
  w.truth_path = base.string() + ".json";
  w.camera_yaml_path = base.string() + ".yaml";
  w.frames = scene.frame_count;
  nlohmann::json truth = groundTruth(scene, camera_id);
  truth["video"] = std::filesystem::path(w.video_path).filename().string();
  if (!writeText(w.truth_path, truth.dump(1) + "\n", error)) return false;
  if (!writeText(w.camera_yaml_path, cameraConfigYaml(scene, camera_id), error)) return false;
  if (write_video) {
    const auto start = std::chrono::steady_clock::now();
    if (!writeVideo(scene, w.video_path, error)) return false;
    w.render_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (out != nullptr) *out = w;
  return true;
}

}  // namespace shaobing::vision::synth
