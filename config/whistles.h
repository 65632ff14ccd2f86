// The `whistles:` section: how incidents become graded whistles, where they
// go and how long the platform has to acknowledge them (docs/whistles.md).
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "config/reader.h"

namespace shaobing::config {

struct WhistleTypeRule {
  std::string level;                // routine | priority | emergency
  std::vector<std::string> routes;  // destination names
  bool operator==(const WhistleTypeRule&) const = default;
};

struct WhistlesConfig {
  std::string db_path;       // default <state_dir>/whistles.db
  std::string evidence_dir;  // default <state_dir>/evidence
  // Destination name -> topic template ({site}, {level}, {type}, {grid}).
  // "grid" always exists (the uplink_topic).
  std::map<std::string, std::string> destinations;
  std::map<std::string, WhistleTypeRule> types;  // type -> rule; unlisted: built-in default
  // Ack deadlines in seconds, indexed by level (routine, priority, emergency).
  std::array<double, 3> ack_deadline_s{24 * 3600.0, 30 * 60.0, 120.0};
  int escalation_limit = 2;
  long long max_db_bytes = 512LL * 1024 * 1024;
  // Largest evidence item whose bytes are published on the uplink; a larger one
  // (an MJPEG clip) is announced by sha256, size and path only.
  long long evidence_max_bytes = 8LL * 1024 * 1024;
  int in_flight = 64;  // unacknowledged uplink publishes at a time
  double retry_min_s = 1.0;
  double retry_max_s = 60.0;

  // The rule for a type (configured, or the built-in default).
  WhistleTypeRule ruleFor(const std::string& type) const;
  bool operator==(const WhistlesConfig&) const = default;
};

// Built-in default level of a whistle type (routine when unknown).
std::string defaultLevelOf(const std::string& type);

struct Config;
void parseWhistles(MapReader& root, Config& cfg);

}  // namespace shaobing::config
