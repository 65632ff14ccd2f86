// Parses and validates the `whistles:` section (see config/whistles.h).
#include "config/whistles.h"

#include "config/config.h"

namespace shaobing::config {

namespace {
const std::vector<std::string> kLevels = {"routine", "priority", "emergency"};
}

std::string defaultLevelOf(const std::string& type) {
  static const std::map<std::string, std::string> kDefaults = {
      {"thrown_object", "emergency"},      {"flywire_charging", "priority"},
      {"ebike_in_elevator", "priority"},   {"ebike_in_corridor", "routine"},
      {"ebike_theft_suspected", "priority"}, {"door_forced", "emergency"},
      {"door_held_open", "routine"},       {"stranger_repeated", "priority"},
      {"tailgating", "routine"},           {"restricted_after_hours", "priority"},
      {"resident_inactive", "priority"},   {"device_offline", "routine"},
      {"charging_load_detected", "priority"}, {"reported_hazard", "routine"},
      {"smoke_alarm", "emergency"},
  };
  auto it = kDefaults.find(type);
  return it == kDefaults.end() ? "routine" : it->second;
}

WhistleTypeRule WhistlesConfig::ruleFor(const std::string& type) const {
  auto it = types.find(type);
  WhistleTypeRule rule;
  if (it != types.end()) rule = it->second;
  if (rule.level.empty()) rule.level = defaultLevelOf(type);
  if (rule.routes.empty()) {
    // A fire concerns the police and the property management as much as the
    // grid; routes to destinations a site has not configured are skipped.
    if (type == "smoke_alarm") {
      rule.routes = {"grid", "police", "property"};
    } else {
      rule.routes = {"grid"};
    }
  }
  return rule;
}

void parseWhistles(MapReader& root, Config& cfg) {
  WhistlesConfig& w = cfg.whistles;
  w.db_path = cfg.state_dir + "/whistles.db";
  w.evidence_dir = cfg.state_dir + "/evidence";
  w.destinations["grid"] = "grid/{site}/whistle/{level}";
  Diagnostics& diag = root.diagnostics();
  MapReader r(root.child("whistles"), "whistles", diag);
  if (!r.valid()) return;
  r.string("db", w.db_path);
  r.string("evidence_dir", w.evidence_dir);
  r.string("uplink_topic", w.destinations["grid"]);
  r.integer("escalation_limit", w.escalation_limit, 0, 2);
  r.bytes("max_db_size", w.max_db_bytes, 1024 * 1024, 1LL << 40);
  r.bytes("evidence_max_size", w.evidence_max_bytes, 64 * 1024, 256LL * 1024 * 1024);
  r.integer("in_flight", w.in_flight, 1, 10000);
  r.duration("retry_min", w.retry_min_s, 0.01, 3600);
  r.duration("retry_max", w.retry_max_s, 0.01, 86400);
  {
    MapReader d(r.child("ack_deadline"), "whistles.ack_deadline", diag);
    if (d.valid()) {
      for (size_t i = 0; i < kLevels.size(); ++i) {
        d.duration(kLevels[i], w.ack_deadline_s[i], 0.1, 30 * 86400.0);
      }
    }
  }
  YAML::Node dests = r.child("destinations");
  if (dests.IsDefined() && !dests.IsNull()) {
    MapReader d(dests, "whistles.destinations", diag);
    if (d.valid()) {
      for (const auto& kv : dests) {
        std::string name = kv.first.as<std::string>();
        std::string topic;
        if (d.string(name, topic, Need::kRequired) && topic.empty()) {
          d.error(name, "topic must not be empty");
        }
        if (!topic.empty()) w.destinations[name] = topic;
      }
    }
  }
  YAML::Node types = r.child("types");
  if (types.IsDefined() && !types.IsNull()) {
    MapReader t(types, "whistles.types", diag);
    if (t.valid()) {
      for (const auto& kv : types) {
        std::string type = kv.first.as<std::string>();
        t.accept(type);
        MapReader tr(kv.second, "whistles.types." + type, diag);
        if (!tr.valid()) continue;
        WhistleTypeRule rule;
        tr.choice("level", rule.level, kLevels);
        tr.stringList("routes", rule.routes);
        for (const auto& route : rule.routes) {
          if (!w.destinations.count(route)) {
            tr.error("routes", "unknown destination '" + route + "' (define it under whistles.destinations)");
          }
        }
        w.types[type] = rule;
      }
    }
  }
  if (w.retry_max_s < w.retry_min_s) r.error("retry_max", "must be >= retry_min");
}

}  // namespace shaobing::config
