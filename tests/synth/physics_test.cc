// Fall physics of the synthetic thrown objects.
#include "vision/synth/physics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace shaobing::vision::synth {
namespace {

FallMotion dropped(double height) {
  FallMotion m;
  m.release = {10, 0, height};
  return m;
}

FallMotion light(double height, double terminal) {
  FallMotion m = dropped(height);
  m.heavy = false;
  m.terminal_mps = terminal;
  return m;
}

TEST(FallPhysics, HeavyObjectFallsThirtyMetresIn2_47Seconds) {
  EXPECT_NEAR(dropped(30).fallDuration(), 2.473, 0.001);
}

TEST(FallPhysics, HeavyObjectFollowsFreeFall) {
  EXPECT_NEAR(dropped(30).at(1.0).z, 30 - 9.81 / 2, 1e-9);
}

TEST(FallPhysics, UpwardThrowLengthensTheFall) {
  FallMotion m = dropped(30);
  m.vz = 2;
  EXPECT_NEAR(m.fallDuration(), (2 + std::sqrt(4 + 2 * 9.81 * 30)) / 9.81, 1e-9);
  EXPECT_GT(m.fallDuration(), dropped(30).fallDuration());
}

TEST(FallPhysics, ObjectRestsOnTheGroundAfterLanding) {
  FallMotion m = dropped(30);
  EXPECT_NEAR(m.at(m.fallDuration()).z, 0, 1e-9);
  EXPECT_EQ(m.at(m.fallDuration() + 5).z, 0);
}

TEST(FallPhysics, LightObjectReachesNinetyFivePercentOfTerminalVelocityWithinAboutASecond) {
  // 95% of vt is reached after atanh(0.95)·vt/g: 0.19 s at 1 m/s, 1.33 s at 7 m/s.
  for (double vt : {1.0, 3.0, 7.0}) {
    FallMotion m = light(50, vt);
    const double speed = (m.at(1.34).z - m.at(1.36).z) / 0.02;
    EXPECT_GT(speed, 0.95 * vt) << vt;
    EXPECT_LE(speed, vt) << vt;
  }
}

TEST(FallPhysics, LightObjectLandsAtTheComputedTime) {
  FallMotion m = light(40, 2.5);
  EXPECT_NEAR(m.at(m.fallDuration()).z, 0, 1e-6);
  EXPECT_GT(m.at(m.fallDuration() - 0.1).z, 0.2);
  // At terminal velocity the fall takes about height / vt plus the spin-up.
  EXPECT_NEAR(m.fallDuration(), 40 / 2.5, 0.5);
}

TEST(FallPhysics, VeryLongLightFallDoesNotOverflow) {
  FallMotion m = light(54, 1.0);
  EXPECT_NEAR(m.fallDuration(), 54.0 + std::log(2.0) / 9.81, 0.01);
}

TEST(FallPhysics, ThrowMovesTheObjectAlongTheFacade) {
  FallMotion m = dropped(30);
  m.vx = 1.5;
  EXPECT_NEAR(m.at(2.0).x, 13.0, 1e-9);
}

}  // namespace
}  // namespace shaobing::vision::synth
