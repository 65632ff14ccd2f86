// The charger-signature classifier on generated traces: chargers on sockets
// at every reporting interval, a charger behind a quiet household's meter,
// and the loads it must leave alone.
#include "gateway/rules/charging_load/signature.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gateway/rules/charging_load/sim.h"

namespace shaobing::rules::charging {
namespace {

struct Outcome {
  int incidents = 0;
  double first_at = -1;
  Detection first;
  bool ended = false;
};

Outcome run(const std::vector<powersim::Reading>& readings, SignatureParams p = {}) {
  ChargingSignature sig(p);
  Outcome o;
  bool open = false;
  for (const auto& r : readings) {
    auto u = sig.add(r.t_s, r.watts);
    if (u.started && !open) {
      if (++o.incidents == 1) {
        o.first_at = r.t_s;
        o.first = *u.started;
      }
    }
    o.ended |= u.ended;
    open = sig.charging();
  }
  return o;
}

class ChargerOnASocket : public ::testing::TestWithParam<double> {};

TEST_P(ChargerOnASocket, IsRecognisedWithinFifteenMinutesOfThePlugGoingIn) {
  powersim::ChargerSpec spec;
  spec.sample_s = GetParam();
  spec.pack_v = 60;
  spec.amps = 2.5;
  spec.amp_hours = 12;
  spec.length_s = 7 * 3600.0;
  auto tr = powersim::chargerAlone(3, spec);
  Outcome o = run(tr.readings);
  ASSERT_EQ(o.incidents, 1);
  const double start = tr.sessions[0].start_s;
  EXPECT_LE(o.first_at - start, 15 * 60);
  EXPECT_NEAR(o.first.started_at_s, start, spec.sample_s + 1);
  EXPECT_EQ(o.first.phase, "constant_current");
  EXPECT_NEAR(o.first.watts, tr.sessions[0].cc_watts, 0.1 * tr.sessions[0].cc_watts);
  EXPECT_GE(o.first.confidence, 0.5);
  EXPECT_LE(o.first.confidence, 1.0);
  EXPECT_TRUE(o.ended) << "the taper to float ends the session";
}

INSTANTIATE_TEST_SUITE_P(Intervals, ChargerOnASocket, ::testing::Values(1.0, 5.0, 10.0, 30.0, 60.0));

TEST(ChargingSignature, APackPutOnNearlyFullIsRecognisedByItsTaper) {
  powersim::ChargerSpec spec;
  spec.start_soc = 0.93;  // past the knee: constant voltage from the start
  spec.amps = 4;
  auto tr = powersim::chargerAlone(4, spec);
  ASSERT_TRUE(tr.sessions[0].starts_in_cv);
  Outcome o = run(tr.readings);
  ASSERT_EQ(o.incidents, 1);
  EXPECT_EQ(o.first.phase, "constant_voltage");
  EXPECT_LE(o.first_at - tr.sessions[0].start_s, 15 * 60);
}

std::vector<powersim::Reading> levels(const std::vector<std::pair<double, double>>& steps, double every_s) {
  std::vector<powersim::Reading> out;
  double t = 0;
  for (const auto& [watts, seconds] : steps) {
    for (double u = 0; u < seconds; u += every_s, t += every_s) out.push_back({t, watts});
  }
  return out;
}

TEST(ChargingSignature, LoadsOutsideTheChargerRangeAreNotChargers) {
  EXPECT_EQ(run(levels({{0, 600}, {2000, 240}, {0, 600}, {1500, 3600}, {0, 600}}, 10)).incidents, 0);
  EXPECT_EQ(run(levels({{0, 600}, {30, 7200}, {0, 600}}, 10)).incidents, 0);  // a fan
}

TEST(ChargingSignature, AFridgeThatSettlesAfterEachStartIsNotACharger) {
  std::vector<powersim::Reading> r;
  double t = 0;
  for (int cycle = 0; cycle < 10; ++cycle) {
    for (double u = 0; u < 25 * 60; u += 5, t += 5) r.push_back({t, 120 * (1 + 0.35 * std::exp(-u / 150))});
    for (double u = 0; u < 30 * 60; u += 5, t += 5) r.push_back({t, 0});
  }
  Outcome o = run(r);
  EXPECT_EQ(o.incidents, 0);
}

TEST(ChargingSignature, ACompressorsFirstRunIsToldByItsStartTransient) {
  // No history to show it cycles: only the way it starts gives it away.
  std::vector<powersim::Reading> r;
  double t = 0;
  for (double u = 0; u < 600; u += 5, t += 5) r.push_back({t, 0});
  for (double u = 0; u < 50 * 60; u += 5, t += 5) r.push_back({t, 150 * (1 + 0.15 * std::exp(-u / 40))});
  EXPECT_EQ(run(r).incidents, 0);
  SignatureParams without;
  without.max_start_overshoot = 10;  // the cue off: the same run passes as a charger
  EXPECT_EQ(run(r, without).incidents, 1);
}

TEST(ChargingSignature, AnApplianceThatCyclesAtOneSizeIsNotACharger) {
  // A resistive load on a thermostat: flat while on, so only its cycling tells.
  std::vector<std::pair<double, double>> steps = {{0, 1800}};
  for (int i = 0; i < 8; ++i) {
    steps.push_back({150, 14 * 60});
    steps.push_back({0, 25 * 60});
  }
  Outcome o = run(levels(steps, 10));
  EXPECT_LE(o.incidents, 2) << "at most its first cycles, before they repeat";
  SignatureParams p;
  ChargingSignature sig(p);
  int later = 0;
  bool open = false;
  auto r = levels(steps, 10);
  for (const auto& x : r) {
    auto u = sig.add(x.t_s, x.watts);
    if (u.started && !open && x.t_s > 3 * 39 * 60 + 1800) ++later;
    open = sig.charging();
  }
  EXPECT_EQ(later, 0);
  EXPECT_GT(sig.stats().rejected_cycling, 0);
}

TEST(ChargingSignature, AChargerBehindAQuietHouseholdMeterIsFound) {
  // Base load and a fridge cycling; the charger starts while the fridge is off.
  powersim::ChargerSpec spec;
  spec.sample_s = 10;
  spec.lead_s = 3 * 3600;
  auto charger = powersim::chargerAlone(5, spec);
  std::vector<powersim::Reading> r = charger.readings;
  for (auto& x : r) {
    const double in_cycle = std::fmod(x.t_s, 50 * 60);
    const bool fridge_on = in_cycle < 20 * 60 && x.t_s < spec.lead_s - 30 * 60;  // the fridge rests at the plug-in
    x.watts += 45 + (fridge_on ? 110 * (1 + 0.3 * std::exp(-in_cycle / 120)) : 0);
  }
  Outcome o = run(r);
  ASSERT_GE(o.incidents, 1);
  EXPECT_NEAR(o.first.started_at_s, charger.sessions[0].start_s, 30);
  EXPECT_LE(o.first_at - charger.sessions[0].start_s, 15 * 60);
}

TEST(ChargingSignature, BadReadingsAreIgnoredAndCounted) {
  ChargingSignature sig;
  sig.add(100, 50);
  sig.add(90, 50);  // out of order
  sig.add(110, std::nan(""));
  sig.add(120, -5);
  EXPECT_EQ(sig.stats().out_of_order, 1);
  EXPECT_EQ(sig.stats().readings, 1);
  EXPECT_FALSE(sig.charging());
}

TEST(ChargingSignature, ParametersCanBeSetByName) {
  SignatureParams p;
  EXPECT_TRUE(setParam(p, "min_w", 90));
  EXPECT_EQ(p.min_w, 90);
  EXPECT_TRUE(setParam(p, "cycle_repeats", 3));
  EXPECT_EQ(p.cycle_repeats, 3);
  EXPECT_FALSE(setParam(p, "no_such", 1));
}

}  // namespace
}  // namespace shaobing::rules::charging
