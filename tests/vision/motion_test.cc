// Global motion estimation: known shifts, rolls, rolling-shutter shear and
// oscillation of a rendered facade frame are recovered; blur and featureless
// frames are unreliable.
#include "vision/camera/motion.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "vision/synth/render.h"
#include "vision/synth/scene.h"

namespace shaobing::vision {
namespace {

// A facade frame (grayscale, 1280×720) from the scene generator, no noise.
cv::Mat facadeFrame(uint64_t seed = 5) {
  synth::SceneRecipe r;
  r.seed = seed;
  r.duration_s = 2;
  const synth::Scene scene = synth::makeScene(r);
  synth::SceneRenderer renderer(scene, {});
  cv::Mat bgr = renderer.render(0), gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

// The frame as a camera displaced by `m` (reference → frame map) would see it.
cv::Mat moved(const cv::Mat& frame, const cv::Matx23d& m) {
  cv::Mat out;
  cv::warpAffine(frame, out, m, frame.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

cv::Point2d apply(const cv::Matx23d& m, cv::Point2d p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

// Largest distance between where two maps send the frame's corners and centre.
double mapError(const cv::Matx23d& a, const cv::Matx23d& b, cv::Size size) {
  double worst = 0;
  for (cv::Point2d p : {cv::Point2d(0, 0), cv::Point2d(size.width, 0), cv::Point2d(0, size.height),
                        cv::Point2d(size.width, size.height), cv::Point2d(size.width / 2.0, size.height / 2.0)}) {
    worst = std::max(worst, cv::norm(apply(a, p) - apply(b, p)));
  }
  return worst;
}

TEST(MotionEstimatorTest, FirstFrameIsTheReferenceAndHasNoMotion) {
  MotionEstimator est;
  const GlobalMotion m = est.estimate(facadeFrame(), 0);
  EXPECT_TRUE(m.reliable);
  EXPECT_FALSE(m.moved);
  EXPECT_EQ(m.shift_px, 0);
}

TEST(MotionEstimatorTest, StillCameraIsNotMoved) {
  MotionEstimator est;
  const cv::Mat f = facadeFrame();
  est.estimate(f, 0);
  const GlobalMotion m = est.estimate(f, 0.04);
  EXPECT_TRUE(m.reliable) << m.why;
  EXPECT_FALSE(m.moved);
  EXPECT_LT(m.shift_px, 0.25);
}

// Once tracking, a still camera needs one translation step and one affine step
// per frame: the linear terms join as soon as the translation is within a pixel.
TEST(MotionEstimatorTest, StillCameraCostsTwoRefinementStepsPerFrame) {
  MotionEstimator est;
  const cv::Mat f = facadeFrame();
  cv::Mat noisy;
  for (int i = 0; i < 12; ++i) {
    noisy = f.clone();
    cv::Mat noise(f.size(), CV_8S);
    cv::theRNG().state = 100 + i;
    cv::randn(noise, 0, 2);
    cv::add(noisy, noise, noisy, cv::noArray(), CV_8U);
    const GlobalMotion m = est.estimate(noisy, i * 0.04);
    ASSERT_TRUE(m.reliable) << m.why;
    EXPECT_FALSE(m.moved);
  }
  const long before = est.stats().steps;
  for (int i = 12; i < 22; ++i) est.estimate(noisy, i * 0.04);
  EXPECT_EQ(est.stats().steps - before, 20);
  EXPECT_EQ(est.stats().searched, 1);  // the first frame after the reference only
}

TEST(MotionEstimatorTest, SubPixelTranslationsAreRecovered) {
  const cv::Mat f = facadeFrame();
  for (cv::Point2d shift : {cv::Point2d(3.4, -1.7), cv::Point2d(-5.8, 2.3), cv::Point2d(0.6, 0.0), cv::Point2d(-1.2, 5.9)}) {
    MotionEstimator est;
    est.estimate(f, 0);
    const cv::Matx23d truth(1, 0, shift.x, 0, 1, shift.y);
    const GlobalMotion m = est.estimate(moved(f, truth), 0.04);
    ASSERT_TRUE(m.reliable) << m.why;
    EXPECT_TRUE(m.moved);
    EXPECT_LT(mapError(m.warp, truth, f.size()), 0.4) << "shift " << shift;
    EXPECT_NEAR(m.shift_px, cv::norm(shift), 0.4);
  }
}

TEST(MotionEstimatorTest, SmallRollAboutTheCentreIsRecovered) {
  const cv::Mat f = facadeFrame();
  MotionEstimator est;
  est.estimate(f, 0);
  const cv::Matx23d truth = cv::getRotationMatrix2D({f.cols / 2.0f, f.rows / 2.0f}, 0.25, 1.0);
  const GlobalMotion m = est.estimate(moved(f, truth), 0.04);
  ASSERT_TRUE(m.reliable) << m.why;
  // 0.25 degrees moves the corners by about 3 px.
  EXPECT_GT(m.shift_px, 2.0);
  EXPECT_LT(mapError(m.warp, truth, f.size()), 0.6);
}

TEST(MotionEstimatorTest, StabilisedFrameMatchesTheReference) {
  const cv::Mat f = facadeFrame();
  MotionEstimator est;
  est.estimate(f, 0);
  const cv::Matx23d truth(1, 0.002, 4.3, -0.002, 1, -2.8);
  const cv::Mat shaken = moved(f, truth);
  const GlobalMotion m = est.estimate(shaken, 0.04);
  ASSERT_TRUE(m.reliable) << m.why;
  const cv::Rect inner(40, 40, f.cols - 80, f.rows - 80);
  cv::Mat back, before, after;
  stabilise(shaken, m, inner, back);
  cv::absdiff(shaken(inner), f(inner), before);
  cv::absdiff(back, f(inner), after);
  // Shaken, window edges differ by tens of grey levels; stabilised, by about one.
  EXPECT_GT(cv::mean(before)[0], 4 * cv::mean(after)[0]);
  EXPECT_LT(cv::mean(after)[0], 1.5);
}

// Sway slow enough to extrapolate and shake too fast for it (10 Hz at 25 fps moves
// the picture back before the next frame): both are followed frame by frame, and
// the fast shake is not searched from scratch on every frame.
TEST(MotionEstimatorTest, SlowSwayAndFastShakeAreFollowed) {
  const cv::Mat f = facadeFrame();
  for (double hz : {0.8, 10.0}) {
    MotionEstimator est;
    est.estimate(f, 0);
    for (int i = 1; i <= 40; ++i) {
      const double t = i / 25.0;
      const double a = hz < 5 ? 4.5 : 2.0;  // px
      const cv::Matx23d truth(1, 0, a * std::sin(2 * CV_PI * hz * t), 0, 1, 0.7 * a * (std::cos(2 * CV_PI * hz * t) - 1));
      const GlobalMotion m = est.estimate(moved(f, truth), t);
      ASSERT_TRUE(m.reliable) << hz << " Hz, frame " << i << ": " << m.why;
      EXPECT_LT(mapError(m.warp, truth, f.size()), 0.4) << hz << " Hz, frame " << i;
    }
    EXPECT_LE(est.stats().searched, 3) << hz << " Hz";
  }
}

TEST(MotionEstimatorTest, BlurredFrameIsUnreliable) {
  const cv::Mat f = facadeFrame();
  MotionEstimator est;
  est.estimate(f, 0);
  cv::Mat blurred;
  cv::blur(f, blurred, {25, 1});  // a fast horizontal jolt during the exposure
  const GlobalMotion m = est.estimate(blurred, 0.04);
  EXPECT_FALSE(m.reliable);
}

TEST(MotionEstimatorTest, FeaturelessFrameIsUnreliable) {
  cv::Mat flat(720, 1280, CV_8UC1, cv::Scalar(90));
  MotionEstimator est;
  est.estimate(flat, 0);
  const GlobalMotion m = est.estimate(flat, 0.04);
  EXPECT_FALSE(m.reliable);
  EXPECT_STREQ(m.why, "too few textured tiles");
}

TEST(MotionEstimatorTest, CameraMovedForGoodGetsANewReference) {
  const cv::Mat f = facadeFrame();
  MotionParams p;
  p.max_shift_px = 10;
  p.rebase_after_s = 1.0;
  MotionEstimator est(p);
  est.estimate(f, 0);
  // Turned by 30 px and left there.
  const cv::Mat turned = moved(f, cv::Matx23d(1, 0, 30, 0, 1, 0));
  bool rebased = false;
  for (int i = 1; i <= 40 && !rebased; ++i) {
    const GlobalMotion m = est.estimate(turned, i * 0.04);
    rebased = m.rebased;
    if (!rebased) {
      EXPECT_FALSE(m.reliable);
    }
  }
  ASSERT_TRUE(rebased);
  const GlobalMotion after = est.estimate(turned, 2.0);
  EXPECT_TRUE(after.reliable) << after.why;
  EXPECT_FALSE(after.moved);
}

}  // namespace
}  // namespace shaobing::vision
