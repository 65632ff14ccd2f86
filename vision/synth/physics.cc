// Closed-form fall trajectories; light objects follow v(t) = vt·tanh(g·t/vt).
#include "vision/synth/physics.h"

#include <algorithm>
#include <cmath>

namespace shaobing::vision::synth {
namespace {

// Height lost after t seconds by a body with quadratic drag starting at rest.
double dragDrop(double vt, double t) {
  const double a = kGravity * t / vt;
  // log(cosh(a)) without overflow for long falls.
  const double log_cosh = a > 20 ? a - std::log(2.0) : std::log(std::cosh(a));
  return vt * vt / kGravity * log_cosh;
}

}  // namespace

double FallMotion::fallDuration() const {
  const double h = release.z;
  if (h <= 0) return 0;
  if (heavy) {
    // h + vz t - g t²/2 = 0
    return (vz + std::sqrt(vz * vz + 2 * kGravity * h)) / kGravity;
  }
  const double a = h * kGravity / (terminal_mps * terminal_mps);
  // Inverse of dragDrop: cosh(g t / vt) = exp(a).
  const double arg = a > 20 ? a + std::log(2.0) : std::acosh(std::exp(a));
  return arg * terminal_mps / kGravity;
}

WorldPoint FallMotion::at(double t) const {
  t = std::clamp(t, 0.0, fallDuration());
  WorldPoint p = release;
  if (heavy) {
    p.x += vx * t;
    p.d += vd * t;
    p.z += vz * t - 0.5 * kGravity * t * t;
  } else {
    // Horizontal speed decays on the drag time scale; paper sways as it falls.
    const double tau = terminal_mps / kGravity;
    const double drift = tau * (1 - std::exp(-t / tau));
    p.x += vx * drift + sway_m * std::sin(2 * CV_PI * sway_hz * t);
    p.d += vd * drift;
    p.z -= dragDrop(terminal_mps, t);
  }
  p.z = std::max(p.z, 0.0);
  p.d = std::max(p.d, 0.0);
  return p;
}

}  // namespace shaobing::vision::synth
