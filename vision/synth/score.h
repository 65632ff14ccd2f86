// Scores thrown-object whistles (the JSON lines `shaobing replay` prints) against a
// scene's ground truth: matching, recall by size, floor accuracy, latency, false whistles.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace shaobing::vision::synth {

struct TruthEvent {
  int id = 0;
  double release_time_s = 0;
  double end_time_s = 0;
  double facade_x_m = 0;
  double size_m = 0;
  int floor = 0;
  bool heavy = true;
};

// Events of a ground-truth document written by groundTruth().
std::vector<TruthEvent> truthEvents(const nlohmann::json& truth);

struct ReplayWhistle {
  int frame = 0;
  double video_time_s = 0;
  std::string level;
  int floor = 0;
  int floor_lo = 0, floor_hi = 0;
  double facade_x_m = 0;
  double release_time_s = 0;
  double confidence = 0;
};

enum class LineKind { ThrownObject, OtherWhistle, Malformed };
// One stdout line of `shaobing replay`. Whistles of other types (e.g. device_offline)
// are OtherWhistle; lines that are not a whistle with the required fields are Malformed.
LineKind parseReplayLine(const std::string& line, ReplayWhistle* out, std::string* error);

struct MatchParams {
  double early_s = 0.3;      // a decision may not precede the release by more than this
  double late_s = 1.0;       // nor follow the end of the fall by more than this
  double x_tolerance_m = 3.0;  // |whistle facade_x − true facade_x|
};

struct SceneMatch {
  std::vector<std::optional<size_t>> whistle_of_event;  // index into the whistles
  std::vector<size_t> false_whistles;                   // match no event
  std::vector<size_t> duplicates;                       // a second whistle for a matched event
};

SceneMatch matchScene(const std::vector<TruthEvent>& events, const std::vector<ReplayWhistle>& whistles,
                      const MatchParams& params = {});

// Size classes the targets are stated for.
enum class SizeClass { Large, Medium, Small };  // ≥ 20 cm, 12–20 cm, < 12 cm
SizeClass sizeClass(double size_m);

struct Figures {
  int events[3] = {0, 0, 0};  // by SizeClass
  int found[3] = {0, 0, 0};
  int matched = 0;
  int exact_floor = 0;
  int within_one_floor = 0;
  int range_contains_truth = 0;
  std::vector<double> latencies_s;  // video_time_s − true release time, matched events
  double event_footage_s = 0;
  int false_in_event_scenes = 0;
  int duplicates = 0;
  double distractor_footage_s = 0;
  int false_in_distractor_scenes = 0;
  // By level: emergency whistles go to the police; priority ones ask for review.
  int false_emergency_in_distractor_scenes = 0;
  int false_emergency_in_event_scenes = 0;
  int duplicate_emergencies = 0;
  int malformed_lines = 0;
  int failed_runs = 0;

  double recall(SizeClass c) const;
  double recallAtLeast12cm() const;
  double falsePerHour() const;
  double exactFloorRate() const;
  double withinOneFloorRate() const;
  double latencyQuantile(double q) const;  // NaN without matches
};

class Scorer {
 public:
  // Adds one scene's outcome; a scene without true events counts as distractor-only.
  void addScene(const std::vector<TruthEvent>& events, const std::vector<ReplayWhistle>& whistles,
                double footage_s, const MatchParams& params = {});
  void addMalformedLines(int n) { figures_.malformed_lines += n; }
  void addFailedRun() { ++figures_.failed_runs; }
  const Figures& figures() const { return figures_; }

 private:
  Figures figures_;
};

// Prints the figures beside the targets; returns true when every target is met.
bool printReport(const Figures& f, std::ostream& out);

}  // namespace shaobing::vision::synth
