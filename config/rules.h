// The `ingest:` and `rules:` sections: limits on device input and the
// incident rules run on the normalized event stream (docs/configuration.md).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/reader.h"

namespace shaobing::config {

struct IngestConfig {
  long long max_payload_bytes = 64 * 1024;
  double max_clock_skew_s = 3600;  // device timestamps further off are rejected
};

// A daily window in local time, "07:00-19:00"; may wrap midnight ("22:00-06:00").
struct DailyWindow {
  int start_min = 0;
  int end_min = 0;
  bool contains(int minute_of_day) const;
};
bool parseDailyWindow(const std::string& text, DailyWindow& out);

struct WatchedResident {
  std::string id;
  std::string name;
  std::string grid;
};

struct RulesConfig {
  double cooldown_s = 600;  // the same incident is not whistled again within this
  double door_held_open_s = 120;
  int stranger_attempts = 3;
  double stranger_window_s = 600;
  std::map<std::string, DailyWindow> restricted;  // device id -> allowed hours
  double resident_inactive_s = 36 * 3600.0;
  std::vector<WatchedResident> residents;
  std::vector<std::string> no_charging_zones;
  double charging_min_w = 60;
  double charging_max_w = 800;
  double charging_duration_s = 600;
  std::vector<std::string> shed_zones;      // e-bike sheds watched for theft
  std::vector<std::string> shed_gates;      // access devices at the shed gates
  DailyWindow theft_night{22 * 60, 6 * 60};
  double theft_window_s = 120;
  std::vector<std::string> elevator_zones;  // camera zones where an e-bike is ebike_in_elevator
  std::vector<std::string> corridor_zones;  // ... ebike_in_corridor
  std::map<std::string, double> heartbeat_default_s = {
      {"access", 600}, {"sensor", 900}, {"camera", 300}};
};

struct Config;
void parseIngestAndRules(MapReader& root, Config& cfg);

}  // namespace shaobing::config
