// A camera's main stream kept for clips without decoding: an H.264 file read
// at its own pace as a live stream would arrive, whole groups of pictures kept
// for the span, clips cut from the keyframe before their start and
// stream-copied into an MP4 that plays, reconnection when the stream ends.
#include "vision/camera/stream_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "gateway/whistle/encoding.h"
#include "tests/support/temp_dir.h"
#include "vision/evidence/mp4.h"

namespace shaobing::vision {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// An H.264 MP4 of `seconds` at 25 fps, 320x240, a keyframe every 2 s (50 frames);
// frame i shows its number as a bar i*2 pixels long.
std::string h264File(const TempDir& dir, double seconds) {
  std::vector<EncodedFrame> frames;
  const int n = static_cast<int>(seconds * 25);
  for (int i = 0; i < n; ++i) {
    cv::Mat img(240, 320, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(img, {0, 100}, {2 * i, 140}, cv::Scalar(255, 255, 255), -1);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", img, jpeg);
    frames.push_back({i / 25.0, std::make_shared<const std::string>(jpeg.begin(), jpeg.end())});
  }
  const std::string path = dir.file("main.mp4");
  std::string error;
  EXPECT_TRUE(writeMp4(path, frames, Mp4Options{}, &error)) << error;
  return path;
}

// The frames of a clip and the bar length (frame number) of its first one.
std::pair<int, int> framesAndFirst(const std::string& path) {
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  int n = 0, first = -1;
  for (cv::Mat f; cap.read(f); ++n) {
    if (n > 0) continue;
    cv::Mat row = f.row(120);
    int len = 0;
    for (int x = 0; x < row.cols; ++x) {
      if (row.at<cv::Vec3b>(0, x)[0] > 128) len = x + 1;
    }
    first = len / 2;
  }
  return {n, first};
}

TEST(StreamRecorderTest, CutsFromTheKeyframeBeforeTheStartAndStreamCopiesIntoAPlayableMp4) {
  TempDir dir;
  const std::string file = h264File(dir, 4.0);
  std::vector<std::string> warnings;
  std::mutex mu;
  StreamRecorder rec(file, 60, 64u << 20, nowSeconds, [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(mu);
    warnings.push_back(w);
  });
  const double started = nowSeconds();
  rec.start();
  // The file plays at 25 fps: after 2 s about 50 packets, not all 100.
  std::this_thread::sleep_for(2s);
  const long early = rec.stats().packets;
  EXPECT_GT(early, 30);
  EXPECT_LT(early, 80);
  while (rec.stats().packets < 100 && nowSeconds() - started < 15) std::this_thread::sleep_for(50ms);
  ASSERT_GE(rec.stats().packets, 100);
  EXPECT_TRUE(rec.stats().connected || rec.stats().connects >= 1);
  const double t0 = rec.ring().oldest();
  ASSERT_FALSE(std::isnan(t0));
  // Packet times follow the stream's own clock from its arrival.
  EXPECT_NEAR(t0, started, 1.0);
  EXPECT_NEAR(rec.newest() - t0, 99 / 25.0, 0.05);

  // 2.5 s .. 3.0 s: the cut starts on the keyframe at 2.0 s (frame 50).
  const ClipResult r = rec.cut(t0 + 2.5, t0 + 3.0)(dir.file("clip"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.path, dir.file("clip.mp4"));
  EXPECT_EQ(r.content_type, "video/mp4");
  EXPECT_EQ(r.sha256, whistle::sha256Hex(testing::readFile(r.path)));
  EXPECT_TRUE(std::filesystem::exists(r.path + ".sha256"));
  const auto [n, first] = framesAndFirst(r.path);
  EXPECT_EQ(n, 26);  // frames 50..75
  EXPECT_NEAR(first, 50, 1);
  EXPECT_EQ(r.frames, 26);
  rec.stop();
}

TEST(StreamRecorderTest, KeepsWholeGroupsOfPicturesForItsSpan) {
  TempDir dir;
  const std::string file = h264File(dir, 3.0);
  std::atomic<int> ended{0};
  // A span of 0.5 s: of the two groups (0–2 s, 2–3 s) only the last is kept.
  StreamRecorder rec(file, 0.5, 64u << 20, nowSeconds, [&](const std::string& w) {
    if (w.find("ended") != std::string::npos) ++ended;
  });
  rec.start();
  const double started = nowSeconds();
  while (ended == 0 && nowSeconds() - started < 15) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(ended.load(), 1);
  EXPECT_EQ(rec.ring().size(), 25u);  // frames 50..74
  const ClipResult r = rec.cut(rec.ring().oldest(), rec.newest())(dir.file("last"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(framesAndFirst(r.path), std::make_pair(25, 50));
  rec.stop();
}

TEST(StreamRecorderTest, AfterReconnectingToTheSameStreamAClipSpansBothConnectionsInTime) {
  TempDir dir;
  const std::string file = h264File(dir, 2.0);
  StreamRecorder rec(file, 30, 64u << 20, nowSeconds, [](const std::string&) {});
  rec.start();
  const double started = nowSeconds();
  // The file ends after 2 s, is opened again after a 1-s pause and read anew.
  while (rec.stats().packets < 100 && nowSeconds() - started < 15) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(rec.stats().packets, 100);
  EXPECT_EQ(rec.stats().connects, 2);
  EXPECT_EQ(rec.ring().size(), 100u);
  const double span = rec.newest() - rec.ring().oldest();
  EXPECT_GT(span, 2.0 + 1.0 + 1.9);
  const ClipResult r = rec.cut(rec.ring().oldest(), rec.newest())(dir.file("across"));
  ASSERT_TRUE(r.ok) << r.error;
  cv::VideoCapture cap(r.path, cv::CAP_FFMPEG);
  std::vector<double> ms;
  for (cv::Mat f; cap.read(f);) ms.push_back(cap.get(cv::CAP_PROP_POS_MSEC));
  ASSERT_EQ(ms.size(), 100u);
  // The second connection is placed by its arrival time: the pause is kept.
  EXPECT_NEAR((ms.back() - ms.front()) / 1000.0, span, 0.1);
  EXPECT_GT(ms[50] - ms[49], 900);
  rec.stop();
}

TEST(StreamRecorderTest, AnUnreachableStreamIsRetriedAndSaysWhy) {
  std::vector<std::string> warnings;
  std::mutex mu;
  StreamRecorder rec("rtsp://127.0.0.1:1/none", 10, 1u << 20, nowSeconds, [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(mu);
    warnings.push_back(w);
  });
  rec.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (rec.stats().failures < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  rec.stop();
  EXPECT_GE(rec.stats().failures, 2);
  EXPECT_FALSE(rec.stats().connected);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("cannot open"), std::string::npos) << warnings[0];
  const ClipResult r = rec.cut(0, 1e12)(testing::TempDir().file("none"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("no packets"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace shaobing::vision
