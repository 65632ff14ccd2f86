// Camera evidence: the frame ring's time and size limits, MJPEG AVI clips read
// back by OpenCV and checked byte for byte, MP4 (H.264) clips read back by
// OpenCV through FFmpeg, snapshot overlays, and retention
// of the evidence directory by size.
#include "vision/evidence/evidence.h"
#include "vision/evidence/mp4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "tests/support/temp_dir.h"

namespace shaobing::vision {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr double kInf = std::numeric_limits<double>::infinity();

EncodedFrame frameOf(double t, size_t bytes) {
  return {t, std::make_shared<const std::string>(bytes, 'x')};
}

std::vector<double> times(const std::vector<EncodedFrame>& frames) {
  std::vector<double> out;
  out.reserve(frames.size());
  for (const auto& f : frames) out.push_back(f.t);
  return out;
}

// ---------------------------------------------------------------------------
// FrameRing

TEST(FrameRing, DropsFramesOlderThanTheSpan) {
  FrameRing ring(2.0, 1 << 20);
  for (int i = 0; i <= 10; ++i) ring.push(frameOf(i * 0.5, 10));
  // Newest is 5.0: frames from 3.0 on are kept, 3.0 itself included.
  EXPECT_EQ(times(ring.between(-kInf, kInf)), (std::vector<double>{3.0, 3.5, 4.0, 4.5, 5.0}));
  EXPECT_EQ(ring.size(), 5u);
  EXPECT_EQ(ring.bytes(), 50u);
}

TEST(FrameRing, DropsOldestFramesOverTheByteBudget) {
  FrameRing ring(1000.0, 1000);
  for (int i = 0; i < 10; ++i) ring.push(frameOf(i, 300));
  EXPECT_EQ(times(ring.between(-kInf, kInf)), (std::vector<double>{7, 8, 9}));
  EXPECT_EQ(ring.bytes(), 900u);
  ring.push(frameOf(10, 700));
  EXPECT_EQ(times(ring.between(-kInf, kInf)), (std::vector<double>{9, 10}));
  EXPECT_EQ(ring.bytes(), 1000u);
}

TEST(FrameRing, BetweenIsInclusiveAndOldestFirst) {
  FrameRing ring(100.0, 1 << 20);
  for (int i = 0; i < 5; ++i) ring.push(frameOf(i, 1));
  EXPECT_EQ(times(ring.between(1, 3)), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(times(ring.between(0.5, 1.5)), (std::vector<double>{1}));
  EXPECT_TRUE(ring.between(5, 6).empty());
  EXPECT_TRUE(ring.between(3, 1).empty());
}

TEST(FrameRing, LateFrameIsSlottedIntoTimeOrder) {
  FrameRing ring(100.0, 1 << 20);
  ring.push(frameOf(1, 1));
  ring.push(frameOf(3, 1));
  ring.push(frameOf(2, 1));
  EXPECT_EQ(times(ring.between(-kInf, kInf)), (std::vector<double>{1, 2, 3}));
}

TEST(FrameRing, NearestPicksTheClosestFrame) {
  FrameRing ring(100.0, 1 << 20);
  EXPECT_EQ(ring.nearest(1.0).jpeg, nullptr);
  for (int i = 0; i < 5; ++i) {
    ring.push({static_cast<double>(i), std::make_shared<const std::string>(std::to_string(i))});
  }
  EXPECT_EQ(ring.nearest(1.4).t, 1);
  EXPECT_EQ(*ring.nearest(1.4).jpeg, "1");
  EXPECT_EQ(ring.nearest(1.6).t, 2);
  EXPECT_EQ(ring.nearest(-5).t, 0);
  EXPECT_EQ(ring.nearest(100).t, 4);
  EXPECT_EQ(ring.nearest(3).t, 3);
}

// ---------------------------------------------------------------------------
// MJPEG AVI

// Frame i: a flat grey level that rises with i, with the frame number drawn in.
cv::Mat syntheticFrame(int i, cv::Size size) {
  cv::Mat img(size, CV_8UC3, cv::Scalar::all(30 + 9 * i));
  cv::putText(img, std::to_string(i), cv::Point(size.width / 4, size.height * 3 / 4),
              cv::FONT_HERSHEY_SIMPLEX, 3.0, cv::Scalar(255, 255, 255), 4);
  return img;
}

std::string encodeJpeg(const cv::Mat& img, bool progressive = false) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", img, buf,
               {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, progressive ? 1 : 0});
  return std::string(buf.begin(), buf.end());
}

double meanLevel(const cv::Mat& img) {
  const cv::Scalar m = cv::mean(img);
  return (m[0] + m[1] + m[2]) / 3.0;
}

uint32_t le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s.at(at + i));
  return v;
}

uint16_t le16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(s.at(at)) |
                               (static_cast<unsigned char>(s.at(at + 1)) << 8));
}

// The parts of an AVI file that the tests look at, found by walking its chunks.
struct AviLayout {
  size_t avih = 0;  // start of the avih payload
  size_t strh = 0;  // start of the strh payload
  size_t strf = 0;  // start of the strf payload
  size_t movi = 0;  // position of the 'movi' fourcc
  size_t idx1 = 0;  // start of the idx1 payload
  uint32_t idx1_size = 0;
};

// Walks the chunks in [begin, end), descending into LISTs.
void walk(const std::string& f, size_t begin, size_t end, AviLayout* out) {
  size_t pos = begin;
  while (pos + 8 <= end) {
    const std::string id = f.substr(pos, 4);
    const uint32_t size = le32(f, pos + 4);
    ASSERT_LE(pos + 8 + size, end) << "chunk " << id << " overruns its parent";
    if (id == "LIST") {
      const std::string type = f.substr(pos + 8, 4);
      if (type == "movi") {
        out->movi = pos + 8;
      } else {
        walk(f, pos + 12, pos + 8 + size, out);
      }
    } else if (id == "avih") {
      out->avih = pos + 8;
    } else if (id == "strh") {
      out->strh = pos + 8;
    } else if (id == "strf") {
      out->strf = pos + 8;
    } else if (id == "idx1") {
      out->idx1 = pos + 8;
      out->idx1_size = size;
    }
    pos += 8 + size + (size & 1);
  }
}

AviLayout parseAvi(const std::string& f) {
  AviLayout layout;
  EXPECT_GE(f.size(), 12u);
  if (f.size() < 12) return layout;
  EXPECT_EQ(f.substr(0, 4), "RIFF");
  EXPECT_EQ(f.substr(8, 4), "AVI ");
  EXPECT_EQ(le32(f, 4), f.size() - 8);
  walk(f, 12, f.size(), &layout);
  return layout;
}

std::vector<cv::Mat> readAllFrames(cv::VideoCapture* cap) {
  std::vector<cv::Mat> out;
  cv::Mat frame;
  while (cap->read(frame)) out.push_back(frame.clone());
  return out;
}

bool openClip(const std::string& path, cv::VideoCapture* cap) {
  if (cap->open(path, cv::CAP_FFMPEG)) return true;
  return cap->open(path, cv::CAP_ANY);
}

class MjpegAvi : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 20; ++i) {
      cv::Mat img = syntheticFrame(i, size_);
      std::string jpeg = encodeJpeg(img);
      // Odd and even lengths both occur, so chunk padding is exercised.
      if (jpeg.size() % 2 != static_cast<size_t>(i % 2)) jpeg.push_back('\0');
      levels_.push_back(meanLevel(img));
      frames_.push_back({i / 15.0, std::make_shared<const std::string>(std::move(jpeg))});
    }
  }

  std::vector<std::string> dirEntries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  const cv::Size size_{320, 240};
  std::vector<EncodedFrame> frames_;
  std::vector<double> levels_;
};

TEST_F(MjpegAvi, OpenCvReadsEveryFrameWithItsSizeAndContent) {
  const std::string path = dir_.file("clip.avi");
  std::string error;
  ASSERT_TRUE(writeMjpegAvi(path, frames_, 15.0, &error)) << error;
  EXPECT_TRUE(error.empty());

  cv::VideoCapture cap;
  ASSERT_TRUE(openClip(path, &cap));
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_COUNT), 20);
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_WIDTH), 320);
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_HEIGHT), 240);
  EXPECT_NEAR(cap.get(cv::CAP_PROP_FPS), 15.0, 0.01);
  const std::vector<cv::Mat> got = readAllFrames(&cap);
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].size(), size_) << i;
    // Levels are 9 apart, so this also proves the order.
    EXPECT_NEAR(meanLevel(got[i]), levels_[i], 2.0) << "frame " << i;
  }
}

TEST_F(MjpegAvi, HeadersAndIndexDescribeTheJpegBytesStoredUnchanged) {
  const std::string path = dir_.file("clip.avi");
  std::string error;
  ASSERT_TRUE(writeMjpegAvi(path, frames_, 12.5, &error)) << error;
  const std::string f = testing::readFile(path);
  const AviLayout avi = parseAvi(f);
  ASSERT_NE(avi.avih, 0u);
  ASSERT_NE(avi.strh, 0u);
  ASSERT_NE(avi.strf, 0u);
  ASSERT_NE(avi.movi, 0u);
  ASSERT_NE(avi.idx1, 0u);

  EXPECT_EQ(le32(f, avi.avih + 0), 80000u);  // dwMicroSecPerFrame
  EXPECT_EQ(le32(f, avi.avih + 12), 0x10u);  // dwFlags: AVIF_HASINDEX
  EXPECT_EQ(le32(f, avi.avih + 16), 20u);    // dwTotalFrames
  EXPECT_EQ(le32(f, avi.avih + 24), 1u);     // dwStreams
  EXPECT_EQ(le32(f, avi.avih + 32), 320u);   // dwWidth
  EXPECT_EQ(le32(f, avi.avih + 36), 240u);   // dwHeight

  EXPECT_EQ(f.substr(avi.strh, 4), "vids");
  EXPECT_EQ(f.substr(avi.strh + 4, 4), "MJPG");
  EXPECT_EQ(le32(f, avi.strh + 20), 1000u);   // dwScale
  EXPECT_EQ(le32(f, avi.strh + 24), 12500u);  // dwRate
  EXPECT_EQ(le32(f, avi.strh + 32), 20u);     // dwLength
  EXPECT_EQ(le16(f, avi.strh + 52), 320u);    // rcFrame.right
  EXPECT_EQ(le16(f, avi.strh + 54), 240u);    // rcFrame.bottom

  EXPECT_EQ(le32(f, avi.strf + 0), 40u);   // biSize
  EXPECT_EQ(le32(f, avi.strf + 4), 320u);  // biWidth
  EXPECT_EQ(le32(f, avi.strf + 8), 240u);  // biHeight
  EXPECT_EQ(le16(f, avi.strf + 14), 24u);  // biBitCount
  EXPECT_EQ(f.substr(avi.strf + 16, 4), "MJPG");
  EXPECT_EQ(le32(f, avi.strf + 20), 320u * 240 * 3);

  ASSERT_EQ(avi.idx1_size, 16u * 20);
  for (size_t i = 0; i < 20; ++i) {
    const size_t e = avi.idx1 + 16 * i;
    EXPECT_EQ(f.substr(e, 4), "00dc");
    EXPECT_EQ(le32(f, e + 4), 0x10u);  // AVIIF_KEYFRAME
    const size_t chunk = avi.movi + le32(f, e + 8);
    const uint32_t size = le32(f, e + 12);
    ASSERT_EQ(size, frames_[i].jpeg->size()) << i;
    ASSERT_LE(chunk + 8 + size, f.size());
    EXPECT_EQ(f.substr(chunk, 4), "00dc") << i;
    EXPECT_EQ(le32(f, chunk + 4), size) << i;
    EXPECT_TRUE(f.compare(chunk + 8, size, *frames_[i].jpeg) == 0) << "frame " << i;
  }
}

TEST_F(MjpegAvi, LeavesOnlyTheFinishedClipAndReplacesAnOldOne) {
  const std::string path = dir_.file("clip.avi");
  dir_.write("clip.avi", "stale");
  std::string error;
  ASSERT_TRUE(writeMjpegAvi(path, frames_, 15.0, &error)) << error;
  EXPECT_EQ(dirEntries(), (std::vector<std::string>{"clip.avi"}));
  EXPECT_GT(fs::file_size(path), 20 * 1000u);
}

TEST_F(MjpegAvi, SizeComesFromProgressiveJpegsToo) {
  const cv::Size size(200, 120);
  std::vector<EncodedFrame> frames;
  frames.reserve(3);
  for (int i = 0; i < 3; ++i) {
    frames.push_back(
        {i * 0.1, std::make_shared<const std::string>(encodeJpeg(syntheticFrame(i, size), true))});
  }
  const std::string path = dir_.file("progressive.avi");
  std::string error;
  ASSERT_TRUE(writeMjpegAvi(path, frames, 10.0, &error)) << error;
  const std::string f = testing::readFile(path);
  const AviLayout avi = parseAvi(f);
  ASSERT_NE(avi.avih, 0u);
  EXPECT_EQ(le32(f, avi.avih + 32), 200u);
  EXPECT_EQ(le32(f, avi.avih + 36), 120u);
}

TEST_F(MjpegAvi, RejectsDataThatIsNotJpeg) {
  const std::string path = dir_.file("bad.avi");
  std::vector<EncodedFrame> frames = frames_;
  frames[3].jpeg = std::make_shared<const std::string>("this is not a jpeg at all");
  std::string error;
  EXPECT_FALSE(writeMjpegAvi(path, frames, 15.0, &error));
  EXPECT_NE(error.find("frame 3"), std::string::npos) << error;
  EXPECT_NE(error.find("not a JPEG"), std::string::npos) << error;

  // Start-of-image but cut off before the frame header.
  frames = {frames_[0]};
  frames[0].jpeg = std::make_shared<const std::string>(frames_[0].jpeg->substr(0, 20));
  error.clear();
  EXPECT_FALSE(writeMjpegAvi(path, frames, 15.0, &error));
  EXPECT_FALSE(error.empty());

  frames = {frames_[0]};
  frames[0].jpeg = nullptr;
  error.clear();
  EXPECT_FALSE(writeMjpegAvi(path, frames, 15.0, &error));
  EXPECT_FALSE(error.empty());

  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(MjpegAvi, RejectsFramesOfDifferentSizes) {
  std::vector<EncodedFrame> frames = frames_;
  frames.push_back({2.0, std::make_shared<const std::string>(
                             encodeJpeg(syntheticFrame(1, cv::Size(160, 120))))});
  std::string error;
  EXPECT_FALSE(writeMjpegAvi(dir_.file("mixed.avi"), frames, 15.0, &error));
  EXPECT_NE(error.find("160x120"), std::string::npos) << error;
  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(MjpegAvi, RejectsAnEmptyClipAndABadFrameRate) {
  std::string error;
  EXPECT_FALSE(writeMjpegAvi(dir_.file("empty.avi"), {}, 15.0, &error));
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_FALSE(writeMjpegAvi(dir_.file("zero.avi"), frames_, 0.0, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(MjpegAvi, ReportsAnUnwritableDestination) {
  dir_.write("file", "x");
  std::string error;
  EXPECT_FALSE(writeMjpegAvi(dir_.file("file/clip.avi"), frames_, 15.0, &error));
  EXPECT_NE(error.find("clip.avi.tmp"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------
// Snapshot

cv::Vec3b pixel(const cv::Mat& img, cv::Point p) {
  return img.at<cv::Vec3b>(p);
}

// ---------------------------------------------------------------------------
// MP4 (H.264) clips

// The top-level boxes of an MP4, in order.
std::vector<std::string> mp4Boxes(const std::string& f) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 8 <= f.size()) {
    uint64_t size = (static_cast<uint64_t>(static_cast<unsigned char>(f[pos])) << 24) |
                    (static_cast<uint64_t>(static_cast<unsigned char>(f[pos + 1])) << 16) |
                    (static_cast<uint64_t>(static_cast<unsigned char>(f[pos + 2])) << 8) |
                    static_cast<uint64_t>(static_cast<unsigned char>(f[pos + 3]));
    out.push_back(f.substr(pos + 4, 4));
    if (size < 8) break;
    pos += size;
  }
  return out;
}

using Mp4Clip = MjpegAvi;  // same 20 frames, 320x240, levels 9 apart, at 15 fps

TEST_F(Mp4Clip, OpenCvReadsEveryFrameInOrderAtItsSizeAsH264) {
  ASSERT_FALSE(h264EncoderName().empty()) << "FFmpeg offers no H.264 encoder";
  const std::string path = dir_.file("clip.mp4");
  std::string error;
  ASSERT_TRUE(writeMp4(path, frames_, Mp4Options{}, &error)) << error;
  cv::VideoCapture cap;
  ASSERT_TRUE(cap.open(path, cv::CAP_FFMPEG));
  const int fourcc = static_cast<int>(cap.get(cv::CAP_PROP_FOURCC));
  const std::string cc{static_cast<char>(fourcc & 0xFF), static_cast<char>((fourcc >> 8) & 0xFF),
                       static_cast<char>((fourcc >> 16) & 0xFF), static_cast<char>((fourcc >> 24) & 0xFF)};
  EXPECT_TRUE(cc == "avc1" || cc == "h264" || cc == "H264") << cc;
  const std::vector<cv::Mat> got = readAllFrames(&cap);
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].size(), size_) << i;
    EXPECT_NEAR(meanLevel(got[i]), levels_[i], 4.0) << "frame " << i;
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(Mp4Clip, MovieHeaderComesBeforeTheMediaSoABrowserCanStartPlaying) {
  const std::string path = dir_.file("clip.mp4");
  std::string error;
  ASSERT_TRUE(writeMp4(path, frames_, Mp4Options{}, &error)) << error;
  const std::vector<std::string> boxes = mp4Boxes(testing::readFile(path));
  ASSERT_FALSE(boxes.empty());
  EXPECT_EQ(boxes.front(), "ftyp");
  const auto moov = std::find(boxes.begin(), boxes.end(), "moov");
  const auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
  ASSERT_NE(moov, boxes.end());
  ASSERT_NE(mdat, boxes.end());
  EXPECT_LT(moov - boxes.begin(), mdat - boxes.begin());
  EXPECT_NE(testing::readFile(path).find("avc1"), std::string::npos);  // H.264 sample entry
}

TEST_F(Mp4Clip, FrameTimesBecomePresentationTimes) {
  // A camera that stalls for a second in the middle: the clip keeps the pause.
  std::vector<EncodedFrame> frames = frames_;
  for (size_t i = 10; i < frames.size(); ++i) frames[i].t += 1.0;
  const std::string path = dir_.file("clip.mp4");
  std::string error;
  ASSERT_TRUE(writeMp4(path, frames, Mp4Options{}, &error)) << error;
  cv::VideoCapture cap;
  ASSERT_TRUE(cap.open(path, cv::CAP_FFMPEG));
  std::vector<double> ms;
  cv::Mat frame;
  while (cap.read(frame)) ms.push_back(cap.get(cv::CAP_PROP_POS_MSEC));
  ASSERT_EQ(ms.size(), 20u);
  EXPECT_NEAR(ms[9] - ms[0], 9 * 1000.0 / 15, 2.0);
  EXPECT_NEAR(ms[10] - ms[9], 1000.0 + 1000.0 / 15, 2.0);
  EXPECT_NEAR(ms[19] - ms[10], 9 * 1000.0 / 15, 2.0);
}

TEST_F(Mp4Clip, UndecodableFramesAreSkippedAndOddSidesCroppedToEven) {
  std::vector<EncodedFrame> frames;
  for (int i = 0; i < 8; ++i) {
    frames.push_back({i / 10.0, std::make_shared<const std::string>(encodeJpeg(syntheticFrame(i, {321, 241})))});
  }
  frames[3].jpeg = std::make_shared<const std::string>("\xFF\xD8 not really a JPEG");
  const std::string path = dir_.file("odd.mp4");
  std::string error;
  ASSERT_TRUE(writeMp4(path, frames, Mp4Options{}, &error)) << error;
  cv::VideoCapture cap;
  ASSERT_TRUE(cap.open(path, cv::CAP_FFMPEG));
  const std::vector<cv::Mat> got = readAllFrames(&cap);
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0].size(), cv::Size(320, 240));
}

TEST_F(Mp4Clip, NothingDecodableOrNowhereToWriteFailsAndLeavesNoFile) {
  std::vector<EncodedFrame> junk = {{0, std::make_shared<const std::string>("junk")},
                                    {0.1, std::make_shared<const std::string>("more junk")}};
  std::string error;
  EXPECT_FALSE(writeMp4(dir_.file("junk.mp4"), junk, Mp4Options{}, &error));
  EXPECT_NE(error.find("decoded"), std::string::npos) << error;
  EXPECT_FALSE(writeMp4(dir_.file("none.mp4"), {}, Mp4Options{}, &error));
  EXPECT_FALSE(writeMp4(dir_.file("no/such/dir/clip.mp4"), frames_, Mp4Options{}, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(dirEntries().empty());
}

TEST(Snapshot, DrawsTheOverlayOnAFrameOfTheSameSize) {
  const cv::Mat src(480, 640, CV_8UC3, cv::Scalar::all(128));
  const std::string jpeg = encodeJpeg(src);
  SnapshotOverlay overlay;
  overlay.observed = {{0.0, {400, 100}}, {0.1, {420, 160}}, {0.2, {440, 240}}};
  overlay.fitted = {{380, 40}, {400, 100}, {420, 160}, {440, 240}};
  overlay.origin = {380, 40};
  overlay.floor_band = {{100, 300}, {300, 300}, {300, 340}, {100, 340}};
  overlay.label = "floor 14 (13-15) x 21.3 m";

  const std::string out = drawSnapshot(jpeg, overlay, 90);
  ASSERT_FALSE(out.empty());
  const cv::Mat img = cv::imdecode(std::vector<uchar>(out.begin(), out.end()), cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.size(), src.size());

  // Observed points are red dots (BGR).
  for (const auto& p : overlay.observed) {
    const cv::Vec3b c = pixel(img, cv::Point(cvRound(p.px.x), cvRound(p.px.y)));
    EXPECT_GT(c[2], 180) << p.px;
    EXPECT_LT(c[1], 90) << p.px;
    EXPECT_LT(c[0], 90) << p.px;
  }
  // The floor band's top edge is cyan.
  const cv::Vec3b band = pixel(img, cv::Point(200, 300));
  EXPECT_GT(band[0], 170);
  EXPECT_GT(band[1], 170);
  EXPECT_LT(band[2], 110);
  // The label sits on a dark box at the top left.
  EXPECT_LT(pixel(img, cv::Point(2, 2))[1], 60);
  // Away from the overlay the frame is unchanged.
  const cv::Vec3b far = pixel(img, cv::Point(600, 450));
  for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(far[ch], 128, 4);
  // Something between the observed points is drawn (the joining line).
  const cv::Vec3b joint = pixel(img, cv::Point(410, 130));
  EXPECT_GT(joint[2] - joint[0], 30);
}

TEST(Snapshot, EmptyForDataThatIsNotAnImage) {
  SnapshotOverlay overlay;
  overlay.label = "x";
  EXPECT_TRUE(drawSnapshot("", overlay, 90).empty());
  EXPECT_TRUE(drawSnapshot("definitely not a jpeg", overlay, 90).empty());
}

TEST(Snapshot, ToleratesAnEmptyOverlayAndWildPoints) {
  const cv::Mat src(120, 160, CV_8UC3, cv::Scalar(20, 40, 60));
  SnapshotOverlay overlay;
  overlay.observed = {{0, {std::nan(""), 5}}, {1, {1e12, -1e12}}, {2, {50, 50}}};
  overlay.fitted = {{kInf, 0}, {10, 10}};
  const std::string out = drawSnapshot(encodeJpeg(src), overlay, 80);
  ASSERT_FALSE(out.empty());
  const cv::Mat img = cv::imdecode(std::vector<uchar>(out.begin(), out.end()), cv::IMREAD_COLOR);
  EXPECT_EQ(img.size(), src.size());
}

// ---------------------------------------------------------------------------
// Retention

class Retention : public ::testing::Test {
 protected:
  // Writes `bytes` bytes to `name`, last modified `age_s` seconds ago.
  void put(const std::string& name, size_t bytes, int age_s) {
    const std::string p = dir_.write(name, std::string(bytes, 'e'));
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::seconds(age_s));
  }
  bool exists(const std::string& name) const { return fs::exists(dir_.file(name)); }

  TempDir dir_;
};

TEST_F(Retention, DeletesOldestFilesFirstDownToTheLimit) {
  put("2024-01-01/a.avi", 100, 500);
  put("2024-01-01/b.jpg", 100, 400);
  put("c.avi", 100, 300);
  put("2024-01-02/deep/d.jpg", 100, 200);
  put("e.avi", 100, 100);

  EXPECT_EQ(enforceRetention(dir_.path().string(), 250), 300u);
  EXPECT_FALSE(exists("2024-01-01/a.avi"));
  EXPECT_FALSE(exists("2024-01-01/b.jpg"));
  EXPECT_FALSE(exists("c.avi"));
  EXPECT_TRUE(exists("2024-01-02/deep/d.jpg"));
  EXPECT_TRUE(exists("e.avi"));
}

TEST_F(Retention, StopsAsSoonAsTheTotalFits) {
  put("old.avi", 50, 300);
  put("mid.avi", 400, 200);
  put("new.avi", 100, 100);
  EXPECT_EQ(enforceRetention(dir_.path().string(), 500), 50u);
  EXPECT_FALSE(exists("old.avi"));
  EXPECT_TRUE(exists("mid.avi"));
  EXPECT_TRUE(exists("new.avi"));
}

TEST_F(Retention, LeavesADirectoryUnderTheLimitAlone) {
  put("a.avi", 100, 200);
  put("b.avi", 100, 100);
  EXPECT_EQ(enforceRetention(dir_.path().string(), 200), 0u);
  EXPECT_TRUE(exists("a.avi"));
  EXPECT_TRUE(exists("b.avi"));
}

TEST_F(Retention, MissingDirectoryIsNotAnError) {
  EXPECT_EQ(enforceRetention(dir_.file("nope"), 0), 0u);
  EXPECT_EQ(enforceRetention("", 0), 0u);
}

}  // namespace
}  // namespace shaobing::vision
