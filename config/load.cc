// Loads and validates a configuration file into config::Config.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <sstream>

#include "config/config.h"

namespace shaobing::config {

std::string BrokerConfig::uri() const {
  return std::string(tls.enabled ? "ssl://" : "tcp://") + host + ":" + std::to_string(port);
}

const CameraConfig* Config::findCamera(const std::string& id) const {
  for (const auto& c : cameras) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

void parseLocation(MapReader& parent, const std::string& key, Location& loc) {
  YAML::Node n = parent.child(key);
  MapReader r(n, parent.pathOf(key), parent.diagnostics());
  if (!r.valid()) return;
  r.string("building", loc.building);
  r.string("unit", loc.unit);
  int floor = 0;
  if (r.integer("floor", floor, -10, 300)) loc.floor = floor;
  r.string("text", loc.text);
}

const DeviceConfig* Config::findDevice(const std::string& id) const {
  for (const auto& d : devices) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

std::vector<std::string> LoadResult::messages() const {
  std::vector<std::string> out;
  for (const auto& d : diagnostics.items()) out.push_back(d.format(path));
  return out;
}

namespace {

void parseTls(MapReader& parent, const std::string& key, TlsConfig& tls) {
  YAML::Node n = parent.child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  MapReader r(n, parent.pathOf(key), parent.diagnostics());
  if (!r.valid()) return;
  tls.enabled = true;
  r.string("ca_file", tls.ca_file);
  r.string("cert_file", tls.cert_file);
  r.string("key_file", tls.key_file);
  r.boolean("verify_hostname", tls.verify_hostname);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    r.error(tls.cert_file.empty() ? "key_file" : "cert_file",
            "cert_file and key_file must be given together");
  }
}

void parseBroker(MapReader& parent, const std::string& key, BrokerConfig& b, Need need) {
  YAML::Node n = parent.child(key, need);
  MapReader r(n, parent.pathOf(key), parent.diagnostics());
  if (!r.valid()) return;
  r.string("host", b.host);
  r.integer("port", b.port, 1, 65535);
  r.string("client_id", b.client_id);
  if (!b.client_id.empty() && b.client_id.size() > 128) r.error("client_id", "longer than 128");
  r.string("username", b.username);
  r.string("password", b.password);
  std::string password_file;
  if (r.string("password_file", password_file)) {
    std::ifstream in(password_file);
    if (!in) {
      r.error("password_file", "cannot read '" + password_file + "'");
    } else {
      std::getline(in, b.password);
    }
  }
  parseTls(r, "tls", b.tls);
  r.integer("keepalive_s", b.keepalive_s, 5, 3600);
  r.integer("session_expiry_s", b.session_expiry_s, 0, 365 * 24 * 3600);
  r.duration("reconnect_min", b.reconnect_min_s, 0.1, 3600);
  r.duration("reconnect_max", b.reconnect_max_s, 0.1, 3600);
  if (b.host.empty()) r.error("host", "must not be empty");
}


void parseDevices(MapReader& root, Config& cfg) {
  Diagnostics& diag = root.diagnostics();
  std::map<std::string, int> seen;  // id -> line of first definition
  forEachItem(root.child("devices"), "devices", diag,
              [&](const YAML::Node& item, const std::string& path) {
                MapReader r(item, path, diag);
                if (!r.valid()) return;
                DeviceConfig d;
                d.line = item.Mark().line + 1;
                if (r.string("id", d.id, Need::kRequired)) {
                  if (!isValidId(d.id)) {
                    r.error("id", "'" + d.id + "' is not a valid id (letters, digits, - _ .)");
                  }
                  auto [it, inserted] = seen.emplace(d.id, d.line);
                  if (!inserted) {
                    r.error("id", "duplicate device id '" + d.id + "' (first defined on line " +
                                      std::to_string(it->second) + ")");
                  }
                }
                r.choice("kind", d.kind, {"access", "sensor", "camera"}, Need::kRequired);
                r.string("driver", d.driver);
                r.string("grid", d.grid);
                r.string("zone", d.zone);
                if (r.choice("role", d.role, {"socket", "household_meter", "water_meter", "door_contact"}) &&
                    d.kind != "sensor") {
                  r.error("role", "only sensors have a role");
                }
                parseLocation(r, "location", d.location);
                r.duration("heartbeat", d.heartbeat_s, 0, 30 * 86400.0);
                if (d.grid.empty()) d.grid = cfg.site.default_grid;
                cfg.devices.push_back(std::move(d));
              });
}

Config parseRoot(const YAML::Node& doc, Diagnostics& diag) {
  Config cfg;
  MapReader root(doc, "", diag);
  if (!root.valid()) return cfg;

  {
    MapReader site(root.child("site", Need::kRequired), "site", diag);
    if (site.string("id", cfg.site.id, Need::kRequired) && !isValidId(cfg.site.id)) {
      site.error("id", "'" + cfg.site.id + "' is not a valid id (letters, digits, - _ .)");
    }
    site.string("name", cfg.site.name);
    site.string("default_grid", cfg.site.default_grid);
  }
  root.string("state_dir", cfg.state_dir);
  {
    MapReader log(root.child("log"), "log", diag);
    log.choice("level", cfg.log.level, {"trace", "debug", "info", "warn", "error"});
  }
  parseBroker(root, "local_broker", cfg.local_broker, Need::kOptional);
  if (cfg.local_broker.client_id.empty()) cfg.local_broker.client_id = "shaobingd-" + cfg.site.id;
  if (root.has("uplink")) {
    BrokerConfig up;
    up.port = 8883;
    parseBroker(root, "uplink", up, Need::kOptional);
    if (up.client_id.empty()) up.client_id = "shaobingd-" + cfg.site.id + "-uplink";
    cfg.uplink = up;
  } else {
    root.accept("uplink");
  }
  {
    MapReader health(root.child("health"), "health", diag);
    health.duration("interval", cfg.health.interval_s, 1, 3600);
  }
  parseDevices(root, cfg);
  parseIngestAndRules(root, cfg);
  parseWhistles(root, cfg);
  parseCameras(root, cfg);
  root.finish();
  return cfg;
}

LoadResult parseText(const std::string& text, const std::string& name) {
  LoadResult result;
  result.path = name;
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    result.diagnostics.error(e.mark, "", "YAML syntax error: " + e.msg);
    return result;
  }
  if (!doc.IsDefined() || doc.IsNull()) {
    result.diagnostics.error(1, 1, "", "the configuration is empty");
    return result;
  }
  Config cfg = parseRoot(doc, result.diagnostics);
  if (result.diagnostics.ok()) {
    cfg.source_path = name;
    result.config = std::move(cfg);
  }
  return result;
}

}  // namespace

LoadResult loadConfigString(const std::string& yaml, const std::string& name) {
  return parseText(yaml, name);
}

LoadResult loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.path = path;
    result.diagnostics.error(0, 0, "", "cannot open configuration file");
    return result;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parseText(ss.str(), path);
}

}  // namespace shaobing::config
