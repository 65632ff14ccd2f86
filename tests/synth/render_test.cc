// Rendered frames: determinism, agreement with the calibration, visible objects.
#include "vision/synth/render.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace shaobing::vision::synth {
namespace {

uint64_t fnv1a(const std::vector<uchar>& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (uchar b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

uint64_t jpegHash(const cv::Mat& frame) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", frame, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80});
  return fnv1a(jpeg);
}

SceneRecipe busyRecipe(bool night) {
  SceneRecipe r;
  r.name = "render";
  r.seed = 42;
  r.night = night;
  r.events = 2;
  r.distractors = {Distractor::Birds, Distractor::Rain,  Distractor::Leaves, Distractor::Shake,
                   Distractor::Noise, Distractor::Insect, Distractor::Exposure, Distractor::Pedestrians};
  return r;
}

double luminance(const cv::Mat& img, cv::Point2d p) {
  const cv::Vec3b c = img.at<cv::Vec3b>(cvRound(p.y), cvRound(p.x));
  return (c[0] + c[1] + c[2]) / 3.0;
}

double luminance(const cv::Scalar& c) { return (c[0] + c[1] + c[2]) / 3.0; }

TEST(SceneRendering, SameSeedGivesIdenticalFrames) {
  const Scene a = makeScene(busyRecipe(false)), b = makeScene(busyRecipe(false));
  const SceneRenderer ra(a), rb(b);
  for (int frame : {0, 150, a.frame_count - 1}) {
    EXPECT_EQ(jpegHash(ra.render(frame)), jpegHash(rb.render(frame))) << frame;
  }
}

TEST(SceneRendering, RenderingAFrameTwiceGivesTheSameImage) {
  const Scene s = makeScene(busyRecipe(true));
  const SceneRenderer r(s);
  const cv::Mat first = r.render(120);
  r.render(121);
  EXPECT_EQ(cv::norm(first, r.render(120), cv::NORM_INF), 0);
}

TEST(SceneRendering, FramesHaveTheCameraResolution) {
  const Scene s = makeScene(busyRecipe(false));
  const cv::Mat f = SceneRenderer(s).render(0);
  EXPECT_EQ(f.cols, 1280);
  EXPECT_EQ(f.rows, 720);
  EXPECT_EQ(f.type(), CV_8UC3);
}

TEST(SceneRendering, CalibrationPointsLandOnRenderedWindowsAndWall) {
  for (bool night : {false, true}) {
    const Scene s = makeScene(busyRecipe(night));
    const cv::Mat img = SceneRenderer(s, {true, false}).render(0);
    const cv::Matx33d h = calibrationHomography(s.calibration);
    const FacadeLayout& l = s.layout;
    int checked = 0;
    for (int floor : {2, 6, 12, 18}) {
      for (int column = 1; column < l.columns; ++column) {
        if (l.isLoggia(column) || l.isLoggia(column + 1)) continue;
        const double z = l.floorBase(floor) + l.sill_m + l.window_height_m / 2;
        const cv::Scalar expected = s.lit_at_start[floor - 1][column - 1] ? s.window_lit : s.window_dark;
        EXPECT_NEAR(luminance(img, applyHomography(h, {l.columnCentre(column), z})), luminance(expected), 2)
            << "window floor " << floor << " column " << column;
        const double between = l.margin_m + column * l.column_spacing_m;
        EXPECT_NEAR(luminance(img, applyHomography(h, {between, z})), luminance(s.wall), 2)
            << "wall floor " << floor << " right of column " << column;
        ++checked;
      }
    }
    EXPECT_GE(checked, 12);
  }
}

TEST(SceneRendering, ObjectIsVisibleWhereTheGroundTruthSaysAndNowhereElse) {
  for (bool night : {false, true}) {
    SceneRecipe recipe = busyRecipe(night);
    recipe.small_weight = recipe.medium_weight = 0;  // 20-50 cm
    const Scene s = makeScene(recipe);
    const nlohmann::json gt = groundTruth(s, "cam");
    const SceneRenderer with(s, {true, false}), without(s, {false, false});
    for (const auto& e : gt["events"]) {
      const auto& track = e["track"];
      const auto& mid = track[track.size() / 2];
      const int frame = mid[0].get<int>();
      const cv::Point2d at(mid[1].get<double>(), mid[2].get<double>());
      cv::Mat diff;
      cv::absdiff(with.render(frame), without.render(frame), diff);
      cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
      cv::Mat near = cv::Mat::zeros(diff.size(), CV_8U);
      cv::circle(near, cv::Point(cvRound(at.x), cvRound(at.y)), 12, 255, -1);
      double inside = 0, outside = 0;
      cv::minMaxLoc(diff, nullptr, &inside, nullptr, nullptr, near);
      cv::minMaxLoc(diff, nullptr, &outside, nullptr, nullptr, ~near);
      EXPECT_GT(inside, 10) << "night " << night << " event " << e["id"];
      EXPECT_EQ(outside, 0) << "night " << night << " event " << e["id"];
    }
  }
}

TEST(SceneRendering, SubPixelCapsuleKeepsItsInk) {
  cv::Mat img(20, 20, CV_8UC3, cv::Scalar(200, 200, 200));
  drawCapsule(img, {10.3, 10.6}, {10.3, 10.6}, 0.3, cv::Scalar(0, 0, 0), 1.0);
  const double darkening = (cv::sum(cv::Mat(20, 20, CV_8UC3, cv::Scalar(200, 200, 200)))[0] - cv::sum(img)[0]) / 200;
  // Coverage of a disc of radius 0.3 px is π·0.09 ≈ 0.28 px.
  EXPECT_NEAR(darkening, CV_PI * 0.09, 0.08);
}

}  // namespace
}  // namespace shaobing::vision::synth
