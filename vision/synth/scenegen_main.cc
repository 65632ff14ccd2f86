// shaobing-scenegen: writes a named set of synthetic facade scenes (videos and ground
// truth) for testing and tuning the thrown-object detector.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <opencv2/imgcodecs.hpp>

#include "vision/synth/output.h"
#include "vision/synth/render.h"
#include "vision/synth/scene_set.h"

namespace synth = shaobing::vision::synth;

int main(int argc, char** argv) {
  CLI::App app{"Generate synthetic high-rise facade scenes with thrown objects and distractors"};
  std::string out_dir;
  synth::SceneSetOptions set;
  std::string camera_id = "synth-cam";
  std::string only;
  int max_scenes = 0;
  bool list = false;
  bool no_video = false;
  std::vector<int> stills;
  app.add_option("--out", out_dir, "output directory (created)")->required();
  app.add_option("--seed", set.seed, "seed of the whole set (same seed, same files)");
  app.add_option("--scene-set", set.name, "events | distractors-only | hard-events | hard-distractors | quick | all");
  app.add_flag("--wide", set.wide, "held-out variant: hard conditions drawn from wider parameter ranges");
  app.add_option("--minutes", set.minutes,
                 "footage per set in minutes (default: events 15, distractors-only 12, hard-events 6, hard-distractors 20)");
  app.add_option("--camera-id", camera_id, "camera id written in ground truth and camera entries");
  app.add_option("--only", only, "generate only the scene with this name");
  app.add_option("--max-scenes", max_scenes, "stop after this many scenes (0 = all)");
  app.add_flag("--list", list, "print the scenes of the set without writing anything");
  app.add_flag("--no-video", no_video, "write ground truth and camera entries only");
  app.add_option("--stills", stills, "also write these frames of each scene as <scene>-<frame>.png")->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  auto recipes = synth::sceneSet(set);
  if (!recipes) {
    std::cerr << "unknown scene set '" << set.name << "'\n";
    return 2;
  }
  std::error_code ec;
  if (!list) std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "cannot create " << out_dir << ": " << ec.message() << "\n";
    return 1;
  }
  nlohmann::json index = nlohmann::json::array();
  int done = 0, frames = 0, events = 0;
  double footage_s = 0, render_s = 0;
  for (const auto& recipe : *recipes) {
    if (!only.empty() && recipe.name != only) continue;
    if (max_scenes > 0 && done >= max_scenes) break;
    const synth::Scene scene = synth::makeScene(recipe);
    ++done;
    frames += scene.frame_count;
    events += static_cast<int>(scene.events.size());
    footage_s += scene.duration();
    if (list) {
      std::cout << recipe.name << "  " << (recipe.night ? "night" : "day  ") << "  " << scene.duration() << " s  "
                << scene.events.size() << " events  distractors:";
      for (auto d : recipe.distractors) std::cout << " " << synth::distractorName(d);
      std::cout << "\n";
      continue;
    }
    synth::WrittenScene written;
    std::string error;
    if (!synth::writeScene(scene, out_dir, camera_id, !no_video, &written, &error)) {
      std::cerr << error << "\n";
      return 1;
    }
    render_s += written.render_s;
    if (!stills.empty()) {
      const synth::SceneRenderer renderer(scene);
      for (int f : stills) {
        if (f < 0 || f >= scene.frame_count) continue;
        cv::imwrite((std::filesystem::path(out_dir) / (recipe.name + "-" + std::to_string(f) + ".png")).string(),
                    renderer.render(f));
      }
    }
    index.push_back({{"scene", recipe.name},
                     {"video", std::filesystem::path(written.video_path).filename().string()},
                     {"truth", std::filesystem::path(written.truth_path).filename().string()},
                     {"camera_yaml", std::filesystem::path(written.camera_yaml_path).filename().string()},
                     {"events", scene.events.size()},
                     {"duration_s", scene.duration()}});
    std::cerr << recipe.name << ": " << scene.frame_count << " frames, " << scene.events.size() << " events\n";
  }
  if (done == 0) {
    std::cerr << "no scene selected\n";
    return 2;
  }
  if (!list) {
    std::ofstream(std::filesystem::path(out_dir) / "index.json")
        << nlohmann::json{{"scene_set", set.name}, {"seed", set.seed}, {"scenes", index}}.dump(1) << "\n";
  }
  std::cerr << done << " scenes, " << events << " events, " << footage_s / 60 << " min of footage";
  if (render_s > 0) std::cerr << ", rendered at " << frames / render_s << " frames/s";
  std::cerr << "\n";
  return 0;
}
