// Device events published by a real MQTT client (mosquitto_pub) into a real
// local broker reach the real shaobingd, pass the drivers and rules, and come
// out as whistles on a second, real uplink broker. Bad input only counts.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/rules/charging_load/sim.h"
#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class IngestIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_.start();
    uplink_.start();
  }

  std::string config(const std::string& site) {
    return minimalConfig(site, local_.port(), dir_.file("state"), "1s",
                         "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink_.port()) +
                             "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n"
                             "devices:\n"
                             "  - {id: door-b3, kind: access, grid: g-03, location: {building: \"3\", unit: \"1\"}}\n"
                             "  - {id: socket-b3, kind: sensor, zone: corridor-3}\n"
                             "rules:\n  stranger_repeated: {attempts: 2, window: 1m}\n");
  }

  // Publishes with the mosquitto_pub command-line client, QoS 1.
  void pub(const std::string& topic, const std::string& payload) {
    RunResult r = runCommand({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p",
                              std::to_string(local_.port()), "-q", "1", "-t", topic, "-m", payload},
                             10s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  MosquittoBroker local_;
  MosquittoBroker uplink_;
  TempDir dir_;
};

TEST_F(IngestIntegrationTest, DoorForcedEventBecomesAnEmergencyWhistleOnTheUplink) {
  auto d = startDaemon(dir_, config("ia"));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/ia/whistle/#");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  pub("shaobing/ia/in/access/door-b3", R"({"event":"door_forced","ts":)" +
                                           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()) + "}");
  auto w = platform.waitFor("grid/ia/whistle/emergency", 10s);
  ASSERT_TRUE(w) << d->stderrText();
  json j = json::parse(w->payload);
  EXPECT_EQ(j["type"], "door_forced");
  EXPECT_EQ(j["level"], "emergency");
  EXPECT_EQ(j["grid"], "g-03");
  EXPECT_EQ(j["source"]["device"], "door-b3");
  EXPECT_EQ(j["location"]["building"], "3");
}

TEST_F(IngestIntegrationTest, SmokeAlarmIsAnEmergencyForGridAndPoliceAndItsEndIsAnnounced) {
  const std::string cfg =
      minimalConfig("is", local_.port(), dir_.file("state"), "1s",
                    "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink_.port()) +
                        "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n"
                        "whistles:\n  destinations:\n    police: police/{grid}/alert\n"
                        "devices:\n"
                        "  - {id: smoke-b3-2, kind: sensor, grid: g-03, zone: b3-u2, location: {building: \"3\"}}\n");
  auto d = startDaemon(dir_, cfg);
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/is/#");
  platform.subscribe("police/#");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  const auto sent = std::chrono::steady_clock::now();
  pub("shaobing/is/in/sensor/smoke-b3-2", R"({"type":"smoke","alarm":true})");
  auto w = platform.waitFor("grid/is/whistle/emergency", 10s);
  ASSERT_TRUE(w) << d->stderrText();
  const double latency = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_LT(latency, 2.0);
  json j = json::parse(w->payload);
  EXPECT_EQ(j["type"], "smoke_alarm");
  EXPECT_EQ(j["level"], "emergency");
  EXPECT_EQ(j["source"]["device"], "smoke-b3-2");
  auto p = platform.waitFor("police/g-03/alert", 5s);
  ASSERT_TRUE(p) << d->stderrText();
  EXPECT_EQ(json::parse(p->payload)["id"], j["id"]);
  // The alarm repeats: folded, no second whistle.
  pub("shaobing/is/in/sensor/smoke-b3-2", R"({"type":"smoke","alarm":true})");
  // The detector reports no alarm: the whistle's end is announced.
  pub("shaobing/is/in/sensor/smoke-b3-2", R"({"type":"smoke","alarm":false})");
  const std::string id = j["id"];
  auto c = platform.waitFor("grid/is/cleared/" + id, 10s);
  ASSERT_TRUE(c) << d->stderrText();
  const json n = json::parse(c->payload);
  EXPECT_EQ(n["schema"], "shaobing.cleared/1");
  EXPECT_EQ(n["type"], "smoke_alarm");
  EXPECT_EQ(n["incident_key"], "smoke:smoke-b3-2");
  EXPECT_EQ(platform.messagesOn("grid/is/whistle/emergency").size(), 1u);
  // A new alarm after the all-clear whistles anew at once.
  pub("shaobing/is/in/sensor/smoke-b3-2", R"({"type":"smoke","alarm":true})");
  ASSERT_TRUE(platform.waitForCount("grid/is/whistle/emergency", 2, 10s)) << d->stderrText();
  EXPECT_NE(json::parse(platform.messagesOn("grid/is/whistle/emergency")[1].payload)["id"], j["id"]);
}

TEST_F(IngestIntegrationTest, RepeatedStrangersAtOneDoorRaiseOneWhistle) {
  auto d = startDaemon(dir_, config("ib"));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/ib/whistle/#");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  for (int i = 0; i < 3; ++i) {
    pub("shaobing/ib/in/access/door-b3",
        R"({"event":"access_denied","method":"face","person":{"type":"unknown"}})");
  }
  auto w = platform.waitFor("grid/ib/whistle/#", 10s);
  ASSERT_TRUE(w) << d->stderrText();
  EXPECT_EQ(json::parse(w->payload)["type"], "stranger_repeated");
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(platform.messagesOn("grid/ib/whistle/#").size(), 1u);
}

TEST_F(IngestIntegrationTest, BadInputIsCountedPerDriverAndReasonAndNeverWhistles) {
  auto d = startDaemon(dir_, config("ic"));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/ic/#");
  MqttProbe local(local_.uri());
  local.subscribe("shaobing/ic/health");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  pub("shaobing/ic/in/access/door-b3", "{not json");
  pub("shaobing/ic/in/access/door-b3", R"({"event":"door_forced","device":"door-other"})");
  pub("shaobing/ic/in/access/ghost-door", R"({"event":"door_forced"})");
  pub("shaobing/ic/in/access/door-b3", R"({"event":"door_forced","ts":"1999-01-01T00:00:00Z"})");
  pub("shaobing/ic/in/sensor/socket-b3", R"({"type":"power","watts":"a lot"})");
  local.publish("shaobing/ic/in/access/door-b3", std::string(70 * 1024, 'x'));
  auto h = local.waitFor(
      "shaobing/ic/health",
      [](const ProbeMessage& m) {
        json j = json::parse(m.payload, nullptr, false);
        return j.is_object() && j["counters"].value("driver.shaobing-access-v1.rejected.too_large", 0) == 1;
      },
      10s);
  ASSERT_TRUE(h) << d->stderrText();
  json c = json::parse(h->payload)["counters"];
  EXPECT_EQ(c["driver.shaobing-access-v1.rejected.malformed_json"], 1);
  EXPECT_EQ(c["driver.shaobing-access-v1.rejected.device_mismatch"], 1);
  EXPECT_EQ(c["driver.shaobing-access-v1.rejected.unknown_device"], 1);
  EXPECT_EQ(c["driver.shaobing-access-v1.rejected.bad_timestamp"], 1);
  EXPECT_EQ(c["driver.shaobing-sensor-v1.rejected.wrong_type"], 1);
  EXPECT_TRUE(platform.messages().empty());
  EXPECT_TRUE(d->running());
}

TEST_F(IngestIntegrationTest, AnIncidentRaisedWhileTheUplinkIsDownSurvivesAKillAndIsDelivered) {
  // The door event becomes a stored whistle while the uplink is down; the
  // daemon is then killed; after the restart the whistle is delivered.
  auto d = startDaemon(dir_, config("id"));
  ASSERT_TRUE(d->waitForStderr("connected to tcp://127.0.0.1:" + std::to_string(local_.port()), 10s));
  uplink_.stop();
  pub("shaobing/id/in/access/door-b3", R"({"event":"door_forced"})");
  ASSERT_TRUE(d->waitForStderr("incident door_forced", 10s)) << d->stderrText();
  d->signal(SIGKILL);
  d->wait(5s);
  uplink_.start();
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/id/whistle/#");
  auto d2 = startDaemon(dir_, config("id"));
  auto w = platform.waitFor("grid/id/whistle/emergency", 15s);
  ASSERT_TRUE(w) << d2->stderrText();
  EXPECT_EQ(json::parse(w->payload)["type"], "door_forced");
}

}  // namespace
}  // namespace shaobing::testing

namespace shaobing::testing {
namespace {

// Distinct payloads in the daemon's inbound journal.
std::set<std::string> journaledPayloads(const std::string& db_path) {
  RunResult r = runCommand({"/usr/bin/sqlite3", db_path, "SELECT DISTINCT payload FROM inbox"}, 30s);
  std::set<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

TEST_F(IngestIntegrationTest, NoAcknowledgedEventIsLostWhenTheDaemonIsKilledMidStream) {
  auto d = startDaemon(dir_, config("ie"));
  ASSERT_TRUE(d->waitForStderr("connected to tcp://127.0.0.1:" + std::to_string(local_.port()), 10s));
  const int n = 5000;
  MqttProbe device(local_.uri());
  std::thread killer([&] {
    std::this_thread::sleep_for(150ms);
    d->signal(SIGKILL);
  });
  for (int i = 0; i < n; ++i) {
    device.publish("shaobing/ie/in/access/door-b3",
                   R"({"event":"access_granted","method":"card","person":{"type":"resident","id":"p)" +
                       std::to_string(i) + R"("}})");
  }
  killer.join();
  d->wait(5s);
  size_t before = journaledPayloads(dir_.file("state/inbound.db")).size();
  // The broker kept the daemon's persistent session: whatever it had not
  // been acknowledged is delivered to the restarted daemon.
  auto d2 = startDaemon(dir_, config("ie"));
  std::set<std::string> got;
  for (int i = 0; i < 100 && got.size() < static_cast<size_t>(n); ++i) {
    std::this_thread::sleep_for(100ms);
    got = journaledPayloads(dir_.file("state/inbound.db"));
  }
  std::cout << "journaled before the kill: " << before << " of " << n << "; after restart: " << got.size()
            << "\n";
  EXPECT_LT(before, static_cast<size_t>(n)) << "the kill came too late to test anything";
  EXPECT_EQ(got.size(), static_cast<size_t>(n)) << d2->stderrText();
}

TEST_F(IngestIntegrationTest, ARecordedChargerSentByMosquittoPubBecomesAChargingWhistleTimedByItsReadings) {
  const std::string cfg =
      minimalConfig("ic", local_.port(), dir_.file("state"), "1s",
                    "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink_.port()) +
                        "\n  reconnect_min: 200ms\n  reconnect_max: 1s\n"
                        "devices:\n  - {id: socket-b3, kind: sensor, role: socket, zone: corridor-3}\n"
                        "rules:\n  charging_load: {no_charging_zones: [corridor-3], night: \"00:00-00:00\"}\n");
  auto d = startDaemon(dir_, cfg);
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/ic/#");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  // 25 minutes of a socket's readings, every 30 s, as the socket stamped them:
  // 5 minutes of nothing, then a 48 V charger at 3 A.
  powersim::ChargerSpec spec;
  spec.sample_s = 30;
  spec.lead_s = 300;
  spec.length_s = 20 * 60;
  const auto tr = powersim::chargerAlone(5, spec);
  const int64_t origin =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
      25 * 60 * 1000;
  std::ostringstream lines;
  for (const auto& r : tr.readings) {
    lines << R"({"type":"power","watts":)" << r.watts << R"(,"ts":)" << origin + static_cast<int64_t>(r.t_s * 1000)
          << "}\n";
  }
  const std::string file = dir_.write("socket-b3.jsonl", lines.str());
  RunResult r = runCommand({"/bin/sh", "-c",
                            "/usr/bin/mosquitto_pub -h 127.0.0.1 -p " + std::to_string(local_.port()) +
                                " -q 1 -t shaobing/ic/in/sensor/socket-b3 -l < " + file},
                           30s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = platform.waitFor("grid/ic/whistle/emergency", 15s);  // "night" all day: emergency
  ASSERT_TRUE(w) << d->stderrText();
  const json j = json::parse(w->payload);
  EXPECT_EQ(j["type"], "charging_load_detected");
  EXPECT_EQ(j["details"]["phase"], "constant_current");
  EXPECT_EQ(j["details"]["role"], "socket");
  EXPECT_LE(j["details"]["after_s"].get<double>(), 15 * 60);
  EXPECT_EQ(platform.messagesOn("grid/ic/whistle/emergency").size(), 1u);
}

}  // namespace
}  // namespace shaobing::testing
