// `shaobing feed-camera --config PATH --camera ID VIDEO`: publishes a
// recording's frames as JPEG to the camera's MQTT frame topic on the local
// broker, at the recording's frame rate, with the capture time in the MQTT v5
// user property `ts` — what an IP camera sending frames would do. Used to try
// a camera configuration end to end and by the demo.
#include <mqtt/async_client.h>
#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "config/config.h"
#include "tools/shaobing/commands.h"
#include "tools/shaobing/site_access.h"
#include "vision/recording.h"

namespace shaobing::cli {
namespace {

struct FeedArgs {
  std::string config_path, camera, video;
  double speed = 1.0;
};

int runFeed(const FeedArgs& a) {
  const std::optional<config::Config> loaded = loadConfigOrReport(a.config_path);
  if (!loaded) return 2;
  const config::Config& cfg = *loaded;
  const config::CameraConfig* cam = cfg.findCamera(a.camera);
  if (cam == nullptr || cam->source != "mqtt") {
    std::cerr << a.config_path << ": no MQTT camera '" << a.camera << "' under cameras:\n";
    return 2;
  }
  vision::Recording video;
  if (!video.open(a.video)) {
    std::cerr << "cannot open video " << a.video << "\n";
    return 2;
  }
  const double fps = video.fps();
  const std::string topic = cfg.topicPrefix() + "/in/camera/" + cam->id + "/frame";
  try {
    auto client = connectLocalBroker(cfg, "shaobing-feed-" + cam->id);
    const auto start = std::chrono::system_clock::now();
    auto next = std::chrono::steady_clock::now();
    std::shared_ptr<const std::string> encoded;
    cv::Mat image;
    long n = 0;
    while (video.next(&encoded, &image)) {
      std::string jpeg;
      if (encoded) {
        jpeg = *encoded;
      } else {
        std::vector<uchar> buf;
        cv::imencode(".jpg", image, buf, {cv::IMWRITE_JPEG_QUALITY, 85});
        jpeg.assign(buf.begin(), buf.end());
      }
      const auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (start + std::chrono::microseconds(static_cast<int64_t>(n * 1e6 / fps))).time_since_epoch())
                          .count();
      ::mqtt::properties props{{::mqtt::property::USER_PROPERTY, "ts", std::to_string(ts)}};
      auto msg = ::mqtt::message_ptr_builder().topic(topic).payload(jpeg).qos(0).properties(props).finalize();
      client->publish(msg);
      ++n;
      next += std::chrono::microseconds(static_cast<int64_t>(1e6 / fps / a.speed));
      std::this_thread::sleep_until(next);
    }
    client->disconnect()->wait();
    std::cerr << "published " << n << " frames of " << a.video << " to " << topic << "\n";
  } catch (const ::mqtt::exception& e) {
    std::cerr << "cannot publish to " << cfg.local_broker.uri() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void registerFeedCamera(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("feed-camera", "publish a video's frames as a camera would (JPEG over MQTT)");
  auto args = std::make_shared<FeedArgs>();
  cmd->add_option("--config", args->config_path, "configuration file (site, local_broker, cameras)")->required();
  cmd->add_option("--camera", args->camera, "camera id (an MQTT camera in the configuration)")->required();
  cmd->add_option("VIDEO", args->video, "video file")->required();
  cmd->add_option("--speed", args->speed, "playback speed (1 = the recording's frame rate)")->check(CLI::Range(0.1, 10.0));
  cmd->callback([args, &exit_code] { exit_code = runFeed(*args); });
}

}  // namespace shaobing::cli
