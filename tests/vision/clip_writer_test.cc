// Writing clips: the format chosen and its fallback, the hash and its
// sidecar, the shared writer thread (order, back-pressure, lower priority,
// finishing what is queued), and the evidence recorder handing each clip back
// with the ticket of the finding it documents.
#include "vision/evidence/clip_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/whistle/encoding.h"
#include "tests/support/temp_dir.h"
#include "vision/evidence/recorder.h"

namespace shaobing::vision {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<EncodedFrame> frames(int n, double t0 = 0, double fps = 10) {
  std::vector<EncodedFrame> out;
  for (int i = 0; i < n; ++i) {
    cv::Mat img(120, 160, CV_8UC3, cv::Scalar(20 + 10 * i, 60, 90));
    cv::circle(img, {20 + 8 * i, 60}, 10, cv::Scalar(250, 250, 250), -1);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", img, jpeg);
    out.push_back({t0 + i / fps, std::make_shared<const std::string>(jpeg.begin(), jpeg.end())});
  }
  return out;
}

// A clip job as the evidence recorder hands it over.
ClipWriter::Write job(std::vector<EncodedFrame> f, std::string base, ClipFormat format) {
  return [f = std::move(f), base = std::move(base), format] { return writeClip(f, base, format, {}); };
}

int framesIn(const std::string& path) {
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  int n = 0;
  cv::Mat f;
  while (cap.read(f)) ++n;
  return n;
}

TEST(WriteClip, Mp4IsHashedAndGetsASidecar) {
  TempDir dir;
  const ClipResult r = writeClip(frames(12), dir.file("c1"), ClipFormat::kMp4, {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.path, dir.file("c1.mp4"));
  EXPECT_EQ(r.content_type, "video/mp4");
  EXPECT_EQ(r.frames, 12);
  const std::string bytes = testing::readFile(r.path);
  EXPECT_EQ(r.bytes, bytes.size());
  EXPECT_EQ(r.sha256, whistle::sha256Hex(bytes));
  EXPECT_EQ(testing::readFile(r.path + ".sha256"), r.sha256 + "  c1.mp4\n");
  EXPECT_EQ(framesIn(r.path), 12);
}

TEST(WriteClip, AviKeepsTheJpegsAndSaysSo) {
  TempDir dir;
  const ClipResult r = writeClip(frames(5), dir.file("c2"), ClipFormat::kAvi, {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.path, dir.file("c2.avi"));
  EXPECT_EQ(r.content_type, "video/x-msvideo");
  EXPECT_EQ(framesIn(r.path), 5);
}

TEST(WriteClip, Mp4ThatCannotBeEncodedFallsBackToAviWithTheReason) {
  // Frames too small for an H.264 picture: the MP4 is refused, the AVI is not.
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)), jpeg);
  std::vector<EncodedFrame> tiny = {{0, std::make_shared<const std::string>(jpeg.begin(), jpeg.end())},
                                    {0.1, std::make_shared<const std::string>(jpeg.begin(), jpeg.end())}};
  TempDir dir;
  const ClipResult r = writeClip(tiny, dir.file("c3"), ClipFormat::kMp4, {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.path, dir.file("c3.avi"));
  EXPECT_EQ(r.content_type, "video/x-msvideo");
  EXPECT_NE(r.error.find("MJPEG AVI"), std::string::npos) << r.error;
}

TEST(WriteClip, NoFramesIsAnError) {
  TempDir dir;
  const ClipResult r = writeClip({}, dir.file("c4"), ClipFormat::kMp4, {});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("no frames"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ClipWriterTest, WritesInOrderOnItsOwnLowerPriorityThread) {
  TempDir dir;
  const int base_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  std::vector<std::string> done;
  std::mutex mu;
  std::atomic<int> writer_nice{-100};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  {
    ClipWriter writer(8, 10);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(writer.submit(job(frames(6), dir.file("w" + std::to_string(i)), ClipFormat::kMp4),
                                [&](const ClipResult& r) {
                                  std::lock_guard<std::mutex> lock(mu);
                                  done.push_back(fs::path(r.path).filename().string());
                                  writer_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
                                  if (std::this_thread::get_id() == caller) on_caller = true;
                                }));
    }
    writer.drain();
    EXPECT_EQ(writer.queued(), 0u);
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(done, (std::vector<std::string>{"w0.mp4", "w1.mp4", "w2.mp4"}));
  }
  EXPECT_FALSE(on_caller);
  EXPECT_EQ(writer_nice.load(), std::min(base_nice + 10, 19));
}

TEST(ClipWriterTest, RefusesClipsBeyondItsQueueAndFinishesTheQueuedOnesWhenDestroyed) {
  TempDir dir;
  std::promise<void> started, release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> written{0};
  bool b = false, c = false, d = true;
  {
    ClipWriter writer(2, 0);
    // The first job blocks the thread in its callback, so the next two wait in the queue.
    ASSERT_TRUE(writer.submit(job(frames(2), dir.file("a"), ClipFormat::kAvi), [&](const ClipResult&) {
      started.set_value();
      gate.wait();
      ++written;
    }));
    started.get_future().wait();  // taken off the queue and running
    b = writer.submit(job(frames(2), dir.file("b"), ClipFormat::kAvi), [&](const ClipResult&) { ++written; });
    c = writer.submit(job(frames(2), dir.file("c"), ClipFormat::kAvi), [&](const ClipResult&) { ++written; });
    d = writer.submit(job(frames(2), dir.file("d"), ClipFormat::kAvi), [&](const ClipResult&) { ++written; });
    release.set_value();
  }
  EXPECT_TRUE(b);
  EXPECT_TRUE(c);
  EXPECT_FALSE(d);
  EXPECT_EQ(written.load(), 3);
  EXPECT_TRUE(fs::exists(dir.file("c.avi")));
  EXPECT_FALSE(fs::exists(dir.file("d.avi")));
}

TEST(EvidenceRecorderTest, EachClipComesBackWithItsFindingsTicketWhereDetailsSaidItWouldBe) {
  TempDir dir;
  config::VisionConfig vision;
  vision.evidence_dir = dir.file("ev");
  vision.clip_pre_s = 0.5;
  vision.clip_post_s = 0.5;
  ClipWriter writer;
  EvidenceRecorder rec(vision, "cam-1", 16u << 20, &writer);
  std::mutex mu;
  std::map<long, ClipResult> clips;
  rec.onClip([&](long ticket, const ClipResult& r) {
    std::lock_guard<std::mutex> lock(mu);
    clips[ticket] = r;
  });
  const auto fs20 = frames(40, 100.0, 10);  // 100.0 .. 103.9 s
  Finding a, b;
  a.observed_at = 100.8;
  a.decided_at = 101.0;
  b.observed_at = 102.0;
  b.decided_at = 102.5;
  for (const auto& f : fs20) {
    rec.push(f);
    if (f.t == 101.0) rec.document(a);
    if (f.t == 102.5) rec.document(b);
    rec.writeDue(f.t, false);
  }
  writer.drain();
  EXPECT_NE(a.clip_ticket, 0);
  EXPECT_NE(b.clip_ticket, a.clip_ticket);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(clips.size(), 2u);
  for (const Finding* f : {&a, &b}) {
    const ClipResult& r = clips.at(f->clip_ticket);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.path, f->incident.details["clip"]["path"]);
    EXPECT_EQ(f->incident.details["clip"]["content_type"], "video/mp4");
    EXPECT_TRUE(f->incident.details["clip"]["follows"].get<bool>());
    // From clip_pre before the observation to clip_post after the decision, at 10 fps.
    EXPECT_EQ(r.frames, static_cast<int>(std::lround((f->decided_at + 0.5 - (f->observed_at - 0.5)) * 10)) + 1);
    EXPECT_EQ(framesIn(r.path), r.frames);
  }
  EXPECT_EQ(rec.stats().clips_written, 2);
  EXPECT_EQ(rec.stats().clip_errors, 0);
}

}  // namespace
}  // namespace shaobing::vision
