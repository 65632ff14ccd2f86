// Fall motion of a dropped or thrown object: heavy objects in free fall, light ones
// with quadratic drag (terminal velocity reached within about a second).
#pragma once

#include "vision/synth/geometry.h"

namespace shaobing::vision::synth {

inline constexpr double kGravity = 9.81;

struct FallMotion {
  WorldPoint release;         // where the object leaves the hand
  double vx = 0;              // horizontal throw along the facade, m/s
  double vd = 0;              // horizontal throw away from the facade, m/s
  double vz = 0;              // initial vertical velocity (heavy objects only), m/s
  bool heavy = true;
  double terminal_mps = 0;    // light objects: terminal fall speed
  double sway_m = 0;          // light objects: amplitude of side-to-side sway
  double sway_hz = 0;

  // Position t seconds after release (t ≥ 0; the object stays on the ground after landing).
  WorldPoint at(double t) const;
  // Seconds from release until the object reaches the ground (z = 0).
  double fallDuration() const;
};

}  // namespace shaobing::vision::synth
