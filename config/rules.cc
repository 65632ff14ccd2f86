// Parses the `ingest:` and `rules:` sections; see rules.h.
#include "config/rules.h"

#include <cstdio>

#include "config/config.h"

namespace shaobing::config {

bool DailyWindow::contains(int m) const {
  if (start_min == end_min) return true;  // the whole day
  if (start_min < end_min) return m >= start_min && m < end_min;
  return m >= start_min || m < end_min;  // wraps midnight
}

bool parseDailyWindow(const std::string& text, DailyWindow& out) {
  int h1, m1, h2, m2;
  char tail;
  if (std::sscanf(text.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4) return false;
  if (h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59) return false;
  out.start_min = h1 * 60 + m1;
  out.end_min = h2 * 60 + m2;
  return true;
}

namespace {

void readWindow(MapReader& r, const std::string& key, DailyWindow& out) {
  std::string text;
  if (r.string(key, text) && !parseDailyWindow(text, out)) {
    r.error(key, "expected hours such as 07:00-19:00, found '" + text + "'");
  }
}

}  // namespace

void parseIngestAndRules(MapReader& root, Config& cfg) {
  Diagnostics& diag = root.diagnostics();
  {
    MapReader r(root.child("ingest"), "ingest", diag);
    r.bytes("max_payload", cfg.ingest.max_payload_bytes, 256, 16LL * 1024 * 1024);
    r.duration("max_clock_skew", cfg.ingest.max_clock_skew_s, 1, 365 * 86400.0);
  }
  RulesConfig& rc = cfg.rules;
  MapReader r(root.child("rules"), "rules", diag);
  if (!r.valid()) return;
  r.duration("cooldown", rc.cooldown_s, 0, 7 * 86400.0);
  r.duration("door_held_open", rc.door_held_open_s, 5, 86400);
  {
    MapReader s(r.child("stranger_repeated"), r.pathOf("stranger_repeated"), diag);
    s.integer("attempts", rc.stranger_attempts, 1, 1000);
    s.duration("window", rc.stranger_window_s, 1, 86400);
  }
  forEachItem(r.child("restricted"), r.pathOf("restricted"), diag,
              [&](const YAML::Node& item, const std::string& path) {
                MapReader it(item, path, diag);
                std::string device;
                DailyWindow w{7 * 60, 19 * 60};
                it.string("device", device, Need::kRequired);
                readWindow(it, "allowed", w);
                if (!device.empty()) {
                  if (!cfg.findDevice(device)) it.error("device", "unknown device '" + device + "'");
                  rc.restricted[device] = w;
                }
              });
  {
    MapReader s(r.child("resident_inactive"), r.pathOf("resident_inactive"), diag);
    s.duration("after", rc.resident_inactive_s, 60, 30 * 86400.0);
    forEachItem(s.child("residents"), s.pathOf("residents"), diag,
                [&](const YAML::Node& item, const std::string& path) {
                  MapReader it(item, path, diag);
                  WatchedResident w;
                  it.string("id", w.id, Need::kRequired);
                  it.string("name", w.name);
                  it.string("grid", w.grid);
                  if (w.grid.empty()) w.grid = cfg.site.default_grid;
                  if (!w.id.empty()) rc.residents.push_back(w);
                });
  }
  {
    MapReader s(r.child("charging_load"), r.pathOf("charging_load"), diag);
    s.stringList("no_charging_zones", rc.no_charging_zones);
    s.number("min_w", rc.charging_min_w, 0, 100000);
    s.number("max_w", rc.charging_max_w, 0, 100000);
    s.duration("duration", rc.charging_duration_s, 1, 86400);
    if (rc.charging_min_w >= rc.charging_max_w) s.error("max_w", "must be greater than min_w");
  }
  {
    MapReader s(r.child("ebike_theft"), r.pathOf("ebike_theft"), diag);
    s.stringList("shed_zones", rc.shed_zones);
    s.stringList("gates", rc.shed_gates);
    readWindow(s, "night", rc.theft_night);
    s.duration("window", rc.theft_window_s, 1, 3600);
    for (const auto& g : rc.shed_gates) {
      if (!cfg.findDevice(g)) s.error("gates", "unknown device '" + g + "'");
    }
  }
  {
    MapReader s(r.child("ebike_zones"), r.pathOf("ebike_zones"), diag);
    s.stringList("elevator", rc.elevator_zones);
    s.stringList("corridor", rc.corridor_zones);
  }
  {
    MapReader s(r.child("heartbeat"), r.pathOf("heartbeat"), diag);
    for (const char* kind : {"access", "sensor", "camera"}) {
      s.duration(kind, rc.heartbeat_default_s[kind], 0, 30 * 86400.0);
    }
  }
}

}  // namespace shaobing::config
