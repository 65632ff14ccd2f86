// `shaobing replay-sensor` as an installer runs it: a recorded day of a
// socket's readings (the device's own JSON, one per line, with ts) through the
// daemon's driver and rules, one JSON line per whistle.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "drivers/json_fields.h"
#include "gateway/core/clock.h"
#include "gateway/rules/charging_load/sim.h"
#include "tests/support/paths.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace shaobing::testing {
namespace {

constexpr const char* kConfig = R"(site: {id: rs, default_grid: g-1}
devices:
  - {id: socket-7, kind: sensor, role: socket, zone: corridor-7, heartbeat: 30m}
  - {id: door-1, kind: access, heartbeat: 1m}
rules:
  charging_load: {no_charging_zones: [corridor-7], night: "22:00-06:00"}
)";

// 2026-11-22 12:00 UTC, by day.
const int64_t kNoonMs = 1795334400000 + 4 * 3600 * 1000LL;

std::string dayOfReadings(const powersim::Trace& tr, int64_t origin_ms) {
  std::ostringstream out;
  for (const auto& r : tr.readings) {
    out << R"({"type":"power","watts":)" << r.watts << R"(,"ts":)" << origin_ms + static_cast<int64_t>(r.t_s * 1000)
        << "}\n";
  }
  return out.str();
}

std::vector<nlohmann::json> whistles(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  }
  return v;
}

TEST(ReplaySensorCli, ARecordedChargeBecomesOneWhistleTimedByTheReadings) {
  TempDir dir;
  powersim::ChargerSpec spec;
  spec.sample_s = 30;
  spec.length_s = 3 * 3600;
  auto tr = powersim::chargerAlone(21, spec);
  std::string body = dayOfReadings(tr, kNoonMs);
  body += "not json\n";  // a damaged line is reported, not fatal
  const std::string cfg = dir.write("site.yaml", kConfig);
  const std::string file = dir.write("socket-7.jsonl", body);
  RunResult r = runCommand({kShaobingPath, "replay-sensor", "--config", cfg, "--device", "socket-7", file},
                           std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = whistles(r.out);
  ASSERT_EQ(w.size(), 1u) << r.out;  // door-1 is not part of the replay: it does not fall silent
  EXPECT_EQ(w[0]["type"], "charging_load_detected");
  EXPECT_EQ(w[0]["level"], "priority");
  EXPECT_EQ(w[0]["details"]["phase"], "constant_current");
  const int64_t plug_ms = kNoonMs + static_cast<int64_t>(tr.sessions[0].start_s * 1000);
  const int64_t at_ms = toUnixMillis(*drivers::json_fields::parseRfc3339(w[0]["at"].get<std::string>()));
  EXPECT_GE(at_ms, plug_ms);
  EXPECT_LE(at_ms, plug_ms + 15 * 60 * 1000);
  EXPECT_NE(r.err.find("socket-7.jsonl:" + std::to_string(tr.readings.size() + 1) + ": rejected (malformed_json)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("1 rejected, 1 whistle(s)"), std::string::npos) << r.err;
}

TEST(ReplaySensorCli, ASilentDeviceIsReportedOfflineAtTheRightMoment) {
  TempDir dir;
  const std::string cfg = dir.write("site.yaml", kConfig);
  std::ostringstream body;
  body << R"({"type":"heartbeat","ts":)" << kNoonMs << "}\n";
  body << R"({"type":"heartbeat","ts":)" << kNoonMs + 3 * 3600 * 1000LL << "}\n";  // 3 h later
  const std::string file = dir.write("s.jsonl", body.str());
  RunResult r = runCommand({kShaobingPath, "replay-sensor", "--config", cfg, "--device", "socket-7", file},
                           std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = whistles(r.out);
  ASSERT_EQ(w.size(), 1u) << r.out;
  EXPECT_EQ(w[0]["type"], "device_offline");
  EXPECT_EQ(w[0]["at"], "2026-11-22T12:30:01.000Z");
  EXPECT_NE(r.err.find("cleared device_offline:socket-7"), std::string::npos) << r.err;
}

TEST(ReplaySensorCli, AnUnknownDeviceOrFileIsAClearError) {
  TempDir dir;
  const std::string cfg = dir.write("site.yaml", kConfig);
  RunResult r = runCommand({kShaobingPath, "replay-sensor", "--config", cfg, "--device", "nope", cfg},
                           std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no device 'nope'"), std::string::npos) << r.err;
  r = runCommand({kShaobingPath, "replay-sensor", "--config", cfg, "--device", "socket-7", dir.file("missing")},
                 std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shaobing::testing
