// SIGHUP while the daemon is busy: device messages over MQTT (Paho's threads
// journal them and read the configuration), camera frames (workers analyse
// them), whistles to the uplink, and twenty reloads that change devices,
// limits and rules. Every reload applies (none is reported as needing a
// restart), nothing published is lost, and — in the ThreadSanitizer build
// (scripts/tsan) — no data race is reported.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// The configuration of reload `generation`: an extra device and different
// limits and rule settings each time.
std::string config(int generation, int local_port, int uplink_port, const std::string& state) {
  std::string extra = "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink_port) +
                      "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n"
                      "ingest:\n  max_payload: " + std::to_string(32 + generation) + "KiB\n"
                      "rules:\n  cooldown: " + std::to_string(60 + generation) + "s\n"
                      "  stranger_repeated: {attempts: " + std::to_string(3 + generation % 3) + ", window: 1m}\n"
                      "  charging_load: {no_charging_zones: [corridor], confirm: " +
                      std::to_string(400 + generation) + "s}\n"
                      "devices:\n"
                      "  - {id: door-1, kind: access, location: {building: \"1\"}}\n"
                      "  - {id: socket-1, kind: sensor, zone: corridor}\n"
                      "  - {id: extra-" + std::to_string(generation) + ", kind: sensor}\n"
                      "cameras:\n"
                      "  - id: cam-1\n"
                      "    calibration:\n"
                      "      image_points: [[0, 239], [319, 239], [319, 0], [0, 0]]\n"
                      "      facade_points_m: [[0, 0], [30, 0], [30, 18], [0, 18]]\n"
                      "      floors: 6\n"
                      "    thrown_object: {}\n";
  return minimalConfig("rl", local_port, state, "1s", extra);
}

TEST(ReloadUnderLoadTest, TwentyReloadsWhileMessagesAndFramesFlowLoseNothingAndRaceNothing) {
  TempDir dir;
  MosquittoBroker local, uplink;
  local.start();
  uplink.start();
  // Under scripts/tsan the daemon inherits TSAN_OPTIONS: a race makes it exit 66.
  auto d = startDaemon(dir, config(1, local.port(), uplink.port(), dir.file("state")));
  MqttProbe health(local.uri());
  health.subscribe("shaobing/rl/health");
  ASSERT_TRUE(d->waitForStderr("connected to", 30s)) << d->stderrText();

  std::atomic<bool> stop{false};
  std::atomic<long> device_messages{0};
  std::thread devices([&] {
    MqttProbe pub(local.uri());
    for (long i = 0; !stop; ++i) {
      pub.publish("shaobing/rl/in/sensor/socket-1", R"({"type":"power","watts":)" + std::to_string(100 + i % 50) + "}", 1);
      pub.publish("shaobing/rl/in/access/door-1", R"({"event":"access_denied","method":"face","person":{"type":"unknown"}})", 1);
      device_messages += 2;
      std::this_thread::sleep_for(5ms);
    }
  });
  std::thread camera([&] {
    MqttProbe pub(local.uri());
    cv::Mat img(240, 320, CV_8UC1, cv::Scalar(90));
    for (int i = 0; !stop; ++i) {
      cv::circle(img, {(i * 7) % 320, 120}, 3, cv::Scalar(90 + i % 100), -1);
      std::vector<uchar> jpeg;
      cv::imencode(".jpg", img, jpeg);
      pub.publish("shaobing/rl/in/camera/cam-1/frame", std::string(jpeg.begin(), jpeg.end()), 0);
      std::this_thread::sleep_for(40ms);
    }
  });

  for (int g = 2; g <= 21; ++g) {
    dir.write("shaobing.yaml", config(g, local.port(), uplink.port(), dir.file("state")));
    d->signal(SIGHUP);
    std::this_thread::sleep_for(150ms);
  }
  auto h = health.waitFor("shaobing/rl/health", [](const ProbeMessage& m) {
    const json j = json::parse(m.payload, nullptr, false);
    return j.is_object() && j["config"]["generation"] == 21;
  }, 30s);
  stop = true;
  devices.join();
  camera.join();
  ASSERT_TRUE(h) << d->stderrText();
  EXPECT_TRUE(d->running()) << d->stderrText();

  // Every device message published (QoS 1) was journaled.
  const long sent = device_messages.load();
  auto all = health.waitFor("shaobing/rl/health", [&](const ProbeMessage& m) {
    const json j = json::parse(m.payload, nullptr, false);
    return j.is_object() && j["components"]["ingest"]["journaled"].get<long>() >= sent;
  }, 30s);
  ASSERT_TRUE(all) << "sent " << sent << "\n" << d->stderrText();
  const json j = json::parse(all->payload);
  EXPECT_EQ(j["components"]["ingest"]["journaled"].get<long>(), sent);
  EXPECT_EQ(j["components"]["ingest"]["journal_failures"], 0);
  EXPECT_GT(j["components"]["vision"]["cameras"]["cam-1"]["frames"].get<long>(), 0);
  // The last configuration is the one in force.
  EXPECT_EQ(j["config"]["generation"], 21);
  const std::string err = d->stderrText();
  EXPECT_EQ(err.find("ThreadSanitizer"), std::string::npos) << err;
  EXPECT_NE(err.find("configuration reloaded (generation 21)"), std::string::npos) << err;
  EXPECT_EQ(err.find("take effect after a restart"), std::string::npos) << err;
  d->signal(SIGTERM);
  auto code = d->wait(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << d->stderrText();
}

}  // namespace
}  // namespace shaobing::testing
