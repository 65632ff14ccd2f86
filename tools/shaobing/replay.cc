// `shaobing replay --config PATH --camera ID VIDEO`: runs every detector
// configured for a camera on a recording as fast as it can and prints one JSON
// line per whistle, with its type (docs/vision.md). Installers use it to check a camera's
// calibration on a recording; the accuracy benchmark scores its output.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "config/config.h"
#include "tools/shaobing/commands.h"
#include "tools/shaobing/site_access.h"
#include "vision/recording.h"
#include "vision/camera/pipeline.h"

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
  if (camera->detectors.empty()) {
    std::cerr << a.config_path << ": camera '" << a.camera << "' has no detector configured (e.g. thrown_object)\n";
    return 2;
  }
  vision::PipelineOptions options;
  options.evidence = !a.evidence_dir.empty();
  if (options.evidence) cfg.vision.evidence_dir = a.evidence_dir;
  options.scale_override = a.scale;  // 0: each detector's configured scale

  vision::Recording video;
  if (!video.open(a.video)) {
    std::cerr << "cannot open video " << a.video << "\n";
    return 2;
  }
  const double fps = video.fps();
  vision::CameraPipeline pipeline(cfg, *camera, options);
  long index = 0, printed = 0;
  auto print = [&](const std::vector<vision::Finding>& events, long frame, double t) {
    for (const auto& ev : events) {
      nlohmann::json evidence = nlohmann::json::array();
      for (const auto& e : ev.incident.evidence) evidence.push_back({{"kind", e.kind}, {"path", e.path}});
      nlohmann::json line = {{"type", ev.incident.type},
                             {"level", ev.incident.level ? whistle::toString(*ev.incident.level)
                                                         : cfg.whistles.ruleFor(ev.incident.type).level},
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
    const vision::EvidenceStats ev = pipeline.evidenceStats();
    const std::string why = pipeline.evidenceError();
    std::fprintf(stderr, "  evidence: %ld clip(s) written (%ld as AVI instead of MP4), %ld clip error(s), %ld snapshot error(s)%s%s\n",
                 ev.clips_written, ev.clip_fallbacks, ev.clip_errors, ev.snapshot_errors, why.empty() ? "" : "; last: ",
                 why.c_str());
  }
  if (const vision::MotionEstimator* motion = pipeline.motion()) {
    const auto& ms = motion->stats();
    std::fprintf(stderr, "  camera motion: %ld frames moved (largest %.1f px), %ld unreliable, %ld new references\n",
                 ms.moved, ms.max_shift_px, ms.unreliable, ms.rebased);
  }
  for (const auto& d : pipeline.detectors()) {
    std::fprintf(stderr, "  %s: %s\n", d->name().c_str(), d->stats().dump().c_str());
  }
  if (index == 0) {
    std::cerr << "no frames could be read from " << a.video << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void registerReplay(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("replay", "run a camera's detectors on a video file");
  auto args = std::make_shared<ReplayArgs>();
  cmd->add_option("--config", args->config_path, "configuration file")->required();
  cmd->add_option("--camera", args->camera, "camera id (cameras: in the configuration)")->required();
  cmd->add_option("VIDEO", args->video, "video file (AVI/MP4/MKV, MJPEG or any codec OpenCV reads)")->required();
  cmd->add_option("--evidence-dir", args->evidence_dir, "write snapshots and clips here (default: none)");
  cmd->add_option("--scale", args->scale, "analysis resolution divisor (1 = full, 2 = half, 4); default: the camera's analysis_scale")->check(CLI::Range(1, 4));
  cmd->callback([args, &exit_code] { exit_code = runReplay(*args); });
}

}  // namespace shaobing::cli
