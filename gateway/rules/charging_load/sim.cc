// Power-trace generator; see sim.h.
#include "gateway/rules/charging_load/sim.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

namespace shaobing::powersim {

namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed * 0x9E3779B97F4A7C15ULL + 12345) {}
  double uni(double a, double b) { return std::uniform_real_distribution<double>(a, b)(gen_); }
  int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen_); }
  bool chance(double p) { return uni(0, 1) < p; }
  double normal(double sigma) { return sigma <= 0 ? 0 : std::normal_distribution<double>(0, sigma)(gen_); }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(integer(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  std::mt19937_64 gen_;
};

// Per-second power of the whole device (socket or household), before sampling.
class Timeline {
 public:
  Timeline(double duration_s, double day_start_s)
      : p_(static_cast<size_t>(duration_s), 0.0), day_start_s_(day_start_s) {}
  size_t size() const { return p_.size(); }
  void add(double t, double w) {
    if (t < 0) return;
    auto i = static_cast<size_t>(t);
    if (i < p_.size()) p_[i] += w;
  }
  double at(size_t i) const { return p_[i]; }
  // Trace time of `hour` o'clock on the scored day (may be negative: the warm-up).
  double clock(double hour) const { return day_start_s_ + hour * 3600; }
  double end() const { return static_cast<double>(p_.size()); }

 private:
  std::vector<double> p_;
  double day_start_s_;
};

// ---- e-bike charger ---------------------------------------------------------

struct ChargerParams {
  double pack_v, amps, amp_hours, start_soc, efficiency, noise;
  double soc_cv = 0.88;       // where constant voltage begins
  double tau_s = 1800;        // CV current decay
  double cutoff = 0.05;       // CV ends below this fraction of the CC current
  double float_w = 2;         // drawn after the end, while plugged in
  double precharge_s = 0;     // a deeply discharged pack charges gently first
  double unplug_after_s = 0;  // > 0: unplugged mid-charge
};

// Pack voltage relative to its value at soc_cv: rises with the charge, steeper at the ends.
double packVoltage(double soc, double soc_cv) {
  auto shape = [](double s) { return 0.80 + 0.20 * s + 0.06 * std::pow(s, 6) - 0.05 * std::exp(-s * 12); };
  return shape(std::clamp(soc, 0.0, 1.0)) / shape(soc_cv);
}

Session addCharger(Timeline& tl, double t0, const ChargerParams& c, Rng& rng) {
  Session s;
  s.start_s = t0;
  s.start_soc = c.start_soc;
  s.pack_v = c.pack_v;
  s.amps = c.amps;
  const double v_cv = c.pack_v * 1.12;  // a 48 V pack charges to about 54 V
  double soc = c.start_soc;
  s.starts_in_cv = soc >= c.soc_cv;
  double cv_since = -1;
  double cv_amps = c.amps;
  if (s.starts_in_cv) {
    // Already past the knee: the current starts lower, as if CV had run a while.
    cv_amps = c.amps * std::clamp(1.0 - (soc - c.soc_cv) / (1.0 - c.soc_cv), 0.15, 1.0);
    cv_since = 0;
  }
  const double ramp_s = rng.uni(2, 10);
  double fan = 0;
  bool ended = false;
  s.cc_watts = v_cv * packVoltage(soc, c.soc_cv) * c.amps / c.efficiency;
  for (double t = 0; t0 + t < tl.end(); t += 1) {
    if (c.unplug_after_s > 0 && t >= c.unplug_after_s) {
      if (!ended) s.end_s = t0 + t;
      return s;
    }
    double amps = 0, volts = 0;
    if (cv_since < 0) {
      amps = t < c.precharge_s ? c.amps * 0.2 : c.amps;
      volts = v_cv * packVoltage(soc, c.soc_cv);
      if (soc >= c.soc_cv) cv_since = t;
    } else {
      amps = cv_amps * std::exp(-(t - cv_since) / c.tau_s);
      volts = v_cv;
    }
    if (!ended && amps < c.cutoff * c.amps) {
      ended = true;
      s.end_s = t0 + t;
    }
    if (ended) {
      tl.add(t0 + t, c.float_w + rng.normal(0.2));
      continue;
    }
    soc += amps / (3600.0 * c.amp_hours);
    if (rng.chance(1.0 / 900)) fan = fan > 0 ? 0 : 3;  // the charger's fan comes and goes
    double w = volts * amps / c.efficiency + 2 + fan;
    w *= std::min(1.0, (t + 1) / ramp_s);
    tl.add(t0 + t, w * (1 + rng.normal(c.noise)));
  }
  if (!ended) s.end_s = tl.end();
  return s;
}

ChargerParams drawCharger(Rng& rng, bool wide) {
  ChargerParams c;
  std::vector<double> packs = wide ? std::vector<double>{24, 36, 48, 60, 64, 72} : std::vector<double>{36, 48, 60, 72};
  c.pack_v = rng.pick(packs);
  c.amps = wide ? rng.uni(1.5, 6.5) : rng.uni(1.8, 5.0);
  // Small packs come with small chargers: keep the plateau in the charger range.
  if (c.pack_v <= 24) c.amps = std::max(c.amps, 3.0);
  c.amp_hours = wide ? rng.uni(8, 40) : rng.uni(10, 32);
  c.start_soc = wide ? rng.uni(0.0, 0.95) : rng.uni(0.05, 0.85);
  c.efficiency = wide ? rng.uni(0.75, 0.92) : rng.uni(0.80, 0.90);
  c.noise = wide ? rng.uni(0.002, 0.03) : rng.uni(0.003, 0.015);
  c.soc_cv = wide ? rng.uni(0.78, 0.94) : rng.uni(0.80, 0.92);
  c.tau_s = (wide ? rng.uni(8, 80) : rng.uni(15, 50)) * 60;
  c.cutoff = rng.uni(0.03, 0.10);
  c.float_w = wide ? rng.uni(0, 10) : rng.uni(0, 5);
  if (c.start_soc < 0.08 && rng.chance(0.5)) c.precharge_s = (wide ? rng.uni(60, 900) : rng.uni(120, 480));
  if (rng.chance(0.1)) c.unplug_after_s = rng.uni(30, 180) * 60;
  return c;
}

// When people plug chargers in: mostly in the evening, some at night, some by day.
double drawChargeStart(Timeline& tl, Rng& rng) {
  double u = rng.uni(0, 1);
  if (u < 0.6) return tl.clock(rng.uni(17, 23.5));
  if (u < 0.85) {  // late night: 23:30 to 03:00
    double h = rng.uni(23.5, 27);
    return tl.clock(h >= 24 ? h - 24 : h);
  }
  return tl.clock(rng.uni(7, 17));
}

// ---- other appliances -------------------------------------------------------

// A compressor (fridge, dehumidifier) cycling between `from` and `to`.
void addCompressor(Timeline& tl, double from, double to, double watts, double on_min, double on_max,
                   double off_min, double off_max, bool wide, Rng& rng) {
  const double transient = wide ? rng.uni(0.0, 0.6) : rng.uni(0.1, 0.5);
  const double tau = wide ? rng.uni(20, 400) : rng.uni(30, 180);
  const double drift = wide ? rng.uni(-0.04, 0.03) : rng.uni(-0.03, 0.02);  // per 10 min
  const double noise = rng.uni(0.01, 0.03);
  double t = from + rng.uni(0, off_max * 60);
  while (t < to) {
    double on = rng.uni(on_min, on_max) * 60;
    double level = watts * rng.uni(0.95, 1.05);
    double spike_s = rng.uni(1, 2.5);
    for (double u = 0; u < on && t + u < to; u += 1) {
      double w = level * (1 + transient * std::exp(-u / tau)) * (1 + drift * u / 600);
      if (u < spike_s) w = level * rng.uni(2.5, 4);
      tl.add(t + u, w * (1 + rng.normal(noise)));
    }
    t += on + rng.uni(off_min, off_max) * 60;
  }
}

// A resistive load switched by a thermostat.
void addThermostat(Timeline& tl, double from, double to, double watts, double on_min, double on_max,
                   double off_min, double off_max, Rng& rng) {
  double t = from;
  while (t < to) {
    double on = rng.uni(on_min, on_max) * 60;
    for (double u = 0; u < on && t + u < to; u += 1) tl.add(t + u, watts * (1 + rng.normal(0.005)));
    t += on + rng.uni(off_min, off_max) * 60;
  }
}

void addBlock(Timeline& tl, double from, double len_s, double watts, double noise, Rng& rng) {
  for (double u = 0; u < len_s; u += 1) tl.add(from + u, watts * (1 + rng.normal(noise)));
}

// Electronics whose draw follows what they do: a level that changes every few seconds.
void addVariable(Timeline& tl, double from, double len_s, double watts, double sigma, double hold_s,
                 Rng& rng) {
  double level = watts;
  double next = 0;
  for (double u = 0; u < len_s; u += 1) {
    if (u >= next) {
      level = std::max(watts * 0.3, watts * (1 + rng.normal(sigma)));
      next = u + rng.uni(1, hold_s);
    }
    double warm = std::min(1.0, 0.7 + 0.3 * u / 60);
    tl.add(from + u, level * warm * (1 + rng.normal(0.01)));
  }
}

// A small charger (phone, tablet, tool battery): plateau then taper.
void addSmallCharger(Timeline& tl, double from, double watts, double plateau_s, double tau_s, Rng& rng) {
  for (double u = 0; u < plateau_s + 4 * tau_s; u += 1) {
    double w = u < plateau_s ? watts * (0.97 + 0.06 * u / plateau_s) : watts * std::exp(-(u - plateau_s) / tau_s);
    tl.add(from + u, std::max(0.3, w * (1 + rng.normal(0.01))));
  }
}

void addBlanket(Timeline& tl, double from, double to, double watts, Rng& rng) {
  // PTC wire: full power at first, falling as it warms, then thermostat cycling.
  const double p0 = watts * rng.uni(1.1, 1.4);
  const double tau = rng.uni(3, 10) * 60;
  const double warm = rng.uni(10, 30) * 60;
  for (double u = 0; u < warm; u += 1) {
    tl.add(from + u, (watts + (p0 - watts) * std::exp(-u / tau)) * (1 + rng.normal(0.005)));
  }
  addThermostat(tl, from + warm + rng.uni(60, 300), to, watts, 1, 4, 2, 6, rng);
}

void addRiceCooker(Timeline& tl, double from, Rng& rng) {
  double cook = rng.uni(25, 40) * 60;
  addBlock(tl, from, cook, rng.uni(500, 900), 0.005, rng);
  double warm_w = rng.uni(500, 900);
  for (double t = from + cook; t < from + cook + rng.uni(1, 3) * 3600; t += rng.uni(60, 150)) {
    addBlock(tl, t, rng.uni(10, 20), warm_w, 0.005, rng);
  }
}

void addWasher(Timeline& tl, double from, Rng& rng) {
  addBlock(tl, from + 120, rng.uni(10, 15) * 60, rng.uni(1800, 2000), 0.005, rng);
  double motor = rng.uni(150, 400);
  for (double t = from; t < from + 3600; t += 20) {
    addVariable(tl, t, 10, motor, 0.2, 3, rng);
  }
}

// The household's appliances other than e-bike chargers.
void addHousehold(Timeline& tl, Trace& tr, bool wide, Rng& rng) {
  const double end = tl.end();
  addBlock(tl, 0, end, rng.uni(15, 60), 0.02, rng);  // router, standby, always on
  addCompressor(tl, 0, end, wide ? rng.uni(50, 200) : rng.uni(70, 160), 8, wide ? 45 : 30, wide ? 10 : 15,
                wide ? 70 : 45, wide, rng);
  tr.appliances.push_back("fridge");
  for (int i = 0, n = rng.integer(3, 8); i < n; ++i) {
    addBlock(tl, tl.clock(rng.uni(17, 20)), rng.uni(1, 5) * 3600, rng.uni(5, 60), 0.005, rng);
  }
  for (int i = 0, n = rng.integer(2, 5); i < n; ++i) {
    addBlock(tl, tl.clock(rng.uni(6, 23)), rng.uni(2, 4) * 60, rng.uni(1800, 2200), 0.005, rng);
  }
  for (int i = 0, n = rng.integer(0, 2); i < n; ++i) {
    addBlock(tl, tl.clock(rng.uni(7, 21)), rng.uni(1, 5) * 60, rng.uni(900, 1300), 0.01, rng);
  }
  if (rng.chance(0.85)) {
    addVariable(tl, tl.clock(rng.uni(18, 21)), rng.uni(2, 5) * 3600, wide ? rng.uni(40, 250) : rng.uni(60, 200),
                wide ? rng.uni(0.01, 0.15) : rng.uni(0.04, 0.15), 20, rng);
    tr.appliances.push_back("tv");
  }
  if (rng.chance(0.5)) {
    addVariable(tl, tl.clock(rng.uni(8, 21)), rng.uni(1, 4) * 3600, rng.uni(20, 90), 0.2, 10, rng);
    tr.appliances.push_back("laptop");
  }
  if (rng.chance(0.2)) {
    addVariable(tl, tl.clock(rng.uni(9, 20)), rng.uni(1, 5) * 3600, rng.uni(60, 250), rng.uni(0.15, 0.3), 5, rng);
    tr.appliances.push_back("desktop");
  }
  if (rng.chance(0.6)) {
    addRiceCooker(tl, tl.clock(rng.uni(10.5, 18.5)), rng);
    tr.appliances.push_back("rice_cooker");
  }
  if (rng.chance(0.4)) {
    addWasher(tl, tl.clock(rng.uni(7, 21)), rng);
    tr.appliances.push_back("washer");
  }
  for (int i = 0, n = rng.integer(1, 3); i < n; ++i) {
    addSmallCharger(tl, tl.clock(rng.uni(0, 23)), rng.uni(5, 20), rng.uni(20, 60) * 60, rng.uni(5, 20) * 60, rng);
  }
  if (rng.chance(wide ? 0.3 : 0.25)) {
    double from = tl.clock(rng.uni(8, 20));
    addCompressor(tl, from, from + rng.uni(4, 12) * 3600, wide ? rng.uni(120, 450) : rng.uni(150, 350), 20, 90,
                  20, 90, wide, rng);
    tr.appliances.push_back("dehumidifier");
  }
  if (rng.chance(0.25)) {
    double from = tl.clock(rng.uni(21, 23.5));
    addBlanket(tl, from, from + rng.uni(6, 9) * 3600, wide ? rng.uni(30, 160) : rng.uni(40, 120), rng);
    tr.appliances.push_back("electric_blanket");
  }
  if (rng.chance(0.3)) {
    double from = tl.clock(rng.uni(7, 21));
    addThermostat(tl, from, from + rng.uni(2, 6) * 3600, wide ? rng.uni(400, 2200) : rng.uni(800, 2000), 5, 20, 5,
                  20, rng);
    tr.appliances.push_back("heater");
  }
  if (rng.chance(0.1)) {
    addThermostat(tl, 0, end, rng.uni(50, 200), 3, 15, 10, 40, rng);
    tr.appliances.push_back("aquarium_heater");
  }
  if (wide) {
    if (rng.chance(0.2)) {
      addSmallCharger(tl, tl.clock(rng.uni(8, 21)), rng.uni(40, 120), rng.uni(20, 50) * 60, rng.uni(5, 15) * 60, rng);
      tr.appliances.push_back("tool_charger");
    }
    if (rng.chance(0.2)) {
      addBlock(tl, tl.clock(rng.uni(12, 22)), rng.uni(1, 6) * 3600, rng.uni(40, 95), 0.01, rng);
      tr.appliances.push_back("fan");
    }
    if (rng.chance(0.3)) {
      addBlock(tl, tl.clock(rng.uni(7, 22)), rng.uni(5, 10) * 60, rng.uni(1000, 1800), 0.02, rng);
      tr.appliances.push_back("hair_dryer");
    }
  }
}

// The one appliance on a socket that has no e-bike charger today.
void addSocketAppliance(Timeline& tl, Trace& tr, bool wide, Rng& rng) {
  std::vector<std::string> kinds = {"fridge", "dehumidifier", "electric_blanket", "heater", "tv", "laptop",
                                    "desktop", "kettle", "rice_cooker", "aquarium_heater", "phone", "fan"};
  if (wide) {
    kinds.push_back("tool_charger");
    kinds.push_back("pedestal_fan");
  }
  const std::string kind = rng.pick(kinds);
  tr.appliances.push_back(kind);
  const double end = tl.end();
  if (kind == "fridge") {
    addCompressor(tl, 0, end, wide ? rng.uni(50, 200) : rng.uni(70, 160), 8, wide ? 45 : 30, wide ? 10 : 15,
                  wide ? 70 : 45, wide, rng);
  } else if (kind == "dehumidifier") {
    double from = tl.clock(rng.uni(6, 20));
    addCompressor(tl, from, from + rng.uni(4, 14) * 3600, wide ? rng.uni(120, 450) : rng.uni(150, 350), 20, 90, 20,
                  90, wide, rng);
  } else if (kind == "electric_blanket") {
    double from = tl.clock(rng.uni(20, 23.5));
    addBlanket(tl, from, from + rng.uni(6, 9) * 3600, wide ? rng.uni(30, 160) : rng.uni(40, 120), rng);
  } else if (kind == "heater") {
    double from = tl.clock(rng.uni(7, 21));
    addThermostat(tl, from, from + rng.uni(2, 8) * 3600, wide ? rng.uni(300, 2200) : rng.uni(800, 2000), 5, 20, 5,
                  20, rng);
  } else if (kind == "tv") {
    addVariable(tl, tl.clock(rng.uni(17, 21)), rng.uni(2, 5) * 3600, wide ? rng.uni(40, 250) : rng.uni(60, 200),
                wide ? rng.uni(0.01, 0.15) : rng.uni(0.04, 0.15), 20, rng);
  } else if (kind == "laptop") {
    addVariable(tl, tl.clock(rng.uni(8, 21)), rng.uni(1, 6) * 3600, rng.uni(20, 90), 0.2, 10, rng);
  } else if (kind == "desktop") {
    addVariable(tl, tl.clock(rng.uni(8, 20)), rng.uni(1, 6) * 3600, rng.uni(60, 250), rng.uni(0.15, 0.3), 5, rng);
  } else if (kind == "kettle") {
    for (int i = 0, n = rng.integer(2, 6); i < n; ++i) {
      addBlock(tl, tl.clock(rng.uni(6, 23)), rng.uni(2, 4) * 60, rng.uni(1800, 2200), 0.005, rng);
    }
  } else if (kind == "rice_cooker") {
    addRiceCooker(tl, tl.clock(rng.uni(10.5, 18.5)), rng);
  } else if (kind == "aquarium_heater") {
    addThermostat(tl, 0, end, rng.uni(50, 300), 3, 15, 10, 40, rng);
  } else if (kind == "phone") {
    for (int i = 0, n = rng.integer(1, 3); i < n; ++i) {
      addSmallCharger(tl, tl.clock(rng.uni(0, 23)), rng.uni(5, 25), rng.uni(20, 60) * 60, rng.uni(5, 20) * 60, rng);
    }
  } else if (kind == "fan") {
    addBlock(tl, tl.clock(rng.uni(10, 22)), rng.uni(1, 8) * 3600, rng.uni(20, 70), 0.01, rng);
  } else if (kind == "tool_charger") {
    for (int i = 0, n = rng.integer(1, 3); i < n; ++i) {
      addSmallCharger(tl, tl.clock(rng.uni(8, 21)), rng.uni(40, 120), rng.uni(20, 50) * 60, rng.uni(5, 15) * 60, rng);
    }
  } else if (kind == "pedestal_fan") {
    double from = tl.clock(rng.uni(10, 22));
    double len = rng.uni(1, 8) * 3600;
    double w = rng.uni(40, 95);
    for (double t = from; t < from + len; t += rng.uni(600, 3600)) {
      addBlock(tl, t, std::min(3600.0, from + len - t), w * rng.pick(std::vector<double>{0.7, 0.85, 1.0}), 0.01, rng);
    }
  }
}

void sample(const Timeline& tl, Trace& tr, bool wide, Rng& rng) {
  const std::vector<double> tune_intervals = {1, 5, 10, 30, 60};
  const std::vector<double> wide_intervals = {1, 2, 5, 15, 20, 45, 60};
  tr.sample_s = rng.pick(wide ? wide_intervals : tune_intervals);
  tr.averaged = tr.role == Role::kHouseholdMeter && rng.chance(0.5);
  const double quantum = wide ? rng.pick(std::vector<double>{0.1, 1, 2}) : 1.0;
  const double drop = wide ? rng.uni(0, 0.03) : 0.0;
  const double jitter = wide ? 0.1 : 0.0;
  for (double t = rng.uni(0, tr.sample_s); t < tl.end(); t += tr.sample_s * (1 + rng.uni(-jitter, jitter))) {
    if (rng.chance(drop)) continue;
    auto i = static_cast<size_t>(t);
    double w = 0;
    if (tr.averaged) {
      size_t n = std::max<size_t>(1, static_cast<size_t>(tr.sample_s));
      size_t from = i >= n ? i - n + 1 : 0;
      for (size_t k = from; k <= i; ++k) w += tl.at(k);
      w /= static_cast<double>(i - from + 1);
    } else {
      w = tl.at(i);
    }
    w = std::max(0.0, std::round(w / quantum) * quantum);
    tr.readings.push_back({t, w});
  }
}

}  // namespace

Trace generateDay(uint64_t seed, const TraceOptions& opt) {
  Rng rng(seed * 2 + (opt.role == Role::kSocket ? 0 : 1) + (opt.wide ? 1000003 : 0));
  Trace tr;
  tr.role = opt.role;
  tr.seed = seed;
  tr.duration_s = opt.warmup_s + opt.day_s;
  tr.score_from_s = opt.warmup_s;
  Timeline tl(tr.duration_s, opt.warmup_s);
  int sessions = 0;
  if (opt.role == Role::kHouseholdMeter) {
    addHousehold(tl, tr, opt.wide, rng);
    double u = rng.uni(0, 1);
    sessions = u < 0.55 ? 1 : u < 0.65 ? 2 : 0;
  } else {
    double u = rng.uni(0, 1);
    if (u < 0.45) {
      sessions = rng.chance(0.3) ? 2 : 1;
    } else if (u < 0.55) {
      sessions = 1;
      addSmallCharger(tl, tl.clock(rng.uni(17, 22)), rng.uni(5, 20), rng.uni(20, 60) * 60, rng.uni(5, 20) * 60, rng);
      tr.appliances.push_back("phone");
    } else {
      addSocketAppliance(tl, tr, opt.wide, rng);
    }
  }
  double not_before = 0;
  for (int i = 0; i < sessions; ++i) {
    double t0 = std::max(drawChargeStart(tl, rng), not_before);
    if (t0 >= tl.end() - 1800) break;
    Session s = addCharger(tl, t0, drawCharger(rng, opt.wide), rng);
    not_before = s.end_s + rng.uni(30, 240) * 60;
    tr.sessions.push_back(s);
  }
  sample(tl, tr, opt.wide, rng);
  return tr;
}

Trace chargerAlone(uint64_t seed, const ChargerSpec& spec) {
  Rng rng(seed);
  Trace tr;
  tr.duration_s = spec.lead_s + spec.length_s;
  Timeline tl(tr.duration_s, 0);
  ChargerParams c;
  c.pack_v = spec.pack_v;
  c.amps = spec.amps;
  c.amp_hours = spec.amp_hours;
  c.start_soc = spec.start_soc;
  c.efficiency = spec.efficiency;
  c.noise = spec.noise;
  c.soc_cv = 0.88;
  c.tau_s = 1800;
  tr.sessions.push_back(addCharger(tl, spec.lead_s, c, rng));
  tr.sample_s = spec.sample_s;
  for (double t = 0; t < tl.end(); t += spec.sample_s) {
    tr.readings.push_back({t, std::round(tl.at(static_cast<size_t>(t)))});
  }
  return tr;
}

}  // namespace shaobing::powersim
