// A camera's pipeline: frames decoded once per form, the detector registry, the
// camera's motion handed to its detectors, and the whistle level following the
// decision's confidence — on rendered facade scenes.
#include "vision/camera/pipeline.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "config/config.h"
#include "tests/support/temp_dir.h"
#include "vision/detectors/registry.h"
#include "vision/synth/render.h"
#include "vision/synth/scene.h"

namespace shaobing::vision {
namespace {

using testing::TempDir;

std::shared_ptr<const std::string> encode(const cv::Mat& bgr, int quality = 85) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::make_shared<const std::string>(buf.begin(), buf.end());
}

// The scene's camera entry (as an installer would write it) with `extra` lines
// appended to its thrown_object subtree.
config::Config configFor(const synth::Scene& scene, const TempDir& dir, const std::string& extra = "") {
  registerDetectors();
  std::string camera = synth::cameraConfigYaml(scene, "cam");
  if (!extra.empty()) {
    const size_t at = camera.find("    thrown_object:\n") + std::string("    thrown_object:\n").size();
    camera.insert(at, extra);
  }
  config::LoadResult r = config::loadConfigString("site: {id: t}\nstate_dir: " + dir.file("state") + "\n" + camera);
  EXPECT_TRUE(r.ok()) << (r.messages().empty() ? "" : r.messages()[0]);
  return *r.config;
}

std::vector<Finding> run(const synth::Scene& scene, const config::Config& cfg, CameraPipeline* pipeline = nullptr) {
  PipelineOptions o;
  o.evidence = false;
  CameraPipeline local(cfg, cfg.cameras[0], o);
  CameraPipeline& p = pipeline ? *pipeline : local;
  synth::SceneRenderer renderer(scene);
  std::vector<Finding> out;
  for (int i = 0; i < scene.frame_count; ++i) {
    for (auto& f : p.pushJpeg(encode(renderer.render(i)), i / scene.fps)) out.push_back(std::move(f));
  }
  for (auto& f : p.finish(scene.frame_count / scene.fps)) out.push_back(std::move(f));
  return out;
}

synth::SceneRecipe dropsRecipe(uint64_t seed) { return synth::plainDrops("unit", seed, 2); }

TEST(CameraFrameTest, DecodesEachFormOnceAtItsSize) {
  const cv::Mat bgr(720, 1280, CV_8UC3, cv::Scalar(40, 90, 160));
  CameraFrame f(1.0, encode(bgr), {1280, 720});
  const cv::Mat& half = f.gray(2);
  EXPECT_EQ(half.size(), cv::Size(640, 360));
  EXPECT_EQ(half.type(), CV_8UC1);
  EXPECT_EQ(f.gray(2).data, half.data);  // the same decoded form, not decoded again
  EXPECT_EQ(f.colour(4).size(), cv::Size(320, 180));
  EXPECT_EQ(f.colour(4).type(), CV_8UC3);
  EXPECT_TRUE(f.error().empty());
}

TEST(CameraFrameTest, RawFramesAreConvertedAndResized) {
  const cv::Mat bgr(480, 640, CV_8UC3, cv::Scalar(10, 20, 30));
  CameraFrame f(1.0, bgr);
  EXPECT_EQ(f.fullSize(), cv::Size(640, 480));
  EXPECT_EQ(f.gray(1).size(), cv::Size(640, 480));
  EXPECT_EQ(f.gray(2).size(), cv::Size(320, 240));
}

TEST(CameraFrameTest, UndecodableOrResizedFramesGiveAnEmptyFormAndAReason) {
  CameraFrame garbage(1.0, std::make_shared<const std::string>("\xFF\xD8 not really a JPEG"), {1280, 720});
  EXPECT_TRUE(garbage.gray(1).empty());
  EXPECT_NE(garbage.error().find("not a decodable JPEG"), std::string::npos);
  CameraFrame other(1.0, encode(cv::Mat(240, 320, CV_8UC3, cv::Scalar(0))), {1280, 720});
  EXPECT_TRUE(other.gray(1).empty());
  EXPECT_NE(other.error().find("differs from the camera's"), std::string::npos);
}

TEST(DetectorRegistryTest, ThrownObjectIsRegisteredAndUnknownKeysBuildNothing) {
  bool found = false;
  for (const auto& e : detectorEntries()) found = found || e.key == "thrown_object";
  EXPECT_TRUE(found);
  config::Config cfg;
  config::CameraConfig camera;
  config::DetectorConfig generic;
  EXPECT_EQ(createDetector("no_such_detector", {cfg, camera, generic, {1280, 720}, 0}), nullptr);
}

TEST(MotionRescaleTest, AMapAtFullResolutionDescribesTheSameMotionAtHalf) {
  GlobalMotion full;
  full.warp = cv::Matx23d(1.001, 0.002, 4.0, -0.002, 0.999, -2.0);
  full.shift_px = 4.5;
  const GlobalMotion half = rescaled(full, 1, 2);
  // A reference point at full resolution and its half-resolution pixel must map alike.
  const cv::Point2d q(800, 300);
  const cv::Point2d p_full(full.warp(0, 0) * q.x + full.warp(0, 1) * q.y + full.warp(0, 2),
                           full.warp(1, 0) * q.x + full.warp(1, 1) * q.y + full.warp(1, 2));
  const cv::Point2d qh((q.x + 0.5) / 2 - 0.5, (q.y + 0.5) / 2 - 0.5);
  const cv::Point2d p_half(half.warp(0, 0) * qh.x + half.warp(0, 1) * qh.y + half.warp(0, 2),
                           half.warp(1, 0) * qh.x + half.warp(1, 1) * qh.y + half.warp(1, 2));
  EXPECT_NEAR(p_half.x, (p_full.x + 0.5) / 2 - 0.5, 1e-9);
  EXPECT_NEAR(p_half.y, (p_full.y + 0.5) / 2 - 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(half.shift_px, 2.25);
}

TEST(CameraPipelineTest, DropsUnderStrongShakeAreFoundOnTheirFloors) {
  synth::SceneRecipe r = dropsRecipe(4343);
  r.distractors.insert(synth::Distractor::StrongShake);
  const synth::Scene scene = synth::makeScene(r);
  ASSERT_FALSE(scene.shake.empty());
  TempDir dir;
  const config::Config cfg = configFor(scene, dir);
  PipelineOptions options;
  options.evidence = false;
  CameraPipeline p(cfg, cfg.cameras[0], options);
  const auto findings = run(scene, cfg, &p);
  ASSERT_EQ(findings.size(), scene.events.size());
  for (size_t i = 0; i < findings.size(); ++i) {
    EXPECT_EQ(findings[i].incident.type, "thrown_object");
    EXPECT_NEAR(findings[i].incident.details["floor"].get<int>(), scene.events[i].floor, 1) << "event " << i;
  }
  ASSERT_NE(p.motion(), nullptr);
  EXPECT_GT(p.motion()->stats().moved, scene.frame_count / 4);  // the camera was seen to move
}

TEST(CameraPipelineTest, StrongShakeWithBirdsAndInsectsRaisesNoEmergency) {
  synth::SceneRecipe r;
  r.name = "unit-shake";
  r.seed = 9191;
  r.duration_s = 30;
  r.distractors = {synth::Distractor::Noise, synth::Distractor::StrongShake, synth::Distractor::Birds,
                   synth::Distractor::SparseInsects, synth::Distractor::Exposure};
  const synth::Scene scene = synth::makeScene(r);
  TempDir dir;
  for (const auto& f : run(scene, configFor(scene, dir))) {
    EXPECT_NE(f.incident.level, whistle::Level::kEmergency) << f.incident.details.dump();
  }
}

TEST(CameraPipelineTest, UnstabilisedCameraHasNoMotionEstimator) {
  const synth::Scene scene = synth::makeScene(dropsRecipe(4242));
  TempDir dir;
  config::Config cfg = configFor(scene, dir);
  cfg.cameras[0].stabilise = false;
  PipelineOptions o;
  o.evidence = false;
  CameraPipeline p(cfg, cfg.cameras[0], o);
  EXPECT_EQ(run(scene, cfg, &p).size(), scene.events.size());
  EXPECT_EQ(p.motion(), nullptr);
  EXPECT_EQ(p.detectors()[0]->stats()["stabilised_frames"], 0);
}

TEST(CameraPipelineTest, TheLevelFollowsTheConfiguredConfidenceThresholds) {
  const synth::Scene scene = synth::makeScene(dropsRecipe(4242));
  TempDir dir;
  const auto all = run(scene, configFor(scene, dir, "      emergency_confidence: 0.0\n      priority_confidence: 0.0\n"));
  ASSERT_EQ(all.size(), scene.events.size());
  for (const auto& f : all) EXPECT_EQ(f.incident.level, whistle::Level::kEmergency);
  const auto suspected =
      run(scene, configFor(scene, dir, "      emergency_confidence: 1.0\n      priority_confidence: 0.0\n"));
  ASSERT_EQ(suspected.size(), scene.events.size());
  for (const auto& f : suspected) {
    EXPECT_EQ(f.incident.level, whistle::Level::kPriority);
    EXPECT_EQ(f.incident.details["suspected"], true);
  }
  EXPECT_TRUE(run(scene, configFor(scene, dir, "      emergency_confidence: 1.0\n      priority_confidence: 1.0\n")).empty());
}

}  // namespace
}  // namespace shaobing::vision
