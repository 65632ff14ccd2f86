// shaobing-bench-vision-e2e: N MQTT cameras at 25 fps published at once through
// a real Mosquitto into the real shaobingd (publishers on the same machine).
// Prints frames published, analysed and dropped, whistles, and the daemon's CPU
// seconds per camera-second. Every camera shows the same synthetic facade with
// one drop per 12 s loop (stabilisation on, as deployed), so each camera should
// whistle once per loop.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <csignal>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"
#include "vision/synth/render.h"
#include "vision/synth/scene.h"

using namespace shaobing;
using namespace std::chrono;
using json = nlohmann::json;

namespace {

// utime + stime in seconds from a /proc .../stat file.
double cpuOfStat(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  if (line.empty()) return 0;
  std::istringstream in(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

double cpuSeconds(pid_t pid) { return cpuOfStat("/proc/" + std::to_string(pid) + "/stat"); }

// CPU seconds of a process's live threads by part of the daemon, from the
// threads' names: camera workers ("cam:<id>"), the clip writer, and the rest
// (MQTT, io, rules, whistles).
struct ThreadCpu {
  double cameras = 0, clips = 0, other = 0;
};

ThreadCpu threadCpu(pid_t pid) {
  ThreadCpu out;
  std::error_code ec;
  const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    const double cpu = cpuOfStat((e.path() / "stat").string());
    if (name.rfind("cam:", 0) == 0) {
      out.cameras += cpu;
    } else if (name == "clip-writer") {
      out.clips += cpu;
    } else {
      out.other += cpu;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shaobing-bench-vision-e2e: N MQTT cameras at 25 fps through Mosquitto into shaobingd"};
  int cameras = 24, seconds_run = 24, quality = 80;
  app.add_option("--cameras", cameras, "cameras publishing at once");
  app.add_option("--seconds", seconds_run, "seconds of publishing");
  app.add_option("--quality", quality, "JPEG quality of the frames");
  bool no_stabilise = false;
  int scale = 1;
  app.add_flag("--no-stabilise", no_stabilise, "cameras without motion compensation (for its cost)");
  app.add_option("--scale", scale, "thrown_object.analysis_scale of every camera (1, 2 or 4)");
  std::string clip_format = "mp4";
  app.add_option("--clip-format", clip_format, "vision.clip_format of the daemon (mp4 as deployed, or avi)")
      ->check(CLI::IsMember({"mp4", "avi"}));
  CLI11_PARSE(app, argc, argv);

  vision::synth::SceneRecipe recipe;
  recipe.name = "e2e";
  recipe.seed = 31;
  recipe.events = 1;
  recipe.heavy_fraction = 1.0;
  recipe.duration_s = 12;
  recipe.distractors = {vision::synth::Distractor::Noise};
  const vision::synth::Scene scene = vision::synth::makeScene(recipe);
  vision::synth::SceneRenderer renderer(scene);
  std::vector<std::string> frames;
  for (int i = 0; i < scene.frame_count; ++i) {
    std::vector<uchar> buf;
    cv::imencode(".jpg", renderer.render(i), buf, {cv::IMWRITE_JPEG_QUALITY, quality});
    frames.emplace_back(buf.begin(), buf.end());
  }

  testing::MosquittoBroker broker(testing::BrokerOptions{0, "", false});
  broker.start();
  testing::TempDir dir;
  const std::string one = vision::synth::cameraConfigYaml(scene, "CAM");
  std::string cams = "cameras:\n";
  const std::string entry = one.substr(one.find("  - id: CAM"));
  for (int c = 0; c < cameras; ++c) {
    std::string e = entry;
    e.replace(e.find("CAM"), 3, "cam-" + std::to_string(c));
    e.replace(e.find("\n") + 1, 0,
              std::string("    queue_frames: 50\n    offline_after: 60s\n") + (no_stabilise ? "    stabilise: false\n" : ""));
    e.replace(e.find("    thrown_object:\n") + 18, 0, "\n      analysis_scale: " + std::to_string(scale));
    cams += e;
  }
  std::string cfg = testing::minimalConfig("e2e", broker.port(), dir.file("state"), "2s", cams);
  cfg.replace(cfg.find("level: debug"), 12, "level: warn");
  cfg += "vision:\n  clip_format: " + clip_format + "\n";
  auto d = testing::startDaemon(dir, cfg);
  if (!d->waitForStderr("connected to", seconds(10)) && !d->running()) {
    std::fprintf(stderr, "shaobingd did not start:\n%s\n", d->stderrText().c_str());
    return 1;
  }
  testing::MqttProbe health(broker.uri());
  health.subscribe("shaobing/e2e/health");
  std::this_thread::sleep_for(seconds(2));

  // Four publisher threads share the cameras; each frame carries its capture time.
  constexpr int kPublishers = 4;
  std::vector<std::unique_ptr<testing::MqttProbe>> pubs;
  for (int i = 0; i < kPublishers; ++i) pubs.push_back(std::make_unique<testing::MqttProbe>(broker.uri()));
  std::atomic<long> published{0};
  const double cpu0 = cpuSeconds(d->pid());
  const ThreadCpu threads0 = threadCpu(d->pid());
  const auto start = steady_clock::now();
  auto publisher = [&](int first, int step) {
    testing::MqttProbe& pub = *pubs[first];
    const int64_t t0 = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const int total = seconds_run * 25;
    for (int i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + milliseconds(40 * i));
      const std::string ts = std::to_string(t0 + 40 * i);
      for (int c = first; c < cameras; c += step) {
        pub.publish("shaobing/e2e/in/camera/cam-" + std::to_string(c) + "/frame", frames[i % frames.size()], 0,
                    false, {{"ts", ts}});
        ++published;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kPublishers; ++i) threads.emplace_back(publisher, i, kPublishers);
  for (auto& t : threads) t.join();
  const double wall = duration<double>(steady_clock::now() - start).count();
  std::this_thread::sleep_for(seconds(3));  // let the queues drain
  const double cpu = cpuSeconds(d->pid()) - cpu0;
  const ThreadCpu threads1 = threadCpu(d->pid());
  health.clear();
  auto h = health.waitFor("shaobing/e2e/health", seconds(10));
  long frames_in = 0, dropped = 0, bad = 0, whistles = 0;
  if (h) {
    const json j = json::parse(h->payload, nullptr, false);
    for (const auto& [id, cam] : j["components"]["vision"]["cameras"].items()) {
      frames_in += cam["frames"].get<long>();
      dropped += cam["dropped"].get<long>();
      bad += cam["bad_frames"].get<long>();
      whistles += cam["whistles"].get<long>();
    }
  }
  const long analysed = frames_in - dropped;
  const double camera_seconds = cameras * static_cast<double>(seconds_run);
  std::printf("shaobing-bench-vision-e2e: %d cameras of %dx%d at 25 fps for %d s (JPEG quality %d, %.0f KiB), "
              "stabilisation %s, analysis scale %d\n",
              cameras, scene.pose.width, scene.pose.height, seconds_run, quality, frames[0].size() / 1024.0,
              no_stabilise ? "off" : "on", scale);
  std::printf("  frames published %ld in %.1f s (%.1f fps per camera), received %ld (%ld lost before the daemon's "
              "queue), analysed %ld, dropped from the queue %ld, bad %ld\n",
              published.load(), wall, published.load() / wall / cameras, frames_in, published.load() - frames_in,
              analysed, dropped, bad);
  long drops = 0;  // drops in the frames each camera published (the scene loops)
  for (const auto& e : scene.events) {
    const int release = static_cast<int>(e.release_time_s * 25);
    for (int i = 0; i < seconds_run * 25; ++i) drops += i % static_cast<int>(frames.size()) == release;
  }
  std::printf("  whistles %ld (%ld drops per camera: %ld expected)\n", whistles, drops, drops * cameras);
  std::printf("  shaobingd CPU %.1f s = %.3f CPU-s per camera-second (%.2f cores)\n", cpu, cpu / camera_seconds,
              cpu / wall);
  const double cam_cpu = threads1.cameras - threads0.cameras;
  std::printf("    of which camera workers %.1f s = %.3f CPU-s per camera-second (%.2f ms per frame), clip writer "
              "%.1f s (%.2f s per whistle, clip format %s), the rest %.1f s\n",
              cam_cpu, cam_cpu / camera_seconds, 1000 * cam_cpu / std::max(1L, analysed), threads1.clips - threads0.clips,
              (threads1.clips - threads0.clips) / std::max(1L, whistles), clip_format.c_str(),
              threads1.other - threads0.other);
  std::printf("  target: >= 24 cameras with zero frames dropped: %s\n",
              cameras >= 24 && dropped == 0 && frames_in == published.load() && wall < seconds_run * 1.05 ? "MET"
                                                                                                   : "NOT MET");
  d->signal(SIGTERM);
  d->wait(seconds(5));
  return h ? 0 : 1;
}
