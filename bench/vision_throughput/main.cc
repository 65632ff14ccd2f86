// Vision throughput at 1280×720, 25 fps JPEG input, one thread (frames/s per core):
//  (a) JPEG decode alone at full resolution (colour, and grayscale);
//  (b) full-resolution decode + grayscale + OpenCV MOG2, the common baseline;
//  (c) the whole camera pipeline with the thrown-object detector as the daemon
//      runs it per camera (grayscale decode, camera-motion estimation and
//      stabilisation, foreground, blobs, tracks, judgement, clip ring of encoded
//      frames), on a still camera and on one shaking strongly, and without
//      stabilisation for its cost;
// then the memory one camera holds with a full clip ring (RSS and accounted),
// what writing one clip of evidence costs (MP4/H.264 against MJPEG AVI), and
// H.264 cameras (as from RTSP) with decoding included, on one stream and with a
// sub-stream for detection.
// Frames are rendered synthetic facade scenes (noise, a thrown object, birds).
// The rates of (a)-(c) are measured in rounds that run each figure once; each
// rate and each ratio printed is the median over the rounds (5 by default).
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>
#include <opencv2/videoio.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <string>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "vision/synth/render.h"
#include "vision/synth/scene.h"
#include "vision/camera/pipeline.h"
#include "vision/detectors/registry.h"
#include "vision/camera/stream_recorder.h"
#include "vision/evidence/clip_writer.h"
#include "vision/evidence/mp4.h"

extern "C" {
#include <libavformat/avformat.h>
}

using namespace shaobing;
using WallClock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename Fn>
double rate(size_t frames, int runs, Fn&& fn) {
  std::vector<double> r;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = WallClock::now();
    fn();
    r.push_back(frames / std::chrono::duration<double>(WallClock::now() - t0).count());
  }
  return median(r);
}

long rssBytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// The main stream of an H.264 file demuxed (not decoded) into a packet ring, a
// frame's worth of packets at a time, as a camera's record stream would be.
class RingSource final : public vision::ClipSource {
 public:
  explicit RingSource(const std::string& path) : ring_(15, 48u << 20) {
    if (avformat_open_input(&ic_, path.c_str(), nullptr, nullptr) < 0 || avformat_find_stream_info(ic_, nullptr) < 0) {
      std::fprintf(stderr, "cannot demux %s\n", path.c_str());
      std::exit(1);
    }
    ring_.reset(ic_->streams[0]->codecpar, ic_->streams[0]->time_base.num, ic_->streams[0]->time_base.den);
    pkt_ = av_packet_alloc();
  }
  ~RingSource() override {
    av_packet_free(&pkt_);
    avformat_close_input(&ic_);
  }
  void pump(double t) {
    if (av_read_frame(ic_, pkt_) < 0) return;
    ring_.push(pkt_, t);
    av_packet_unref(pkt_);
  }
  double newest() const override { return ring_.newest(); }
  std::function<vision::ClipResult(const std::string&)> cut(double from, double to) override {
    return ring_.cut(from, to);
  }

 private:
  vision::PacketRing ring_;
  AVFormatContext* ic_ = nullptr;
  AVPacket* pkt_ = nullptr;
};

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

config::Config makeConfig(const vision::synth::Scene& scene, const std::string& evidence_dir, bool stabilise,
                          double pixel_scale = 1.0) {
  std::string camera = vision::synth::cameraConfigYaml(scene, "cam", pixel_scale);
  if (!stabilise) camera.replace(camera.find("    thrown_object:"), 0, "    stabilise: false\n");
  const std::string yaml = "site: {id: bench}\nstate_dir: " + evidence_dir + "\n" + camera +
                           "vision: {evidence_dir: " + evidence_dir + "}\n";
  config::LoadResult r = config::loadConfigString(yaml);
  if (!r.ok()) {
    for (const auto& m : r.messages()) std::fprintf(stderr, "%s\n", m.c_str());
    std::exit(1);
  }
  return *r.config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shaobing-bench-vision-throughput: frames/s per core at 720p and memory per camera"};
  int seconds = 12;
  int quality = 80;
  int runs = 5;
  app.add_option("--seconds", seconds, "length of the rendered clip (25 fps)");
  app.add_option("--quality", quality, "JPEG quality of the input frames");
  app.add_option("--runs", runs, "rounds (each runs every figure once; medians are printed)");
  CLI11_PARSE(app, argc, argv);
  cv::setNumThreads(1);  // per-core figures
  vision::registerDetectors();

  vision::synth::SceneRecipe recipe;
  recipe.name = "throughput";
  recipe.seed = 2026;
  recipe.events = 1;
  recipe.duration_s = seconds;
  recipe.distractors = {vision::synth::Distractor::Noise, vision::synth::Distractor::Birds};
  const vision::synth::Scene scene = vision::synth::makeScene(recipe);
  // The same scene with the camera swaying strongly most of the time.
  vision::synth::SceneRecipe shaky_recipe = recipe;
  shaky_recipe.distractors.insert(vision::synth::Distractor::StrongShake);
  const vision::synth::Scene shaky_scene = vision::synth::makeScene(shaky_recipe);
  const int n = std::min(scene.frame_count, seconds * 25);
  size_t total_bytes = 0;
  auto encode = [&](const vision::synth::Scene& sc, size_t* bytes) {
    vision::synth::SceneRenderer renderer(sc);
    std::vector<std::shared_ptr<const std::string>> out;
    for (int i = 0; i < n; ++i) {
      std::vector<uchar> buf;
      cv::imencode(".jpg", renderer.render(i), buf, {cv::IMWRITE_JPEG_QUALITY, quality});
      if (bytes) *bytes += buf.size();
      out.push_back(std::make_shared<const std::string>(buf.begin(), buf.end()));
    }
    return out;
  };
  const auto frames = encode(scene, &total_bytes);
  const auto shaky_frames = encode(shaky_scene, nullptr);
  std::printf("shaobing-bench-vision-throughput: %d frames %dx%d, JPEG quality %d (mean %.0f KiB), 1 thread, median of %d\n",
              n, scene.pose.width, scene.pose.height, quality, total_bytes / 1024.0 / n, runs);

  auto asMat = [](const std::string& s) { return cv::Mat(1, static_cast<int>(s.size()), CV_8U, const_cast<char*>(s.data())); };
  auto decodeColour = [&] {
    for (const auto& f : frames) cv::imdecode(asMat(*f), cv::IMREAD_COLOR);
  };
  auto decodeGray = [&] {
    for (const auto& f : frames) cv::imdecode(asMat(*f), cv::IMREAD_GRAYSCALE);
  };
  auto mog2Run = [&] {
    auto bg = cv::createBackgroundSubtractorMOG2();
    cv::Mat gray, mask;
    for (const auto& f : frames) {
      cv::cvtColor(cv::imdecode(asMat(*f), cv::IMREAD_COLOR), gray, cv::COLOR_BGR2GRAY);
      bg->apply(gray, mask);
    }
  };
  const std::string evidence_dir = (std::filesystem::temp_directory_path() / ("shaobing-bench-vision-" + std::to_string(getpid()))).string();
  const config::Config cfg = makeConfig(scene, evidence_dir, true);
  const config::Config still_cfg = makeConfig(scene, evidence_dir, false);
  // As in the daemon, clips go to the shared writer thread; the pipelines are
  // kept until every rate is measured, so that no run waits for a clip.
  vision::ClipWriter clip_writer;
  std::vector<std::unique_ptr<vision::CameraPipeline>> measured;
  auto pipelineRun = [&](const config::Config& c, const std::vector<std::shared_ptr<const std::string>>& input,
                         int scale, long* whistles) {
    vision::PipelineOptions o;
    o.scale_override = scale;
    o.clip_writer = &clip_writer;
    auto p = std::make_unique<vision::CameraPipeline>(c, c.cameras[0], o);
    long w = 0;
    for (int i = 0; i < n; ++i) w += static_cast<long>(p->pushJpeg(input[i], i / 25.0).size());
    *whistles = w;
    measured.push_back(std::move(p));
  };
  // Where one run's time went, per frame.
  auto stages = [&] {
    const vision::PipelineStats& s = measured.back()->stats();
    const double f = std::max(1L, s.frames) / 1000.0;
    const vision::MotionEstimator* m = measured.back()->motion();
    const double steps = m ? static_cast<double>(m->stats().steps) / std::max(1L, m->stats().frames) : 0.0;
    char line[240];
    std::snprintf(line, sizeof line,
                  "decode %.2f, camera motion %.2f (%.2f refinement steps), detector %.2f, evidence ring %.2f ms per frame",
                  s.decode_s / f, s.motion_s / f, steps, s.detect_s / f, s.evidence_s / f);
    return std::string(line);
  };
  long w1 = 0, w2 = 0, w3 = 0, w4 = 0;
  std::string full_stages, shaky_stages;
  // The figures are measured in rounds, each round running every figure once, so
  // that a ratio compares runs made seconds apart: on a shared machine the
  // speed drifts over a minute by more than the differences measured here. Each
  // rate and each ratio printed is the median over the rounds.
  enum { kColour, kGray, kMog2, kFull, kShaky, kUnstabilised, kHalf, kFigures };
  std::vector<double> r[kFigures], full_vs_gray, full_vs_mog2, shaky_vs_gray, shaky_vs_mog2, half_vs_gray, half_vs_mog2;
  for (int round = 0; round < runs; ++round) {
    auto once = [&](int figure, size_t count, auto&& fn) {
      const auto t0 = WallClock::now();
      fn();
      r[figure].push_back(count / std::chrono::duration<double>(WallClock::now() - t0).count());
      return r[figure].back();
    };
    once(kColour, frames.size(), decodeColour);
    const double gray = once(kGray, frames.size(), decodeGray);
    const double mog = once(kMog2, frames.size(), mog2Run);
    const double full = once(kFull, frames.size(), [&] { pipelineRun(cfg, frames, 1, &w1); });
    full_stages = stages();
    const double shaky = once(kShaky, shaky_frames.size(), [&] { pipelineRun(cfg, shaky_frames, 1, &w3); });
    shaky_stages = stages();
    once(kUnstabilised, frames.size(), [&] { pipelineRun(still_cfg, frames, 1, &w4); });
    const double half = once(kHalf, frames.size(), [&] { pipelineRun(cfg, frames, 2, &w2); });
    full_vs_gray.push_back(full / gray);
    full_vs_mog2.push_back(full / mog);
    shaky_vs_gray.push_back(shaky / gray);
    shaky_vs_mog2.push_back(shaky / mog);
    half_vs_gray.push_back(half / gray);
    half_vs_mog2.push_back(half / mog);
  }
  const double decode_colour = median(r[kColour]), decode_gray = median(r[kGray]), mog2 = median(r[kMog2]);
  const double full = median(r[kFull]), full_shaky = median(r[kShaky]), unstabilised = median(r[kUnstabilised]);
  const double half = median(r[kHalf]);
  const double shaky_gray_ratio = median(shaky_vs_gray), shaky_mog2_ratio = median(shaky_vs_mog2);

  clip_writer.drain();
  measured.clear();
  // Give the memory of the pipelines measured above back to the system, so that
  // the cameras below are not counted in pages already resident.
  malloc_trim(0);

  std::printf("  (a) JPEG decode only, colour, full resolution     %7.1f frames/s\n", decode_colour);
  std::printf("      JPEG decode only, grayscale, full resolution  %7.1f frames/s\n", decode_gray);
  std::printf("  (b) decode + grayscale + MOG2 (baseline)          %7.1f frames/s\n", mog2);
  std::printf("  (c) whole pipeline, full resolution, stabilised   %7.1f frames/s  %.2fx gray decode  %.2fx MOG2  %ld whistle(s)\n",
              full, median(full_vs_gray), median(full_vs_mog2), w1);
  std::printf("        (%s)\n", full_stages.c_str());
  std::printf("      the same, camera shaking strongly             %7.1f frames/s  %.2fx gray decode  %.2fx MOG2  %ld whistle(s)\n",
              full_shaky, shaky_gray_ratio, shaky_mog2_ratio, w3);
  std::printf("        (%s)\n", shaky_stages.c_str());
  std::printf("      the same, stabilisation off (still camera)    %7.1f frames/s  stabilisation costs %.0f%% of the rate\n",
              unstabilised, 100.0 * (1 - full / unstabilised));
  std::printf("      half-resolution analysis, stabilised          %7.1f frames/s  %.2fx gray decode  %.2fx MOG2  %ld whistle(s)\n",
              half, median(half_vs_gray), median(half_vs_mog2), w2);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double worst = std::min(full, full_shaky);
  std::printf("  cameras of 720p at 25 fps: %.1f per core, %.1f on this machine's %u cores (full resolution, shaking)\n",
              worst / 25, worst / 25 * cores, cores);

  // Memory: several cameras side by side, each fed its own copies of 12 s of frames
  // so that every clip ring is full.
  const int cameras = 4;
  vision::ClipWriter no_clips(0);  // refuses every clip
  const long before = rssBytes();
  std::vector<std::unique_ptr<vision::CameraPipeline>> pipes;
  size_t accounted = 0;
  for (int c = 0; c < cameras; ++c) {
    vision::PipelineOptions o;
    o.clip_writer = &no_clips;  // camera memory only: the shared encoder is measured below
    pipes.push_back(std::make_unique<vision::CameraPipeline>(cfg, cfg.cameras[0], o));
  }
  for (int i = 0; i < n; ++i) {
    for (auto& p : pipes) p->pushJpeg(std::make_shared<const std::string>(*frames[i]), 100 + i / 25.0);
  }
  for (auto& p : pipes) accounted += p->memoryBytes();
  const long after = rssBytes();
  std::printf("  memory per camera (clip ring %.0f s + detector): %.1f MiB resident, %.1f MiB accounted   target <= 40 MiB\n",
              cfg.vision.clip_pre_s + cfg.vision.clip_post_s + 1, (after - before) / 1048576.0 / cameras,
              accounted / 1048576.0 / cameras);
  // Clip evidence: one clip of clip_pre + clip_post at 25 fps, as the clip
  // writer thread produces it after a whistle.
  {
    const int clip_frames = std::min(n, static_cast<int>(std::lround((cfg.vision.clip_pre_s + cfg.vision.clip_post_s) * 25)));
    std::vector<vision::EncodedFrame> clip;
    for (int i = 0; i < clip_frames; ++i) clip.push_back({i / 25.0, frames[i]});
    const std::string base = evidence_dir + "/bench-clip";
    std::error_code mkdir_ec;
    std::filesystem::create_directories(evidence_dir, mkdir_ec);
    vision::Mp4Options mp4;
    mp4.crf = cfg.vision.clip_crf;
    vision::ClipResult mp4_result, avi_result;
    const double mp4_rate = rate(clip.size(), runs, [&] { mp4_result = vision::writeClip(clip, base, vision::ClipFormat::kMp4, mp4); });
    const double avi_rate = rate(clip.size(), runs, [&] { avi_result = vision::writeClip(clip, base, vision::ClipFormat::kAvi, mp4); });
    const double clip_s = clip_frames / 25.0;
    std::printf("  clip evidence, %.0f s of 720p25 (%d frames), 1 thread:\n", clip_s, clip_frames);
    std::printf("      MP4 H.264 (%s %s, crf %d)       %7.1f frames/s  %.2f s per clip = %.2f CPU-s per second of clip, %.0f KiB%s\n",
                vision::h264EncoderName().c_str(), mp4.preset.c_str(), mp4.crf, mp4_rate, clip_frames / mp4_rate,
                1.0 / mp4_rate * 25, mp4_result.bytes / 1024.0, mp4_result.ok && mp4_result.error.empty() ? "" : "  (FAILED)");
    std::printf("      MJPEG AVI (JPEGs copied)                   %7.1f frames/s  %.2f s per clip, %.0f KiB\n", avi_rate,
                clip_frames / avi_rate, avi_result.bytes / 1024.0);
  }
  // H.264 cameras (RTSP): the stream decoded by FFmpeg through OpenCV (its own
  // threads, so the figure is frames per CPU-second of the whole process), the
  // frames analysed and JPEG-encoded for the clip ring; and the same with a
  // 640x360 sub-stream analysed while the 720p main stream is only demuxed into
  // a packet ring for clips. Evidence clips are not written here.
  {
    std::vector<vision::EncodedFrame> main_frames, sub_frames;
    for (int i = 0; i < n; ++i) {
      main_frames.push_back({i / 25.0, frames[i]});
      cv::Mat small;
      cv::resize(cv::imdecode(asMat(*frames[i]), cv::IMREAD_COLOR), small, {640, 360}, 0, 0, cv::INTER_AREA);
      std::vector<uchar> buf;
      cv::imencode(".jpg", small, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
      sub_frames.push_back({i / 25.0, std::make_shared<const std::string>(buf.begin(), buf.end())});
    }
    std::error_code mkdir_ec;
    std::filesystem::create_directories(evidence_dir, mkdir_ec);
    const std::string main_mp4 = evidence_dir + "/main.mp4", sub_mp4 = evidence_dir + "/sub.mp4";
    std::string error;
    vision::Mp4Options camera_like;
    camera_like.crf = 23;
    if (!vision::writeMp4(main_mp4, main_frames, camera_like, &error) ||
        !vision::writeMp4(sub_mp4, sub_frames, camera_like, &error)) {
      std::fprintf(stderr, "cannot write the H.264 input: %s\n", error.c_str());
      return 1;
    }
    const config::Config sub_cfg = makeConfig(scene, evidence_dir, true, 0.5);
    vision::ClipWriter refuse(0);
    auto h264Rate = [&](const config::Config& c, const std::string& analysed, const std::string& recorded) {
      std::vector<double> r;
      for (int run = 0; run < runs; ++run) {
        const double cpu0 = cpuSeconds();
        auto ring = recorded.empty() ? nullptr : std::make_shared<RingSource>(recorded);
        vision::PipelineOptions o;
        o.clip_writer = &refuse;
        o.clip_source = ring;
        vision::CameraPipeline p(c, c.cameras[0], o);
        cv::VideoCapture cap(analysed, cv::CAP_FFMPEG);
        cv::Mat img;
        int i = 0;
        for (; cap.read(img); ++i) {
          p.pushFrame(img, i / 25.0);
          if (ring) ring->pump(i / 25.0);
        }
        r.push_back(i / (cpuSeconds() - cpu0));
      }
      return median(r);
    };
    const double h264_main = h264Rate(cfg, main_mp4, "");
    const double h264_sub = h264Rate(sub_cfg, sub_mp4, main_mp4);
    std::printf("  H.264 720p25 cameras (decode included), frames per CPU-second of the process:\n");
    std::printf("      analysing the 720p stream                   %7.1f frames/s = %.1f cameras per core\n", h264_main,
                h264_main / 25);
    std::printf("      analysing a 640x360 sub-stream, 720p kept as packets for clips %7.1f frames/s = %.1f cameras per core\n",
                h264_sub, h264_sub / 25);
  }
  std::printf("  targets (shaking camera): pipeline >= 0.5x grayscale decode %s, >= 3x MOG2 %s\n",
              std::min(median(full_vs_gray), shaky_gray_ratio) >= 0.5 ? "MET" : "NOT MET",
              std::min(median(full_vs_mog2), shaky_mog2_ratio) >= 3 ? "MET" : "NOT MET");
  std::error_code ec;
  clip_writer.drain();
  std::filesystem::remove_all(evidence_dir, ec);
  return 0;
}
