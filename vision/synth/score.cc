// Whistle/ground-truth matching by decision time and position along the facade.
#include "vision/synth/score.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace shaobing::vision::synth {
namespace {

double ratio(int a, int b) { return b > 0 ? static_cast<double>(a) / b : std::numeric_limits<double>::quiet_NaN(); }

bool candidate(const TruthEvent& e, const ReplayWhistle& w, const MatchParams& p) {
  return w.video_time_s >= e.release_time_s - p.early_s && w.video_time_s <= e.end_time_s + p.late_s &&
         std::abs(w.facade_x_m - e.facade_x_m) <= p.x_tolerance_m;
}

std::string percent(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

std::string seconds(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", v);
  return buf;
}

}  // namespace

std::vector<TruthEvent> truthEvents(const nlohmann::json& truth) {
  std::vector<TruthEvent> out;
  for (const auto& e : truth.at("events")) {
    TruthEvent t;
    t.id = e.at("id").get<int>();
    t.release_time_s = e.at("release_time_s").get<double>();
    t.end_time_s = e.at("end_time_s").get<double>();
    t.facade_x_m = e.at("facade_x_m").get<double>();
    t.size_m = e.at("size_m").get<double>();
    t.floor = e.at("floor").get<int>();
    t.heavy = e.at("heavy").get<bool>();
    out.push_back(t);
  }
  return out;
}

LineKind parseReplayLine(const std::string& line, ReplayWhistle* out, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why;
    return LineKind::Malformed;
  };
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  if (!j.contains("type") || !j["type"].is_string()) return fail("no type");
  if (j["type"] != "thrown_object") return LineKind::OtherWhistle;
  try {
    const auto& d = j.at("details");
    ReplayWhistle w;
    w.frame = j.at("frame").get<int>();
    w.video_time_s = j.at("video_time_s").get<double>();
    if (j.contains("level")) w.level = j["level"].is_string() ? j["level"].get<std::string>() : j["level"].dump();
    w.floor = d.at("floor").get<int>();
    const auto& range = d.at("floor_range");
    if (!range.is_array() || range.size() != 2) return fail("floor_range is not [lo, hi]");
    w.floor_lo = range[0].get<int>();
    w.floor_hi = range[1].get<int>();
    w.facade_x_m = d.at("facade_x_m").get<double>();
    w.release_time_s = d.at("release_time_s").get<double>();
    w.confidence = d.at("confidence").get<double>();
    if (out != nullptr) *out = w;
  } catch (const nlohmann::json::exception& e) {
    return fail(e.what());
  }
  return LineKind::ThrownObject;
}

SceneMatch matchScene(const std::vector<TruthEvent>& events, const std::vector<ReplayWhistle>& whistles,
                      const MatchParams& params) {
  SceneMatch m;
  m.whistle_of_event.assign(events.size(), std::nullopt);
  std::vector<bool> used(whistles.size(), false);
  std::vector<size_t> order(events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return events[a].release_time_s < events[b].release_time_s; });
  // Each event takes its earliest unused candidate: the first decision is the one that counts.
  for (size_t ei : order) {
    std::optional<size_t> best;
    for (size_t wi = 0; wi < whistles.size(); ++wi) {
      if (used[wi] || !candidate(events[ei], whistles[wi], params)) continue;
      if (!best || whistles[wi].video_time_s < whistles[*best].video_time_s) best = wi;
    }
    if (best) {
      used[*best] = true;
      m.whistle_of_event[ei] = best;
    }
  }
  for (size_t wi = 0; wi < whistles.size(); ++wi) {
    if (used[wi]) continue;
    bool repeats = false;
    for (size_t ei = 0; ei < events.size(); ++ei) {
      repeats = repeats || (m.whistle_of_event[ei] && candidate(events[ei], whistles[wi], params));
    }
    (repeats ? m.duplicates : m.false_whistles).push_back(wi);
  }
  return m;
}

SizeClass sizeClass(double size_m) {
  if (size_m >= 0.20) return SizeClass::Large;
  if (size_m >= 0.12) return SizeClass::Medium;
  return SizeClass::Small;
}

void Scorer::addScene(const std::vector<TruthEvent>& events, const std::vector<ReplayWhistle>& whistles,
                      double footage_s, const MatchParams& params) {
  Figures& f = figures_;
  const SceneMatch m = matchScene(events, whistles, params);
  auto emergencies = [&](const std::vector<size_t>& which) {
    return static_cast<int>(std::count_if(which.begin(), which.end(),
                                          [&](size_t i) { return whistles[i].level == "emergency"; }));
  };
  if (events.empty()) {
    f.distractor_footage_s += footage_s;
    f.false_in_distractor_scenes += static_cast<int>(whistles.size());
    f.false_emergency_in_distractor_scenes += static_cast<int>(
        std::count_if(whistles.begin(), whistles.end(), [](const ReplayWhistle& w) { return w.level == "emergency"; }));
    return;
  }
  f.event_footage_s += footage_s;
  f.false_in_event_scenes += static_cast<int>(m.false_whistles.size());
  f.false_emergency_in_event_scenes += emergencies(m.false_whistles);
  f.duplicates += static_cast<int>(m.duplicates.size());
  f.duplicate_emergencies += emergencies(m.duplicates);
  for (size_t i = 0; i < events.size(); ++i) {
    const TruthEvent& e = events[i];
    const int c = static_cast<int>(sizeClass(e.size_m));
    ++f.events[c];
    if (!m.whistle_of_event[i]) continue;
    const ReplayWhistle& w = whistles[*m.whistle_of_event[i]];
    ++f.found[c];
    ++f.matched;
    f.exact_floor += w.floor == e.floor;
    f.within_one_floor += std::abs(w.floor - e.floor) <= 1;
    f.range_contains_truth += w.floor_lo <= e.floor && e.floor <= w.floor_hi;
    f.latencies_s.push_back(w.video_time_s - e.release_time_s);
  }
}

double Figures::recall(SizeClass c) const {
  return ratio(found[static_cast<int>(c)], events[static_cast<int>(c)]);
}

double Figures::recallAtLeast12cm() const { return ratio(found[0] + found[1], events[0] + events[1]); }

double Figures::falsePerHour() const {
  return distractor_footage_s > 0 ? false_in_distractor_scenes * 3600.0 / distractor_footage_s
                                  : std::numeric_limits<double>::quiet_NaN();
}

double Figures::exactFloorRate() const { return ratio(exact_floor, matched); }
double Figures::withinOneFloorRate() const { return ratio(within_one_floor, matched); }

double Figures::latencyQuantile(double q) const {
  if (latencies_s.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v = latencies_s;
  std::sort(v.begin(), v.end());
  // Nearest-rank quantile: the smallest value with at least q of the sample at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

bool printReport(const Figures& f, std::ostream& out) {
  bool all = true;
  auto line = [&](const std::string& what, const std::string& value, const std::string& target, bool ok) {
    char buf[256];
    if (target.empty()) {
      std::snprintf(buf, sizeof buf, "  %-42s %s\n", what.c_str(), value.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "  %-42s %-22s target %-16s %s\n", what.c_str(), value.c_str(), target.c_str(),
                    ok ? "MET" : "NOT MET");
    }
    out << buf;
    if (!target.empty()) all = all && ok;
  };
  auto counted = [](double r, int found, int total) {
    return percent(r) + " (" + std::to_string(found) + "/" + std::to_string(total) + ")";
  };
  const double r20 = f.recall(SizeClass::Large), r12 = f.recallAtLeast12cm();
  out << "thrown-object accuracy\n";
  line("recall, objects >= 20 cm", counted(r20, f.found[0], f.events[0]), ">= 98%", r20 >= 0.98);
  line("recall, objects 12-20 cm", counted(f.recall(SizeClass::Medium), f.found[1], f.events[1]), "", true);
  line("recall, objects >= 12 cm", counted(r12, f.found[0] + f.found[1], f.events[0] + f.events[1]), ">= 95%",
       r12 >= 0.95);
  line("recall, objects < 12 cm", counted(f.recall(SizeClass::Small), f.found[2], f.events[2]), "", true);
  const double minutes = f.distractor_footage_s / 60;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d in %.1f min", f.false_emergency_in_distractor_scenes, minutes);
  line("false emergency whistles, distractor-only", buf, "0 in >= 30 min",
       f.false_emergency_in_distractor_scenes == 0 && minutes >= 30);
  std::snprintf(buf, sizeof buf, "%d in %.1f min", f.false_in_distractor_scenes - f.false_emergency_in_distractor_scenes,
                minutes);
  line("false priority whistles, distractor-only", buf, "", true);
  std::snprintf(buf, sizeof buf, "%.1f", f.falsePerHour());
  line("false whistles per hour (distractor-only)", buf, "", true);
  std::snprintf(buf, sizeof buf, "%d (%d emergency) in %.1f min", f.false_in_event_scenes,
                f.false_emergency_in_event_scenes, f.event_footage_s / 60);
  line("false whistles in event scenes", buf, "", true);
  std::snprintf(buf, sizeof buf, "%d (%d emergency)", f.duplicates, f.duplicate_emergencies);
  line("duplicate whistles for one fall", buf, "", true);
  line("exact floor", counted(f.exactFloorRate(), f.exact_floor, f.matched), ">= 95%", f.exactFloorRate() >= 0.95);
  line("within one floor", counted(f.withinOneFloorRate(), f.within_one_floor, f.matched), ">= 99%",
       f.withinOneFloorRate() >= 0.99);
  line("floor_range contains the true floor", counted(ratio(f.range_contains_truth, f.matched), f.range_contains_truth, f.matched), "", true);
  const double median = f.latencyQuantile(0.5);
  line("decision latency after release, median", seconds(median), "<= 1.0 s", median <= 1.0);
  line("decision latency after release, p90", seconds(f.latencyQuantile(0.9)), "", true);
  if (f.malformed_lines > 0 || f.failed_runs > 0) {
    out << "  malformed replay lines: " << f.malformed_lines << ", failed replay runs: " << f.failed_runs << "\n";
    all = false;
  }
  return all;
}

}  // namespace shaobing::vision::synth
