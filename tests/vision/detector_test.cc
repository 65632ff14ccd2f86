// Trajectory judgement on synthetic tracks, and the whole detector on rendered
// facade scenes (real frames: facade, windows, noise, a falling object).
#include "vision/detectors/thrown_object/fall_detector.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <functional>

#include "vision/synth/render.h"
#include "vision/synth/scene.h"

namespace shaobing::vision {
namespace {

// A facade seen straight on at 20 px/m: 40 m wide, 18 floors of 3 m.
ThrownObjectConfig flatFacade() {
  ThrownObjectConfig t;
  t.calibration.image_points = {{{0, 1200}, {800, 1200}, {800, 120}, {0, 120}}};
  t.calibration.facade_points_m = {{{0, 0}, {40, 0}, {40, 54}, {0, 54}}};
  t.calibration.floor_height_m = 3.0;
  t.calibration.floors = 18;
  return t;
}

// Samples a motion (x(t), z(t)) at 25 fps from t0 to t1 seconds after release.
std::vector<TrackPoint> sample(const Facade& f, double t0, double t1,
                               const std::function<cv::Point2d(double)>& motion) {
  std::vector<TrackPoint> out;
  for (double t = t0; t <= t1 + 1e-9; t += 0.04) {
    const cv::Point2d m = motion(t);
    out.push_back({100 + t, f.toImage(m), m, 4});
  }
  return out;
}

TEST(JudgeTrackTest, FreeFallIsTracedBackToItsFloorEvenWhenSeenLate) {
  Facade f(flatFacade().facade());
  const double z0 = 27 + 1.1;  // floor 10 sill height
  // First seen 0.3 s after release, already falling.
  auto pts = sample(f, 0.3, 1.2, [&](double t) { return cv::Point2d(12.0 + 0.5 * t, z0 - 0.5 * 9.81 * t * t); });
  Judgement j = judgeTrack(pts, f, {}, 2, false);
  ASSERT_TRUE(j.ok) << j.reason;
  EXPECT_TRUE(j.decision.heavy);
  EXPECT_EQ(j.decision.floor, 10);
  EXPECT_LE(j.decision.floor_lo, 10);
  EXPECT_GE(j.decision.floor_hi, 10);
  EXPECT_NEAR(j.decision.release_time, 100.0, 0.08);
  EXPECT_NEAR(j.decision.release_height_m, z0, 0.3);
  EXPECT_NEAR(j.decision.facade_x_m, 12.0, 0.3);
  EXPECT_NEAR(j.decision.acceleration_mps2, 9.81, 1.0);
  EXPECT_GT(j.decision.confidence, 0.5);
  ASSERT_FALSE(j.decision.fitted_path.empty());
  // The fitted path starts at the release point.
  EXPECT_NEAR(cv::norm(j.decision.fitted_path.front() - f.toImage({12.0, z0})), 0, 8);
}

TEST(JudgeTrackTest, LightObjectFallingSteadilyIsAcceptedAsASteadyFall) {
  Facade f(flatFacade().facade());
  const double vt = 3.0, z0 = 15 + 1.0;  // floor 6
  auto drop = [&](double t) { return vt * vt / 9.81 * std::log(std::cosh(9.81 * t / vt)); };
  auto pts = sample(f, 0.12, 1.6, [&](double t) { return cv::Point2d(20 + 0.2 * std::sin(2 * t), z0 - drop(t)); });
  Judgement j = judgeTrack(pts, f, {}, 2, false);
  ASSERT_TRUE(j.ok) << j.reason;
  EXPECT_FALSE(j.decision.heavy);
  EXPECT_NEAR(j.decision.floor, 6, 1);
  EXPECT_NEAR(j.decision.release_time, 100.0, 0.3);
}

TEST(JudgeTrackTest, SlowStraightFallOfALargeObjectIsOnlySuspectedAndLeafLikeOnesAreRejected) {
  Facade f(flatFacade().facade());
  // A bag at its terminal speed of 1.6 m/s (below min_steady_mps), seen for 2 s.
  auto bag = sample(f, 1.0, 3.0, [](double t) { return cv::Point2d(18 + 0.02 * t, 30 - 1.6 * t); });
  auto withArea = [](std::vector<TrackPoint> pts, double area) {
    for (auto& q : pts) q.area_px = area;
    return pts;
  };
  // 28 px at 20 px/m: a disc of 0.30 m.
  Judgement j = judgeTrack(withArea(bag, 28), f, {}, 2, true);
  ASSERT_TRUE(j.ok) << j.reason;
  EXPECT_TRUE(j.decision.slow);
  EXPECT_FALSE(j.decision.heavy);
  // The same fall by something leaf-sized (3 px: 0.10 m) is not taken.
  Judgement small = judgeTrack(withArea(bag, 3), f, {}, 2, true);
  EXPECT_FALSE(small.ok);
  EXPECT_EQ(small.reason, "too slow or decelerating");
  // Nor a large one that sways like a leaf (0.4 m either side).
  auto sway = sample(f, 1.0, 3.0, [](double t) { return cv::Point2d(18 + 0.4 * std::sin(2 * M_PI * 0.6 * t), 30 - 1.6 * t); });
  EXPECT_FALSE(judgeTrack(withArea(sway, 28), f, {}, 2, true).ok);
  // Disabled (min_slow_mps 0): not taken.
  DetectorParams off;
  off.min_slow_mps = 0;
  EXPECT_FALSE(judgeTrack(withArea(bag, 28), f, off, 2, true).ok);
  // Faster than min_steady_mps it is an ordinary steady fall, not a slow one.
  auto quick = sample(f, 1.0, 2.5, [](double t) { return cv::Point2d(18, 40 - 3.0 * t); });
  Judgement q = judgeTrack(withArea(quick, 28), f, {}, 2, true);
  ASSERT_TRUE(q.ok) << q.reason;
  EXPECT_FALSE(q.decision.slow);
}

TEST(JudgeTrackTest, BirdsLeavesAndRisingThingsAreRejected) {
  Facade f(flatFacade().facade());
  // A bird diving at 4 m/s while flying sideways at 8 m/s.
  auto bird = sample(f, 0, 1.0, [](double t) { return cv::Point2d(5 + 8 * t, 30 - 4 * t); });
  Judgement jb = judgeTrack(bird, f, {}, 2, false);
  EXPECT_FALSE(jb.ok);
  EXPECT_EQ(jb.reason, "moves sideways");
  // A leaf swaying 1 m either side while sinking at 1.2 m/s.
  auto leaf = sample(f, 0, 3.0, [](double t) { return cv::Point2d(15 + 1.0 * std::sin(2 * M_PI * 0.5 * t), 12 - 1.2 * t); });
  Judgement jl = judgeTrack(leaf, f, {}, 2, true);
  EXPECT_FALSE(jl.ok);
  EXPECT_EQ(jl.reason, "sways");
  // Something rising.
  auto up = sample(f, 0, 1.0, [](double t) { return cv::Point2d(15, 10 + 3 * t); });
  EXPECT_FALSE(judgeTrack(up, f, {}, 2, true).ok);
  // A gliding descent of 0.6 m/s.
  auto glide = sample(f, 0, 4.0, [](double t) { return cv::Point2d(15 + 0.3 * t, 20 - 0.6 * t); });
  EXPECT_FALSE(judgeTrack(glide, f, {}, 2, true).ok);
  // Faster than gravity (e.g. a streak mistaken for an object).
  auto fast = sample(f, 0, 0.6, [](double t) { return cv::Point2d(15, 40 - 20 * t * t); });
  EXPECT_FALSE(judgeTrack(fast, f, {}, 2, false).ok);
}

TEST(JudgeTrackTest, InRainAShortTrackNeedsMorePoints) {
  Facade f(flatFacade().facade());
  // Nine frames of a free fall from floor 10, picked up 0.5 s after release.
  auto pts = sample(f, 0.5, 0.82, [](double t) { return cv::Point2d(12.0, 28.1 - 0.5 * 9.81 * t * t); });
  ASSERT_EQ(pts.size(), 9u);
  Judgement dry = judgeTrack(pts, f, {}, 2, true);
  ASSERT_TRUE(dry.ok) << dry.reason;
  for (auto& q : pts) q.in_rain = true;
  Judgement wet = judgeTrack(pts, f, {}, 2, true);
  EXPECT_FALSE(wet.ok);
  EXPECT_EQ(wet.reason, "too short");
}

TEST(JudgeTrackTest, FallsFromBelowTheMinimumFloorDoNotWhistle) {
  Facade f(flatFacade().facade());
  auto pts = sample(f, 0.1, 1.0, [](double t) { return cv::Point2d(10, 7.1 - 4.9 * t * t); });  // floor 3
  Judgement low = judgeTrack(pts, f, {}, 5, true);
  EXPECT_FALSE(low.ok);
  EXPECT_EQ(low.reason, "starts below floor 5");
  EXPECT_TRUE(judgeTrack(pts, f, {}, 2, true).ok);
}

ThrownObjectConfig fromScene(const synth::Scene& s) {
  ThrownObjectConfig t;
  for (int i = 0; i < 4; ++i) {
    t.calibration.image_points[i] = {s.calibration.image_points[i].x, s.calibration.image_points[i].y};
    t.calibration.facade_points_m[i] = {s.calibration.facade_points_m[i].x, s.calibration.facade_points_m[i].y};
  }
  t.calibration.floor_height_m = s.calibration.floor_height_m;
  t.calibration.floors = s.calibration.floors;
  return t;
}

std::vector<FallDecision> runScene(const synth::Scene& scene) {
  FallDetector det(fromScene(scene), {scene.pose.width, scene.pose.height});
  synth::SceneRenderer renderer(scene);
  std::vector<FallDecision> out;
  cv::Mat gray;
  for (int i = 0; i < scene.frame_count; ++i) {
    cv::cvtColor(renderer.render(i), gray, cv::COLOR_BGR2GRAY);
    for (auto& d : det.process(gray, i / scene.fps)) out.push_back(d);
  }
  for (auto& d : det.flush(scene.frame_count / scene.fps)) out.push_back(d);
  return out;
}

TEST(FallDetectorTest, RenderedDropsAreFoundOnTheirFloorsSoonAfterRelease) {
  const synth::Scene scene = synth::makeScene(synth::plainDrops("unit", 4242, 2));
  const auto decisions = runScene(scene);
  ASSERT_EQ(decisions.size(), scene.events.size());
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    const auto& e = scene.events[i];
    EXPECT_NEAR(d.floor, e.floor, 1) << "event " << i;
    EXPECT_NEAR(d.release_time, e.release_time_s, 0.3);
    EXPECT_NEAR(d.facade_x_m, e.motion.release.x, 2.5);
    EXPECT_GT(d.decided_at, e.release_time_s);
    EXPECT_LT(d.decided_at, e.release_time_s + 1.5);
  }
}

TEST(FallDetectorTest, DistractorsAloneRaiseNothing) {
  synth::SceneRecipe r;
  r.name = "unit-distractors";
  r.seed = 77;
  r.duration_s = 20;
  r.distractors = {synth::Distractor::Noise, synth::Distractor::Birds, synth::Distractor::Leaves,
                   synth::Distractor::WindowLights, synth::Distractor::Exposure, synth::Distractor::Insect};
  const synth::Scene scene = synth::makeScene(r);
  EXPECT_TRUE(runScene(scene).empty());
}

// A light object (a bag) starts in free fall and is judged on that part; then it
// falls at its terminal speed, out of sight for a while (frames lost), and is
// found again well above where free fall would have put it. One fall, one decision.
TEST(FallDetectorTest, LightObjectFoundAgainAfterAGapIsTheSameFall) {
  synth::Scene scene = synth::makeScene(synth::plainDrops("unit-gap", 4243, 1));
  ASSERT_EQ(scene.events.size(), 1u);
  synth::ThrownEvent& e = scene.events[0];
  e.floor = 12;
  e.motion.release.z = 12 * scene.calibration.floor_height_m - 1.0;
  e.motion.heavy = false;
  e.motion.terminal_mps = 4.5;
  e.motion.vz = 0;
  FallDetector det(fromScene(scene), {scene.pose.width, scene.pose.height});
  synth::SceneRenderer renderer(scene);
  std::vector<FallDecision> out;
  cv::Mat gray;
  const double gap_from = e.release_time_s + 0.9, gap_to = e.release_time_s + 3.0;
  for (int i = 0; i < scene.frame_count; ++i) {
    const double t = i / scene.fps;
    if (t >= gap_from && t < gap_to) continue;
    cv::cvtColor(renderer.render(i), gray, cv::COLOR_BGR2GRAY);
    for (auto& d : det.process(gray, t)) out.push_back(d);
  }
  for (auto& d : det.flush(scene.frame_count / scene.fps)) out.push_back(d);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].floor, e.floor, 1);
  EXPECT_GE(det.stats().duplicates, 1);  // the later tracks, folded into the first
}

// Rain: hundreds of thin bright streaks on every frame, and a dark object of
// modest contrast (25 grey levels) falling from floor 14.
std::vector<FallDecision> runRain(const DetectorParams& params, DetectorStats* stats) {
  FallDetector det(flatFacade(), {800, 1300}, params);
  const Facade f(flatFacade().facade());
  cv::RNG rng(7);
  std::vector<FallDecision> out;
  const double release = 2.0, z0 = 40.0, x0 = 20.0;
  for (int i = 0; i < 130; ++i) {
    const double t = i / 25.0;
    cv::Mat g(1300, 800, CV_8UC1, cv::Scalar(150));
    for (int k = 0; k < 300; ++k) {
      const int x = rng.uniform(0, 800), y = rng.uniform(0, 1280);
      cv::line(g, {x, y}, {x, y + 7}, cv::Scalar(215), 1);
    }
    const double dt = t - release, z = z0 - 0.5 * 9.81 * dt * dt;
    if (dt >= 0 && z > 0) cv::circle(g, f.toImage({x0, z}), 3, cv::Scalar(125), cv::FILLED, cv::LINE_AA);
    for (auto& d : det.process(g, t)) out.push_back(d);
  }
  for (auto& d : det.flush(130 / 25.0)) out.push_back(d);
  *stats = det.stats();
  return out;
}

TEST(FallDetectorTest, RainStreaksDoNotRaiseTheThresholdOverAFallingObject) {
  DetectorStats st;
  const auto out = runRain({}, &st);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].floor, 14, 1);
  EXPECT_TRUE(out[0].heavy);
  // Control: when the streaks count as clutter (no rain handling), the noise
  // threshold climbs above the object's contrast and the fall is lost.
  DetectorParams no_rain;
  no_rain.rain_thin_blobs = 1000000;
  EXPECT_TRUE(runRain(no_rain, &st).empty()) << st.blobs << " blobs, " << st.disturbed_frames << " disturbed, sigma " << st.noise_sigma;
}

TEST(FallDetectorTest, FramesOfTheWrongSizeAreIgnored) {
  FallDetector det(flatFacade(), {800, 1300});
  cv::Mat wrong(100, 100, CV_8UC1, cv::Scalar(50));
  EXPECT_TRUE(det.process(wrong, 1.0).empty());
  EXPECT_EQ(det.stats().frames, 1);
}

}  // namespace
}  // namespace shaobing::vision
