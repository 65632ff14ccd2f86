// The seam between detection and alerting. Detectors (access-control rules,
// sensor rules, vision) describe what they saw as an Incident and hand it to
// an IncidentSink; the whistle queue turns it into a graded, durable whistle
// (docs/whistles.md) and forwards it. Detectors never talk to MQTT directly.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/clock.h"

namespace shaobing::whistle {

enum class Level { kRoutine = 0, kPriority = 1, kEmergency = 2 };
const char* toString(Level level);
std::optional<Level> parseLevel(const std::string& text);

// A piece of evidence kept with a whistle: a file already written under the
// state directory (snapshot, clip) or bytes held in memory (a reported
// photo). The queue hashes it, stores it and publishes it before the whistle.
struct EvidenceItem {
  std::string kind;          // "snapshot" | "clip" | "photo" | ...
  std::string content_type;  // "image/jpeg", "video/x-msvideo", ...
  std::string path;          // file on disk, or empty when `bytes` holds it
  std::string bytes;
};

struct Incident {
  std::string type;                  // thrown_object, door_forced, ... (docs/whistles.md)
  std::optional<Level> level;        // empty: the site's default for the type
  std::string source;                // device or camera id
  std::string zone;
  std::string grid;                  // empty: the source device's grid from config
  config::Location location;         // empty fields: the device's location from config
  nlohmann::json details = nlohmann::json::object();
  std::vector<EvidenceItem> evidence;
  // Incidents with the same non-empty key while one is open fold into it
  // (no new whistle) until it is cleared.
  std::string incident_key;
  std::optional<SystemTime> observed_at;  // when it happened; default: now
};

struct RaiseResult {
  bool ok = false;
  bool folded = false;  // an open whistle with the same incident_key absorbed it
  std::string whistle_id;
  std::string error;
};

// Thread-safe. raise() returns once the whistle is stored durably (for
// emergency whistles: synced to disk); delivery happens afterwards.
class IncidentSink {
 public:
  virtual ~IncidentSink() = default;
  virtual RaiseResult raise(Incident incident) = 0;
  // The condition behind `incident_key` is over (device back online,
  // resident seen again): later incidents with that key whistle anew.
  virtual void clear(const std::string& incident_key, const std::string& reason) = 0;
  // Adds evidence to a whistle already raised (a clip that was still being
  // recorded when the whistle left): stored with the whistle, its bytes
  // published to the whistle's evidence topic, then an evidence notice the
  // platform matches by whistle id (docs/whistles.md); later escalations list
  // it. `about` adds fields to the evidence entry (e.g. the clip's span).
  // False with `error` set when the whistle is unknown or the evidence unreadable.
  virtual bool attach(const std::string& whistle_id, const EvidenceItem& item, const nlohmann::json& about,
                      std::string* error) {
    (void)whistle_id, (void)item, (void)about;
    if (error) *error = "this sink keeps no evidence after the whistle";
    return false;
  }
};

}  // namespace shaobing::whistle
