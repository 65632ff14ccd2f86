// URL cameras against a real RTSP server (GStreamer's, serving H.264): frames
// are read and counted; when the server goes away the camera is whistled
// offline; when it comes back on the same port the reader reconnects and the
// frames return. A camera with an NVR's two streams analyses the sub-stream and
// sends the clip of its whistle cut from the main stream.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "tests/support/daemon.h"
#include "gateway/whistle/encoding.h"
#include "tests/support/mqtt_probe.h"
#include "vision/synth/output.h"
#include "vision/synth/scene.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::unique_ptr<ChildProcess> startRtspServer(const TempDir& dir, int port, int* bound,
                                              const std::vector<std::string>& extra = {}) {
  const std::string logs = dir.file("rtsp-" + std::to_string(port));
  std::filesystem::create_directories(logs);
  std::vector<std::string> argv{"/usr/bin/python3", std::string(kSourceDir) + "/tests/support/rtsp_server.py",
                                std::to_string(port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto server = std::make_unique<ChildProcess>(argv, logs);
  if (!server->waitForStderr("rtsp server ready on port", 20s)) return server;
  std::smatch m;
  const std::string err = server->stderrText();
  if (std::regex_search(err, m, std::regex("ready on port ([0-9]+)"))) *bound = std::stoi(m[1]);
  return server;
}

// The camera's frame count in a health message, or -1.
long framesIn(const ProbeMessage& m, const std::string& camera) {
  const json j = json::parse(m.payload, nullptr, false);
  if (!j.is_object() || !j.contains("components") || !j["components"].contains("vision")) return -1;
  const json& cams = j["components"]["vision"]["cameras"];
  return cams.contains(camera) ? cams[camera]["frames"].get<long>() : -1;
}

// Waits for a health message counting at least `n` frames of the camera; returns that count or -1.
long waitForFrames(MqttProbe& health, const std::string& camera, long n, std::chrono::milliseconds timeout) {
  auto h = health.waitFor("shaobing/vr/health", [&](const ProbeMessage& m) { return framesIn(m, camera) >= n; },
                          timeout);
  return h ? framesIn(*h, camera) : -1;
}

TEST(RtspCameraTest, ReadsH264FramesGoesOfflineWhenTheServerDiesAndReconnectsWhenItReturns) {
  TempDir dir;
  int port = 0;
  auto server = startRtspServer(dir, 0, &port);
  ASSERT_GT(port, 0) << server->stderrText();
  MosquittoBroker local, uplink;
  local.start();
  uplink.start();
  const std::string camera =
      "cameras:\n  - id: rtsp-cam\n    source: url\n    url: rtsp://127.0.0.1:" + std::to_string(port) +
      "/cam\n    offline_after: 3s\n    calibration:\n"
      "      image_points: [[0, 359], [639, 359], [639, 0], [0, 0]]\n"
      "      facade_points_m: [[0, 0], [30, 0], [30, 18], [0, 18]]\n      floors: 6\n"
      "    thrown_object: {}\n";
  auto d = startDaemon(dir, minimalConfig("vr", local.port(), dir.file("state"), "1s",
                                          "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink.port()) +
                                              "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n" + camera));
  MqttProbe platform(uplink.uri());
  platform.subscribe("grid/vr/#");
  MqttProbe health(local.uri());
  health.subscribe("shaobing/vr/health");
  ASSERT_TRUE(d->waitForStderr("camera rtsp-cam: reading rtsp://", 20s)) << d->stderrText();
  // Frames flow (decoded H.264, analysed by the camera's detector).
  const long frames = waitForFrames(health, "rtsp-cam", 25, 30s);
  ASSERT_GE(frames, 25) << d->stderrText();

  // The server goes away: the camera is whistled offline.
  server->signal(SIGKILL);
  server->wait(5s);
  auto off = platform.waitFor("grid/vr/whistle/routine", [](const ProbeMessage& m) {
    return json::parse(m.payload)["type"] == "device_offline";
  }, 15s);
  ASSERT_TRUE(off) << d->stderrText();
  EXPECT_EQ(json::parse(off->payload)["source"]["device"], "rtsp-cam");
  ASSERT_TRUE(d->waitForStderr("camera rtsp-cam: stream ended or failed; reconnecting", 15s)) << d->stderrText();

  // It comes back on the same port: the reader reconnects and frames return.
  int again = 0;
  auto server2 = startRtspServer(dir, port, &again);
  ASSERT_EQ(again, port) << server2->stderrText();
  ASSERT_TRUE(d->waitForStderr("rtsp-cam is back", 60s)) << d->stderrText();  // the liveness watch
  EXPECT_GE(waitForFrames(health, "rtsp-cam", frames + 25, 30s), frames + 25) << d->stderrText();
  EXPECT_EQ(d->stderrText().find("thrown_object (emergency)"), std::string::npos);  // a still test card
}

TEST(RtspCameraTest, SubStreamIsAnalysedAndTheClipIsCutFromTheMainStream) {
  TempDir dir;
  const vision::synth::Scene scene = vision::synth::makeScene(vision::synth::plainDrops("two-streams", 31, 1));
  vision::synth::WrittenScene written;
  std::string error;
  ASSERT_TRUE(vision::synth::writeScene(scene, dir.path().string(), "nvr-cam", true, &written, &error)) << error;
  int port = 0;
  auto server = startRtspServer(dir, 0, &port,
                                {"--file", written.video_path, "--mount", "main=1280x720", "--mount", "sub=640x360"});
  ASSERT_GT(port, 0) << server->stderrText();
  MosquittoBroker local, uplink;
  local.start();
  uplink.start();
  const std::string base = "rtsp://127.0.0.1:" + std::to_string(port);
  std::string camera = vision::synth::cameraConfigYaml(scene, "nvr-cam", 0.5);  // calibrated on the sub-stream
  camera.replace(camera.find("  - id: nvr-cam\n"), 16,
                 "  - id: nvr-cam\n    source: url\n    detect_url: " + base + "/sub\n    record_url: " + base +
                     "/main\n    offline_after: 60s\n");
  auto d = startDaemon(dir, minimalConfig("vn", local.port(), dir.file("state"), "1s",
                                          "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink.port()) +
                                              "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n" + camera));
  MqttProbe platform(uplink.uri());
  platform.subscribe("grid/vn/#");
  auto w = platform.waitFor("grid/vn/whistle/emergency", 90s);
  ASSERT_TRUE(w) << d->stderrText();
  const json j = json::parse(w->payload);
  EXPECT_EQ(j["type"], "thrown_object");
  EXPECT_NEAR(j["details"]["floor"].get<int>(), scene.events[0].floor, 1);
  // The snapshot is of the analysed sub-stream.
  auto snap = platform.waitFor(j["evidence"][0]["topic"].get<std::string>(), 5s);
  ASSERT_TRUE(snap);
  const cv::Mat s = cv::imdecode(std::vector<uchar>(snap->payload.begin(), snap->payload.end()), cv::IMREAD_COLOR);
  EXPECT_EQ(s.size(), cv::Size(640, 360));
  // The clip follows, cut from the main stream without re-encoding it.
  const std::string id = j["id"];
  auto notice = platform.waitFor("grid/vn/evidence_added/" + id, 30s);
  ASSERT_TRUE(notice) << d->stderrText();
  const json e = json::parse(notice->payload)["evidence"];
  EXPECT_EQ(e["content_type"], "video/mp4");
  auto clip = platform.waitFor(e["topic"].get<std::string>(), 5s);
  ASSERT_TRUE(clip);
  EXPECT_EQ(whistle::sha256Hex(clip->payload), e["sha256"]);
  const std::string path = dir.write("clip.mp4", clip->payload);
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_WIDTH), 1280);
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_HEIGHT), 720);
  int frames = 0;
  for (cv::Mat f; cap.read(f);) ++frames;
  // clip_pre before the release to clip_post after the decision, from the
  // keyframe before: at least 10 s at 25 fps less what the server's start-up cost.
  EXPECT_GE(frames, 200) << d->stderrText();
  EXPECT_LE(frames, 25 * (5 + 5 + 2 + 1));
}

}  // namespace
}  // namespace shaobing::testing
