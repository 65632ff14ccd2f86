// One liveness watch for every source that should speak regularly: devices
// on the local broker (the ingest reports their messages), cameras (vision
// reports their frames), later HTTP devices. A source silent for longer than
// its limit raises `device_offline`; its next sign of life closes it. Last-seen
// times and who is offline survive a restart (a small file in the state
// directory, written at most once a minute), so a box that was down does not
// forget a silent device nor whistle twice for it.
//
// Thread-safe: seen() is called from Paho's and the camera workers' threads
// (cheap: a lock and a map lookup); check() from one thread once a second.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/clock.h"
#include "gateway/whistle/incident.h"

namespace shaobing {

class Liveness {
 public:
  struct Source {
    std::string id;
    std::string kind;  // access | sensor | camera | ...
    double silent_after_s = 0;  // 0: not watched
    std::string zone, grid;
    config::Location location;
  };

  // `state_file` empty: nothing persisted (tests, replay).
  Liveness(Clock& clock, std::string state_file);

  // The sources of one owner ("devices", "cameras"); a reload replaces the
  // owner's list. A source never seen counts from now.
  void watch(const std::string& owner, std::vector<Source> sources);
  // A sign of life; closes the source's device_offline if it was open.
  void seen(const std::string& id);
  // Raises device_offline for sources silent too long; persists now and then.
  void check();
  void setSink(whistle::IncidentSink* sink);
  // Writes the state file now (at stop).
  void persist();
  nlohmann::json health() const;

  // The watch list of a configuration's devices: their own heartbeat, or
  // rules.heartbeat for their kind.
  static std::vector<Source> devicesOf(const config::Config& cfg);
  static std::vector<Source> camerasOf(const config::Config& cfg);

 private:
  void load();
  void persistLocked();

  Clock& clock_;
  const std::string state_file_;
  mutable std::mutex mu_;
  whistle::IncidentSink* sink_ = nullptr;
  std::map<std::string, std::vector<Source>> owners_;
  std::map<std::string, SteadyTime> seen_;
  std::set<std::string> offline_;
  SteadyTime last_persist_{};
  bool dirty_ = false;
  uint64_t raised_ = 0, cleared_ = 0;
};

}  // namespace shaobing
