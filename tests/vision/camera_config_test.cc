// The cameras: and vision: sections of the configuration, with the detector
// subtrees their registry entries parse.
#include <gtest/gtest.h>

#include "config/config.h"
#include "vision/detectors/registry.h"
#include "vision/detectors/thrown_object/config.h"

namespace shaobing::config {
namespace {

const char* kBase = "site: {id: s1}\n";

const char* kCamera = R"(
cameras:
  - id: b3-east
    grid: g-03
    location: {building: "3"}
    offline_after: 20s
    thrown_object:
      calibration:
        image_points: [[100, 700], [1180, 690], [1100, 60], [180, 70]]
        facade_points_m: [[0, 3], [40, 3], [40, 54], [0, 54]]
        floor_height_m: 3.0
        floors: 18
      masks: [[[10, 10], [50, 10], [50, 50]]]
      column_width_m: 3.2
      column_origin_m: 1.2
      analysis_scale: 2
)";

// Every test loads with the detectors registered, as both executables do.
class DetectorsRegistered : public ::testing::Environment {
 public:
  void SetUp() override { vision::registerDetectors(); }
};
const auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new DetectorsRegistered);

std::string messages(const LoadResult& r) {
  std::string out;
  for (const auto& m : r.messages()) out += m + "\n";
  return out;
}

TEST(CameraConfigTest, ReadsACalibratedCamera) {
  LoadResult r = loadConfigString(std::string(kBase) + kCamera);
  ASSERT_TRUE(r.ok()) << messages(r);
  ASSERT_EQ(r.config->cameras.size(), 1u);
  const CameraConfig& c = r.config->cameras[0];
  EXPECT_EQ(c.id, "b3-east");
  EXPECT_EQ(c.source, "mqtt");
  EXPECT_EQ(c.grid, "g-03");
  EXPECT_EQ(c.location.building, "3");
  EXPECT_DOUBLE_EQ(c.offline_after_s, 20);
  const auto* t = c.detector<vision::ThrownObjectConfig>("thrown_object");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->calibration.floors, 18);
  EXPECT_DOUBLE_EQ(t->calibration.image_points[2].first, 1100);
  EXPECT_DOUBLE_EQ(t->calibration.facade_points_m[3].second, 54);
  EXPECT_EQ(t->masks.size(), 1u);
  EXPECT_DOUBLE_EQ(t->column_width_m, 3.2);
  EXPECT_EQ(t->analysis_scale, 2);
  EXPECT_DOUBLE_EQ(t->emergency_confidence, 0.55);
  EXPECT_TRUE(c.stabilise);
  EXPECT_EQ(r.config->vision.evidence_dir, "/var/lib/shaobing/vision");
  EXPECT_DOUBLE_EQ(r.config->vision.clip_pre_s, 5);
  EXPECT_DOUBLE_EQ(r.config->vision.clip_post_s, 5);
  EXPECT_EQ(r.config->findCamera("b3-east"), &c);
  EXPECT_EQ(r.config->findCamera("nope"), nullptr);
}

TEST(CameraConfigTest, ThreeImagePointsAreAnErrorWithItsLine) {
  std::string text = std::string(kBase) + kCamera;
  text.replace(text.find("[[100, 700], "), 13, "[");
  LoadResult r = loadConfigString(text, "cam.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("cam.yaml:10:"), std::string::npos) << messages(r);
  EXPECT_NE(messages(r).find("cameras[0].thrown_object.calibration.image_points"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, CollinearCalibrationPointsAreRejected) {
  std::string text = std::string(kBase) + kCamera;
  text.replace(text.find("[[0, 3], [40, 3], [40, 54], [0, 54]]"), 36, "[[0, 3], [20, 3], [40, 3], [0, 54]]");
  LoadResult r = loadConfigString(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("on one line"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, UrlSourceNeedsAUrlAndTyposAreReported) {
  LoadResult r = loadConfigString(std::string(kBase) +
                                  "cameras:\n  - id: c1\n    source: url\n  - id: c2\n    ofline_after: 5s\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("cameras[0].url: required when source is url"), std::string::npos) << messages(r);
  EXPECT_NE(messages(r).find("ofline_after"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, SeparateDetectAndRecordStreams) {
  const auto cam = [](const std::string& keys) {
    return loadConfigString(std::string(kBase) + "cameras:\n  - id: c1\n    source: url\n" + keys);
  };
  // One stream for both.
  LoadResult one = cam("    url: rtsp://nvr/ch1/main\n");
  ASSERT_TRUE(one.ok()) << messages(one);
  EXPECT_EQ(one.config->cameras[0].analysisUrl(), "rtsp://nvr/ch1/main");
  EXPECT_EQ(one.config->cameras[0].recordUrl(), "");
  // url is the main stream when a sub-stream is analysed.
  LoadResult sub = cam("    url: rtsp://nvr/ch1/main\n    detect_url: rtsp://nvr/ch1/sub\n");
  ASSERT_TRUE(sub.ok()) << messages(sub);
  EXPECT_EQ(sub.config->cameras[0].analysisUrl(), "rtsp://nvr/ch1/sub");
  EXPECT_EQ(sub.config->cameras[0].recordUrl(), "rtsp://nvr/ch1/main");
  LoadResult both = cam("    detect_url: rtsp://nvr/ch1/sub\n    record_url: rtsp://nvr/ch1/main\n");
  ASSERT_TRUE(both.ok()) << messages(both);
  EXPECT_EQ(both.config->cameras[0].analysisUrl(), "rtsp://nvr/ch1/sub");
  EXPECT_EQ(both.config->cameras[0].recordUrl(), "rtsp://nvr/ch1/main");
  LoadResult rec = cam("    url: rtsp://nvr/ch1/sub\n    record_url: rtsp://nvr/ch1/main\n");
  ASSERT_TRUE(rec.ok()) << messages(rec);
  EXPECT_EQ(rec.config->cameras[0].analysisUrl(), "rtsp://nvr/ch1/sub");
  EXPECT_EQ(rec.config->cameras[0].recordUrl(), "rtsp://nvr/ch1/main");
  // Mistakes say what to do.
  LoadResult lone = cam("    detect_url: rtsp://nvr/ch1/sub\n");
  ASSERT_FALSE(lone.ok());
  EXPECT_NE(messages(lone).find("cameras[0].detect_url: a sub-stream for detection needs the main stream too"),
            std::string::npos)
      << messages(lone);
  LoadResult three = cam("    url: a\n    detect_url: b\n    record_url: c\n");
  ASSERT_FALSE(three.ok());
  EXPECT_NE(messages(three).find("cameras[0].url: not used"), std::string::npos) << messages(three);
  LoadResult mqtt = loadConfigString(std::string(kBase) + "cameras:\n  - id: c1\n    record_url: rtsp://x\n");
  ASSERT_FALSE(mqtt.ok());
  EXPECT_NE(messages(mqtt).find("cameras[0].record_url: only used with source: url"), std::string::npos)
      << messages(mqtt);
}

TEST(CameraConfigTest, CameraIdsMustNotCollideWithDevices) {
  LoadResult r = loadConfigString(std::string(kBase) +
                                  "devices:\n  - {id: gate, kind: access}\ncameras:\n  - id: gate\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("already used"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, ThrownObjectUsesTheCamerasCalibrationAndMasks) {
  LoadResult r = loadConfigString(std::string(kBase) + R"(
cameras:
  - id: b3-east
    stabilise: false
    calibration:
      image_points: [[100, 700], [1180, 690], [1100, 60], [180, 70]]
      facade_points_m: [[0, 3], [40, 3], [40, 54], [0, 54]]
      floors: 18
    masks: [[[0, 0], [40, 0], [40, 40]]]
    thrown_object:
      masks: [[[10, 10], [50, 10], [50, 50]]]
      emergency_confidence: 0.7
      priority_confidence: 0.5
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const CameraConfig& c = r.config->cameras[0];
  EXPECT_FALSE(c.stabilise);
  ASSERT_TRUE(c.calibration);
  const auto* t = c.detector<vision::ThrownObjectConfig>("thrown_object");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->calibration.floors, 18);
  EXPECT_DOUBLE_EQ(t->calibration.image_points[1].first, 1180);
  EXPECT_EQ(t->masks.size(), 2u);  // the camera's and its own
  EXPECT_DOUBLE_EQ(t->emergency_confidence, 0.7);
  EXPECT_DOUBLE_EQ(t->priority_confidence, 0.5);
}

TEST(CameraConfigTest, ThrownObjectWithoutAnyCalibrationIsAnError) {
  LoadResult r = loadConfigString(std::string(kBase) + "cameras:\n  - id: c1\n    thrown_object: {min_floor: 3}\n",
                                  "cam.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("cam.yaml:4:"), std::string::npos) << messages(r);
  EXPECT_NE(messages(r).find("cameras[0].thrown_object.calibration: required"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, PriorityThresholdAboveEmergencyIsAnError) {
  std::string text = std::string(kBase) + kCamera + "      emergency_confidence: 0.5\n      priority_confidence: 0.6\n";
  LoadResult r = loadConfigString(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("priority_confidence: must not exceed emergency_confidence"), std::string::npos)
      << messages(r);
}

TEST(CameraConfigTest, UnknownDetectorSectionIsATypo) {
  LoadResult r = loadConfigString(std::string(kBase) + "cameras:\n  - id: c1\n    thrown_objects: {}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(messages(r).find("thrown_objects"), std::string::npos) << messages(r);
}

TEST(CameraConfigTest, VisionSectionSetsEvidenceRetention) {
  LoadResult r = loadConfigString(std::string(kBase) +
                                  "vision: {evidence_dir: /data/ev, evidence_max_total: 10GiB, clip_pre: 3s, clip_post: 8s}\n");
  ASSERT_TRUE(r.ok()) << messages(r);
  EXPECT_EQ(r.config->vision.evidence_dir, "/data/ev");
  EXPECT_EQ(r.config->vision.evidence_max_bytes, 10LL << 30);
  EXPECT_DOUBLE_EQ(r.config->vision.clip_pre_s, 3);
  EXPECT_DOUBLE_EQ(r.config->vision.clip_post_s, 8);
  EXPECT_EQ(r.config->vision.clip_format, "mp4");
  EXPECT_EQ(r.config->vision.clip_crf, 27);
}

TEST(CameraConfigTest, ClipFormatIsMp4OrAviAndItsQualityBounded) {
  LoadResult avi = loadConfigString(std::string(kBase) + "vision: {clip_format: avi, clip_crf: 20}\n");
  ASSERT_TRUE(avi.ok()) << messages(avi);
  EXPECT_EQ(avi.config->vision.clip_format, "avi");
  EXPECT_EQ(avi.config->vision.clip_crf, 20);
  LoadResult bad = loadConfigString(std::string(kBase) + "vision:\n  clip_format: mkv\n  clip_crf: 60\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(messages(bad).find("clip_format"), std::string::npos) << messages(bad);
  EXPECT_NE(messages(bad).find("mkv"), std::string::npos) << messages(bad);
  EXPECT_NE(messages(bad).find("clip_crf"), std::string::npos) << messages(bad);
}

}  // namespace
}  // namespace shaobing::config
