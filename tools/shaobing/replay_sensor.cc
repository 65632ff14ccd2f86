// `shaobing replay-sensor --config PATH --device ID FILE`: runs one device's
// recorded messages (one JSON payload per line, the device's own format, with
// `ts`) through the same driver and rules as the daemon, on that device alone,
// with time taken from the readings, and prints one JSON line per whistle:
// type, level, details, at (docs/configuration.md#replay-sensor). Closing
// updates and rejected lines go to stderr. Installers use it to check a
// socket's, meter's or resident's settings on a recorded day.
#include <fstream>
#include <iostream>

#include "config/config.h"
#include "drivers/driver.h"
#include "gateway/daemon/liveness.h"
#include "gateway/rules/engine.h"
#include "gateway/rules/state_store.h"
#include "tools/shaobing/commands.h"
#include "tools/shaobing/site_access.h"

namespace shaobing::cli {
namespace {

struct ReplaySensorArgs {
  std::string config_path;
  std::string device;
  std::string file;
};

// Time as the readings tell it; it never runs backwards.
class ReplayClock : public Clock {
 public:
  SystemTime now() const override { return wall_; }
  SteadyTime steady() const override { return SteadyTime{} + std::chrono::hours(24) + (wall_ - origin_); }
  void start(SystemTime t) { origin_ = wall_ = t; }
  void moveTo(SystemTime t) { wall_ = std::max(wall_, t); }
  void advance(std::chrono::milliseconds d) { wall_ += d; }

 private:
  SystemTime origin_{}, wall_{};
};

class PrintingSink : public whistle::IncidentSink {
 public:
  PrintingSink(const config::Config& cfg, const Clock& clock) : cfg_(cfg), clock_(clock) {}
  whistle::RaiseResult raise(whistle::Incident inc) override {
    const std::string level =
        inc.level ? whistle::toString(*inc.level) : cfg_.whistles.ruleFor(inc.type).level;
    nlohmann::json line = {{"type", inc.type}, {"level", level}, {"details", inc.details},
                           {"at", formatRfc3339(clock_.now())}};
    std::cout << line.dump() << "\n" << std::flush;
    ++raised;
    return {true, false, "replay-" + std::to_string(raised), ""};
  }
  void clear(const std::string& key, const std::string& reason) override {
    std::cerr << formatRfc3339(clock_.now()) << " cleared " << key << ": " << reason << "\n";
  }
  long raised = 0;

 private:
  const config::Config& cfg_;
  const Clock& clock_;
};

std::string driverOf(const config::DeviceConfig& d) {
  if (!d.driver.empty()) return d.driver;
  if (d.kind == "sensor") return "shaobing-sensor-v1";
  if (d.kind == "camera") return "shaobing-camera-event-v1";
  return "shaobing-access-v1";
}

int runReplaySensor(const ReplaySensorArgs& a) {
  std::optional<config::Config> loaded = loadConfigOrReport(a.config_path);
  if (!loaded) return 2;
  const config::DeviceConfig* dev = loaded->findDevice(a.device);
  if (dev == nullptr) {
    std::cerr << a.config_path << ": no device '" << a.device << "' under devices:\n";
    return 2;
  }
  auto driver = drivers::createDriver(driverOf(*dev));
  if (!driver) {
    std::cerr << a.config_path << ": device '" << a.device << "' names an unknown driver '" << dev->driver << "'\n";
    return 2;
  }
  std::ifstream in(a.file);
  if (!in) {
    std::cerr << "cannot open " << a.file << "\n";
    return 2;
  }
  // The device alone: the rules see no other device (none of them falls silent).
  config::Config cfg = *loaded;
  cfg.devices = {*dev};
  ReplayClock clock;
  clock.start(std::chrono::time_point_cast<SystemTime::duration>(std::chrono::system_clock::now()));
  PrintingSink sink(cfg, clock);
  rules::MemoryStateStore store;
  std::unique_ptr<rules::RuleEngine> engine;
  // Silence is judged as the daemon judges it: the device's heartbeat.
  std::unique_ptr<Liveness> liveness;
  std::string line;
  long number = 0, rejected = 0, events = 0;
  bool started = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (static_cast<long long>(line.size()) > cfg.ingest.max_payload_bytes) {
      ++rejected;
      std::cerr << a.file << ":" << number << ": rejected (too_large): " << line.size() << " bytes\n";
      continue;
    }
    drivers::DecodeResult r = driver->decode(dev->id, line);
    if (liveness) liveness->seen(dev->id);  // any message is a sign of life
    if (r.error) {
      ++rejected;
      std::cerr << a.file << ":" << number << ": rejected (" << drivers::toString(*r.error) << "): " << r.detail
                << "\n";
      continue;
    }
    for (auto& e : r.events) {
      // A line without `ts` happens when the one before it did.
      if (e.at) {
        if (!started) clock.start(*e.at);
        if (*e.at > clock.now() && engine) {
          // The time-based rules see every second that passes between readings.
          while (clock.now() + std::chrono::seconds(1) < *e.at) {
            clock.advance(std::chrono::seconds(1));
            engine->tick();
            liveness->check();
          }
        }
        clock.moveTo(*e.at);
      }
      started = true;
      if (!engine) {
        engine = rules::createRuleEngine(cfg, sink, clock, store);
        liveness = std::make_unique<Liveness>(clock, "");
        liveness->setSink(&sink);
        liveness->watch("devices", Liveness::devicesOf(cfg));
      }
      liveness->seen(dev->id);
      engine->onEvent(e);
      engine->tick();
      liveness->check();
      ++events;
    }
  }
  std::cerr << a.file << ": " << number << " line(s), " << events << " event(s), " << rejected << " rejected, "
            << sink.raised << " whistle(s)\n";
  return 0;
}

}  // namespace

void registerReplaySensor(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("replay-sensor", "run a device's recorded messages through the drivers and rules");
  auto args = std::make_shared<ReplaySensorArgs>();
  cmd->add_option("--config", args->config_path, "configuration file")->required();
  cmd->add_option("--device", args->device, "device id (devices: in the configuration)")->required();
  cmd->add_option("FILE", args->file, "one JSON payload per line, the device's own format, with ts")->required();
  cmd->footer("Prints one JSON line per whistle (type, level, details, at). Exit codes: 0 replayed, "
              "2 configuration, device or file unusable.");
  cmd->callback([args, &exit_code] { exit_code = runReplaySensor(*args); });
}

}  // namespace shaobing::cli
