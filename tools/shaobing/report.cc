// `shaobing report --config PATH --level L --text T [--photo F]`: publishes
// one hazard report (docs/whistles.md, "Report intake") to the site's local
// broker, as a resident's app or a patrolling grid worker would.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "config/config.h"
#include "gateway/whistle/encoding.h"
#include "gateway/whistle/incident.h"
#include "tools/shaobing/commands.h"
#include "tools/shaobing/site_access.h"

namespace shaobing::cli {

namespace {

struct ReportArgs {
  std::string config, level, text, photo, reporter = "cli", building, unit, where, report_id;
  int floor = -1000;
};

int runReport(const ReportArgs& a) {
  const std::optional<config::Config> loaded = loadConfigOrReport(a.config);
  if (!loaded) return 2;
  const config::Config& cfg = *loaded;
  if (!whistle::parseLevel(a.level)) {
    std::cerr << "--level must be routine, priority or emergency\n";
    return 2;
  }
  nlohmann::json report = {{"level", a.level}, {"text", a.text}};
  nlohmann::json loc = nlohmann::json::object();
  if (!a.building.empty()) loc["building"] = a.building;
  if (!a.unit.empty()) loc["unit"] = a.unit;
  if (a.floor != -1000) loc["floor"] = a.floor;
  if (!a.where.empty()) loc["text"] = a.where;
  report["location"] = loc;
  if (!a.report_id.empty()) report["report_id"] = a.report_id;
  if (!a.photo.empty()) {
    std::ifstream f(a.photo, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    if (!f) {
      std::cerr << "cannot read " << a.photo << "\n";
      return 2;
    }
    report["photo_base64"] = base64Encode(ss.str());
  }
  std::string topic = cfg.topicPrefix() + "/in/report/" + a.reporter;
  try {
    auto client = connectLocalBroker(cfg, "shaobing-report-" + std::to_string(::getpid()));
    // QoS 1: the broker has it (and the daemon will get it) once this returns.
    client->publish(topic, report.dump(), 1, false)->wait();
    client->disconnect()->wait();
  } catch (const ::mqtt::exception& e) {
    std::cerr << "cannot publish to " << cfg.local_broker.uri() << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "report published on " << topic << "\n";
  return 0;
}

}  // namespace

void registerReport(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "publish a hazard report to the site's broker");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("--config", a->config, "configuration file")->required();
  cmd->add_option("--level", a->level, "routine | priority | emergency")->required();
  cmd->add_option("--text", a->text, "what was seen")->required();
  cmd->add_option("--photo", a->photo, "JPEG photo to attach");
  cmd->add_option("--reporter", a->reporter, "reporter id (last topic level)");
  cmd->add_option("--building", a->building, "building");
  cmd->add_option("--unit", a->unit, "unit");
  cmd->add_option("--floor", a->floor, "floor");
  cmd->add_option("--where", a->where, "free-text location");
  cmd->add_option("--report-id", a->report_id, "id that makes re-sending idempotent");
  cmd->callback([a, &exit_code] { exit_code = runReport(*a); });
}

}  // namespace shaobing::cli
