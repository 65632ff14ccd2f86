// A URL camera against a real RTSP server (GStreamer's, serving H.264): frames
// are read and counted; when the server goes away the camera is whistled
// offline; when it comes back on the same port the reader reconnects and the
// frames return.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::unique_ptr<ChildProcess> startRtspServer(const TempDir& dir, int port, int* bound) {
  const std::string logs = dir.file("rtsp-" + std::to_string(port));
  std::filesystem::create_directories(logs);
  auto server = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/python3", std::string(kSourceDir) + "/tests/support/rtsp_server.py",
                               std::to_string(port)},
      logs);
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
  ASSERT_TRUE(d->waitForStderr("camera rtsp-cam: frames again", 60s)) << d->stderrText();
  EXPECT_GE(waitForFrames(health, "rtsp-cam", frames + 25, 30s), frames + 25) << d->stderrText();
  EXPECT_EQ(d->stderrText().find("thrown_object (emergency)"), std::string::npos);  // a still test card
}

}  // namespace
}  // namespace shaobing::testing
