// The e-bike charger's signature in one device's power readings (W).
//
// A charger plugged in shows as a step up of 80–400 W (the default range) that
// then holds a flat or slowly rising plateau — constant current into a battery
// whose voltage climbs — for tens of minutes before it tapers. The classifier
// follows every appliance switching on and off as steps in the readings (a
// household meter sees their sum; a socket sees one), keeps the power of each
// step in the charger range apart from what else switches later, and judges
// it after `confirm_s` of evidence:
//   - level inside the range,
//   - flat: scatter around a straight line within `max_rel_rmse` (or within
//     what the rest of the household added before it started),
//   - trend per 10 minutes within [min_trend, max_trend]: compressors and PTC
//     heaters settle downwards after they start, a charger holds or rises,
//   - no start transient: a compressor starts high and settles within a
//     minute or two; a charger ramps up in seconds and holds,
//   - not a cycling appliance: no more than `cycle_repeats - 1` loads of the
//     same size switched on and off abruptly within `cycle_window_s` (a fridge,
//     an aquarium heater, a dehumidifier on its humidistat).
// A load not recognised within `give_up_s` of its start is not judged again.
// Time is the readings' own (seconds, any origin, non-decreasing).
//
// Pure: no clock, no I/O. One instance per device.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace shaobing::rules::charging {

struct SignatureParams {
  double min_w = 75;           // the charger's own power at constant current
  double max_w = 500;
  double edge_w = 25;          // the smallest step taken as an appliance switching
  double settle_s = 60;        // left out after a step: start transients
  double confirm_s = 480;      // evidence before a verdict
  double hold_s = 120;         // every judgement over this long must agree
  double give_up_s = 1500;     // a load not recognised by then is not a charger
  double max_settling = 0.02;  // own power now below its first minutes by more: it is settling (PTC, compressor)
  double max_start_overshoot = 0.05;  // its first minute above the minutes after by more: a start transient
  double max_rel_rmse = 0.03;  // flatness, relative to the level
  double min_trend = -0.012;   // per 10 minutes, relative
  double max_trend = 0.10;
  double max_trend_uncertainty = 0.03;  // standard error of the trend: above it, no verdict yet
  double taper_min_tau_s = 15 * 60.0;    // constant-voltage decay time constants accepted
  double taper_max_tau_s = 150 * 60.0;
  double cycle_window_s = 6 * 3600.0;
  int cycle_repeats = 2;
  double cycle_tolerance = 0.08;         // same size: at most this much larger
  double cycle_settle_tolerance = 0.25;  // ... or this much smaller (it settled during its run)
  double cycle_max_on_s = 2 * 3600.0;
};

// Sets a parameter by its name above (benchmark and tuning runs); false for an unknown name.
bool setParam(SignatureParams& p, const std::string& name, double value);

struct Detection {
  double started_at_s = 0;   // the step that began it (reading time)
  double detected_at_s = 0;
  double watts = 0;          // the charger's own power when recognised
  double trend = 0;          // relative change per 10 minutes
  double scatter = 0;        // rms deviation from the fitted line, relative
  double confidence = 0;     // 0.5 .. 1
  std::string phase = "constant_current";
};

struct SignatureStats {
  long readings = 0, out_of_order = 0, edges = 0, candidates = 0, recognised = 0;
  long rejected_level = 0, rejected_flatness = 0, rejected_trend = 0, rejected_settling = 0, rejected_cycling = 0;
  long gave_up = 0;
};

class ChargingSignature {
 public:
  explicit ChargingSignature(SignatureParams params = {});

  struct Update {
    std::optional<Detection> started;  // a charger recognised with this reading
    bool ended = false;                // the last recognised charger stopped
  };
  Update add(double t_s, double watts);

  // A recognised charger is drawing power now.
  bool charging() const;
  // The most recently recognised charger still drawing power.
  std::optional<Detection> current() const;
  const SignatureStats& stats() const { return stats_; }
  // Diagnostics (benchmark --explain-misses): one line per judgement made.
  void traceJudgements(std::vector<std::string>* into) { trace_ = into; }

 private:
  struct Sample {
    double t, w;
    int seg = 0;  // readings between the same two steps of other appliances
  };
  struct Load {
    double t_on = 0;
    double magnitude = 0;
    double base = 0;          // the aggregate level before it
    double adjust = 0;        // what others switched since
    bool tracked = false;     // in the charger range: its own power is followed
    bool judged_out = false;  // gave up or rejected for good
    bool recognised = false;
    Detection detection;
    std::deque<Sample> own;   // its own power, settled readings only
    double last_eval = -1e18;
    double own_now = 0;
    double noise_before = 0;  // the aggregate's scatter before it began
    double passing_since = -1;  // judgements have agreed since then
    int seg = 0;                // steps of other appliances since it began
    double shrunk = 0;          // steps down that were its own (a compressor settling)
    double early_sum = 0;       // its power in the first two minutes after settle_s
    int early_n = 0;
    double start_sum = 0;       // its power within settle_s of the step
    int start_n = 0;
  };
  struct Closed {
    double t_on, t_off, watts;  // watts: the size of the step that ended it
  };

  void onSettled(double t, double w);
  void onEdge(double t, double magnitude, const std::vector<Sample>& step);
  void judge(Load& l, double now);
  bool cycling(const Load& l, double now) const;
  bool looksLikeTaper(const Load& l) const;
  double threshold() const;

  SignatureParams p_;
  SignatureStats stats_;
  std::vector<std::string>* trace_ = nullptr;
  bool started_ = false;
  double last_t_ = 0;
  double level_ = 0;
  double noise_ = 0;  // mean absolute deviation of settled readings from the level
  std::deque<double> settled_;
  std::vector<Sample> pending_;
  std::vector<Load> loads_;
  std::deque<Closed> history_;
  std::vector<double> edge_times_;
};

}  // namespace shaobing::rules::charging
