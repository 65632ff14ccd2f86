// The vision pipeline end to end with real files and a real broker:
// `shaobing replay` on a rendered recording, and the daemon receiving JPEG
// frames over MQTT, whistling on the uplink and sending the clip after it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/whistle/encoding.h"
#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"
#include "tests/support/paths.h"
#include "vision/synth/output.h"
#include "vision/synth/render.h"
#include "vision/synth/scene.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace synth = vision::synth;

synth::Scene oneDrop(uint64_t seed) { return synth::makeScene(synth::plainDrops("drop", seed, 1)); }

// A configuration with the site, a private state dir and the scene's camera as cam-1.
std::string writeCameraConfig(const TempDir& dir, const synth::Scene& scene) {
  return dir.write("camera.yaml", "site: {id: t1}\nstate_dir: " + dir.file("state") + "\n" +
                                      synth::cameraConfigYaml(scene, "cam-1"));
}

// Runs `shaobing ARGS...` and expects exit status 2 with `reason` in its stderr.
void expectUsageError(std::vector<std::string> args, const std::string& reason) {
  args.insert(args.begin(), kShaobingPath);
  RunResult r = runCommand(args, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ReplayTest, PrintsOneWhistleLinePerDropWithTheFloorAndWritesEvidence) {
  TempDir dir;
  const synth::Scene scene = oneDrop(31);
  synth::WrittenScene written;
  std::string error;
  ASSERT_TRUE(synth::writeScene(scene, dir.path().string(), "cam-1", true, &written, &error)) << error;
  const std::string config = writeCameraConfig(dir, scene);
  RunResult r = runCommand({kShaobingPath, "replay", "--config", config, "--camera", "cam-1", written.video_path,
                            "--evidence-dir", dir.file("evidence")},
                           120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<json> whistles;
  for (std::string line; std::getline(lines, line);) whistles.push_back(json::parse(line));
  ASSERT_EQ(whistles.size(), 1u) << r.out;
  const json& w = whistles[0];
  const auto& truth = scene.events[0];
  EXPECT_EQ(w["type"], "thrown_object");
  EXPECT_EQ(w["level"], "emergency");
  EXPECT_EQ(w["source"]["device"], "cam-1");
  const json& d = w["details"];
  EXPECT_NEAR(d["floor"].get<int>(), truth.floor, 1);
  EXPECT_LE(d["floor_range"][0].get<int>(), truth.floor);
  EXPECT_GE(d["floor_range"][1].get<int>(), truth.floor);
  EXPECT_NEAR(d["facade_x_m"].get<double>(), truth.motion.release.x, 2.5);
  EXPECT_NEAR(d["release_time_s"].get<double>(), truth.release_time_s, 0.3);
  EXPECT_GT(d["confidence"].get<double>(), 0.0);
  EXPECT_LE(d["confidence"].get<double>(), 1.0);
  const double t = w["video_time_s"].get<double>();
  EXPECT_NEAR(t, w["frame"].get<int>() / 25.0, 1e-3);
  EXPECT_GT(t, truth.release_time_s);
  EXPECT_LT(t, truth.release_time_s + 1.5);
  // Evidence: the snapshot with its hash, and the clip once its post-roll was in.
  const std::string snap = d["snapshot"]["path"];
  ASSERT_TRUE(std::filesystem::exists(snap));
  EXPECT_EQ(d["snapshot"]["sha256"], whistle::sha256Hex(readFile(snap)));
  EXPECT_FALSE(cv::imread(snap).empty());
  const std::string clip = d["clip"]["path"];
  ASSERT_TRUE(std::filesystem::exists(clip)) << r.err;
  const std::string sidecar = readFile(clip + ".sha256");
  EXPECT_EQ(sidecar.substr(0, 64), whistle::sha256Hex(readFile(clip)));
}

TEST(ReplayTest, BadArgumentsExitTwoWithAReason) {
  TempDir dir;
  const synth::Scene scene = oneDrop(31);
  const std::string config = writeCameraConfig(dir, scene);
  expectUsageError({"replay", "--config", config, "--camera", "cam-1", dir.file("nope.avi")}, "nope.avi");
  expectUsageError({"replay", "--config", config, "--camera", "cam-9", dir.file("nope.avi")}, "no camera 'cam-9'");
  const std::string junk = dir.write("junk.avi", "this is not a video");
  expectUsageError({"replay", "--config", config, "--camera", "cam-1", junk}, "");
}

TEST(FeedCameraTest, RefusesUnknownCamerasAndUnreadableVideos) {
  TempDir dir;
  const synth::Scene scene = oneDrop(31);
  const std::string config = writeCameraConfig(dir, scene);
  expectUsageError({"feed-camera", "--config", config, "--camera", "cam-9", dir.file("x.avi")},
                   "no MQTT camera 'cam-9'");
  expectUsageError({"feed-camera", "--config", config, "--camera", "cam-1", dir.file("x.avi")}, "cannot open video");
}

class VisionDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_.start();
    uplink_.start();
  }
  MosquittoBroker local_;
  MosquittoBroker uplink_;
  TempDir dir_;
};

TEST_F(VisionDaemonTest, JpegFramesOverMqttBecomeAThrownObjectWhistleAndSilenceMeansOffline) {
  const synth::Scene scene = oneDrop(31);
  std::string cam = synth::cameraConfigYaml(scene, "cam-1");
  cam.replace(cam.find("  - id: cam-1\n"), 14,
              "  - id: cam-1\n    grid: g-07\n    offline_after: 3s\n    queue_frames: 400\n");
  auto d = startDaemon(dir_, minimalConfig("va", local_.port(), dir_.file("state"), "1s",
                                           "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink_.port()) +
                                               "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n" + cam));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/va/#");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  MqttProbe camera(local_.uri());
  const std::string topic = "shaobing/va/in/camera/cam-1/frame";
  camera.publish(topic, "garbage, not a JPEG", 0);
  synth::SceneRenderer renderer(scene);
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < scene.frame_count; ++i) {
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", renderer.render(i), jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    camera.publish(topic, std::string(jpeg.begin(), jpeg.end()), 0, false,
                   {{"ts", std::to_string(t0 + i * 40)}});
    next += 40ms;
    std::this_thread::sleep_until(next);
  }
  auto w = platform.waitFor("grid/va/whistle/emergency", 10s);
  ASSERT_TRUE(w) << d->stderrText();
  json j = json::parse(w->payload);
  EXPECT_EQ(j["type"], "thrown_object");
  EXPECT_EQ(j["grid"], "g-07");
  EXPECT_EQ(j["source"]["device"], "cam-1");
  const int floor = scene.events[0].floor;
  EXPECT_NEAR(j["details"]["floor"].get<int>(), floor, 1);
  EXPECT_EQ(j["location"]["floor"], j["details"]["floor"]);
  // Observed at the estimated release, on the camera's capture clock.
  ASSERT_TRUE(j.contains("observed_at"));
  // The snapshot went out before the whistle, with the hash the whistle names.
  ASSERT_EQ(j["evidence"].size(), 1u);
  EXPECT_EQ(j["evidence"][0]["kind"], "snapshot");
  auto ev = platform.waitFor(j["evidence"][0]["topic"].get<std::string>(), 5s);
  ASSERT_TRUE(ev);
  EXPECT_EQ(whistle::sha256Hex(ev->payload), j["evidence"][0]["sha256"]);
  EXPECT_FALSE(cv::imdecode(std::vector<uchar>(ev->payload.begin(), ev->payload.end()), cv::IMREAD_COLOR).empty());
  // The garbage frame was counted and logged, not analysed.
  EXPECT_TRUE(d->waitForStderr("not a JPEG", 2s)) << d->stderrText();
  // No more frames: the camera goes offline.
  auto off = platform.waitFor("grid/va/whistle/routine", [](const ProbeMessage& m) {
    return json::parse(m.payload)["type"] == "device_offline";
  }, 10s);
  ASSERT_TRUE(off) << d->stderrText();
  EXPECT_EQ(json::parse(off->payload)["source"]["device"], "cam-1");
  // The clip is finished while the camera is silent and follows its whistle on
  // the uplink: its bytes on the whistle's next evidence topic, then a notice
  // naming the whistle, the topic and the hash.
  const std::string id = j["id"];
  EXPECT_EQ(j["details"]["clip"]["content_type"], "video/mp4");
  EXPECT_TRUE(j["details"]["clip"]["follows"].get<bool>());
  auto notice = platform.waitFor("grid/va/evidence_added/" + id, 20s);
  ASSERT_TRUE(notice) << d->stderrText();
  const json n = json::parse(notice->payload);
  EXPECT_EQ(n["schema"], "shaobing.evidence/1");
  EXPECT_EQ(n["whistle_id"], id);
  EXPECT_EQ(n["type"], "thrown_object");
  EXPECT_EQ(n["level"], j["level"]);
  const json& e = n["evidence"];
  EXPECT_EQ(e["kind"], "clip");
  EXPECT_EQ(e["content_type"], "video/mp4");
  EXPECT_EQ(e["path"], j["details"]["clip"]["path"]);
  EXPECT_EQ(e["topic"], "grid/va/evidence/" + id + "/1");
  std::vector<ProbeMessage> all = platform.messages();
  const auto at = [&](const std::string& topic) {
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].topic == topic) return static_cast<long>(i);
    }
    return -1L;
  };
  ASSERT_GE(at(e["topic"]), 0);
  EXPECT_LT(at(e["topic"]), at(notice->topic));
  const std::string bytes = all[static_cast<size_t>(at(e["topic"]))].payload;
  EXPECT_EQ(whistle::sha256Hex(bytes), e["sha256"]);
  EXPECT_EQ(e["bytes"].get<size_t>(), bytes.size());
  // What arrived plays: an H.264 MP4 covering clip_pre before the release to
  // clip_post after the decision (5 s + 5 s at 25 fps by default), cut short
  // only by the end of the scene.
  const std::string got = dir_.write("arrived.mp4", bytes);
  cv::VideoCapture cap(got, cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  int frames = 0;
  for (cv::Mat f; cap.read(f);) ++frames;
  EXPECT_EQ(frames, e["frames"].get<int>());
  EXPECT_GE(frames, 100);
}

}  // namespace
}  // namespace shaobing::testing
