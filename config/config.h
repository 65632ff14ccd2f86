// The gateway's configuration: one YAML file, parsed and validated into
// these structs. docs/configuration.md documents every key.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/reader.h"
#include "config/cameras.h"
#include "config/rules.h"
#include "config/whistles.h"

namespace shaobing::config {

struct TlsConfig {
  std::string ca_file;    // PEM bundle to verify the broker; empty = system default
  std::string cert_file;  // client certificate (PEM), with key_file
  std::string key_file;
  bool enabled = false;   // true when the section is present
  bool verify_hostname = true;
};

struct BrokerConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // default: "shaobingd-<site>" (uplink: "shaobingd-<site>-uplink")
  std::string username;
  std::string password;
  TlsConfig tls;
  int keepalive_s = 30;
  // MQTT v5 session expiry: the broker keeps subscriptions and queued QoS 1
  // messages this long while the daemon is away.
  int session_expiry_s = 7 * 24 * 3600;
  double reconnect_min_s = 1.0;
  double reconnect_max_s = 60.0;

  std::string uri() const;  // tcp://host:port or ssl://host:port
};


// A device that publishes over MQTT (door controller, sensor, smart camera).
struct DeviceConfig {
  std::string id;
  std::string kind;    // access | sensor | camera
  std::string driver;  // decoder name, e.g. shaobing-access-v1
  std::string grid;    // grid cell id (网格)
  std::string zone;
  // What a sensor measures where: socket (one appliance's power, the default),
  // household_meter (a household's total power), water_meter, door_contact.
  std::string role;
  Location location;
  double heartbeat_s = 0;  // 0 = default for the kind
  int line = 0;            // where it was defined, for messages
};

struct LogConfig {
  std::string level = "info";
};

struct HealthConfig {
  double interval_s = 30;
};

struct SiteConfig {
  std::string id;
  std::string name;
  std::string default_grid;  // used when a device names none
};

struct Config {
  std::string source_path;  // the file it was loaded from
  SiteConfig site;
  std::string state_dir = "/var/lib/shaobing";
  LogConfig log;
  BrokerConfig local_broker;
  std::optional<BrokerConfig> uplink;
  HealthConfig health;
  std::vector<DeviceConfig> devices;
  WhistlesConfig whistles;
  IngestConfig ingest;
  RulesConfig rules;
  std::vector<CameraConfig> cameras;
  VisionConfig vision;

  const DeviceConfig* findDevice(const std::string& id) const;
  const CameraConfig* findCamera(const std::string& id) const;
  // Topic prefix of everything this site's gateway publishes: shaobing/<site>
  std::string topicPrefix() const { return "shaobing/" + site.id; }
};

struct LoadResult {
  std::optional<Config> config;  // set only when there were no errors
  Diagnostics diagnostics;
  std::string path;

  bool ok() const { return config.has_value(); }
  // One "FILE:LINE:COL: key.path: message" line per problem.
  std::vector<std::string> messages() const;
};

// Reads a `location:` mapping (building, unit, floor, text) under `key`.
void parseLocation(MapReader& parent, const std::string& key, Location& loc);

LoadResult loadConfigFile(const std::string& path);
LoadResult loadConfigString(const std::string& yaml, const std::string& name = "<string>");

}  // namespace shaobing::config
