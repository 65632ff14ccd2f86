// `shaobing replay --config PATH --camera ID VIDEO`: runs a camera's
// thrown-object pipeline on a recording as fast as it can and prints one JSON
// line per whistle (docs/vision.md). Installers use it to check a camera's
// calibration on a recording; the accuracy benchmark scores its output.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "config/config.h"
#include "tools/shaobing/commands.h"
#include "tools/shaobing/site_access.h"
#include "vision/recording.h"
#include "vision/thrown/pipeline.h"

namespace shaobing::cli {
namespace {

struct ReplayArgs {
  std::string config_path;
  std::string camera;
  std::string video;
  std::string evidence_dir;
  int scale = 0;
};

int runReplay(const ReplayArgs& a) {
  std::optional<config::Config> loaded = loadConfigOrReport(a.config_path);
  if (!loaded) return 2;
  config::Config& cfg = *loaded;
  const config::CameraConfig* camera = cfg.findCamera(a.camera);
  if (camera == nullptr) {
    std::cerr << a.config_path << ": no camera '" << a.camera << "' under cameras:\n";
    return 2;
  }
  if (!camera->thrown_object || !camera->thrown_object->enabled) {
    std::cerr << a.config_path << ": camera '" << a.camera << "' has no thrown_object calibration\n";
    return 2;
  }
  vision::PipelineOptions options;
  options.evidence = !a.evidence_dir.empty();
  if (options.evidence) cfg.vision.evidence_dir = a.evidence_dir;
  options.detector.scale = a.scale;  // 0: the camera's analysis_scale

  vision::Recording video;
  if (!video.open(a.video)) {
    std::cerr << "cannot open video " << a.video << "\n";
    return 2;
  }
  const double fps = video.fps();
  vision::ThrownObjectPipeline pipeline(cfg, *camera, options);
  const std::string level = cfg.whistles.ruleFor("thrown_object").level;
  long index = 0, printed = 0;
  auto print = [&](const std::vector<vision::ThrownObjectEvent>& events, long frame, double t) {
    for (const auto& ev : events) {
      nlohmann::json evidence = nlohmann::json::array();
      for (const auto& e : ev.incident.evidence) evidence.push_back({{"kind", e.kind}, {"path", e.path}});
      nlohmann::json line = {{"type", ev.incident.type},
                             {"level", level},
                             {"source", {{"device", camera->id}}},
                             {"details", ev.incident.details},
                             {"evidence", evidence},
                             {"frame", frame},
                             {"video_time_s", std::round(t * 1000) / 1000}};
      std::cout << line.dump() << "\n" << std::flush;
      ++printed;
    }
  };
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const std::string> jpeg;
  cv::Mat image;
  while (video.next(&jpeg, &image)) {
    const double t = static_cast<double>(index) / fps;
    const auto events = jpeg ? pipeline.pushJpeg(std::move(jpeg), t) : pipeline.pushFrame(image, t);
    print(events, index, t);
    ++index;
  }
  const double end_t = index > 0 ? static_cast<double>(index - 1) / fps : 0;
  print(pipeline.finish(end_t), index > 0 ? index - 1 : 0, end_t);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto& st = pipeline.stats();
  std::fprintf(stderr, "replay %s: %ld frames in %.2f s (%.1f frames/s), %ld whistle(s), %ld bad frame(s)%s%s\n",
               a.video.c_str(), index, secs, secs > 0 ? index / secs : 0.0, printed, st.bad_frames,
               st.bad_frames ? ", last: " : "", st.bad_frames ? pipeline.lastError().c_str() : "");
  if (options.evidence) {
    std::fprintf(stderr, "  evidence: %ld clip(s) written, %ld clip error(s), %ld snapshot error(s)\n",
                 st.clips_written, st.clip_errors, st.snapshot_errors);
  }
  if (const vision::FallDetector* det = pipeline.detector()) {
    const auto& ds = det->stats();
    std::fprintf(stderr, "  detector: noise sigma %.1f, %ld blobs, %ld tracks, %ld disturbed frames, %ld rejected falls, %ld split tracks folded\n",
                 ds.noise_sigma, ds.blobs, ds.tracks, ds.disturbed_frames, ds.rejected, ds.duplicates);
  }
  if (index == 0) {
    std::cerr << "no frames could be read from " << a.video << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void registerReplay(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("replay", "run a camera's thrown-object detection on a video file");
  auto args = std::make_shared<ReplayArgs>();
  cmd->add_option("--config", args->config_path, "configuration file")->required();
  cmd->add_option("--camera", args->camera, "camera id (cameras: in the configuration)")->required();
  cmd->add_option("VIDEO", args->video, "video file (AVI/MP4/MKV, MJPEG or any codec OpenCV reads)")->required();
  cmd->add_option("--evidence-dir", args->evidence_dir, "write snapshots and clips here (default: none)");
  cmd->add_option("--scale", args->scale, "analysis resolution divisor (1 = full, 2 = half, 4); default: the camera's analysis_scale")->check(CLI::Range(1, 4));
  cmd->callback([args, &exit_code] { exit_code = runReplay(*args); });
}

}  // namespace shaobing::cli
