// The real shaobingd between two real Mosquitto brokers (the community's
// local broker and the grid platform's uplink): reports in, whistles out,
// through uplink outages, a SIGKILL, the platform's acks and TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json parse(const ProbeMessage& m) { return json::parse(m.payload, nullptr, false); }

std::string uplinkSection(int port, const std::string& reconnect = "200ms",
                          const std::string& tls = "") {
  return "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(port) +
         "\n  reconnect_min: " + reconnect + "\n  reconnect_max: " + reconnect + "\n" + tls;
}

class WhistleIntegrationTest : public ::testing::Test {
 protected:
  WhistleIntegrationTest() : uplink_(BrokerOptions{freeLoopbackPort(), "", true}) {}
  void SetUp() override {
    local_.start();
    uplink_.start();
  }
  std::string config(const std::string& site, const std::string& uplink,
                     const std::string& whistles = "") {
    return minimalConfig(site, local_.port(), dir_.file("state"), "1s", uplink + whistles);
  }
  std::unique_ptr<ChildProcess> start(const std::string& yaml) {
    auto d = startDaemon(dir_, yaml);
    MqttProbe status(local_.uri());
    status.subscribe("shaobing/+/status");
    EXPECT_TRUE(status.waitFor(
        "shaobing/+/status", [](const ProbeMessage& m) { return parse(m).value("state", "") == "online"; },
        15s))
        << d->stderrText();
    return d;
  }
  void report(MqttProbe& p, const std::string& site, const std::string& level, const std::string& text,
              const std::string& report_id = "") {
    json r = {{"level", level}, {"text", text}, {"location", {{"building", "3"}}}};
    if (!report_id.empty()) r["report_id"] = report_id;
    p.publish("shaobing/" + site + "/in/report/tester", r.dump(), 1);
  }
  std::string db() const { return dir_.file("state") + "/whistles.db"; }

  MosquittoBroker local_;
  MosquittoBroker uplink_;
  TempDir dir_;
};

TEST_F(WhistleIntegrationTest, ReportsReachTheUplinkInOrderWithStableIds) {
  auto d = start(config("wa", uplinkSection(uplink_.port())));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/wa/whistle/#");
  MqttProbe resident(local_.uri());
  for (int i = 0; i < 20; ++i) report(resident, "wa", "routine", "litter " + std::to_string(i));
  ASSERT_TRUE(platform.waitForCount("grid/wa/whistle/routine", 20, 20s)) << d->stderrText();
  auto msgs = platform.messagesOn("grid/wa/whistle/routine");
  std::string last_id;
  for (int i = 0; i < 20; ++i) {
    json w = parse(msgs[static_cast<size_t>(i)]);
    EXPECT_EQ(w["details"]["text"], "litter " + std::to_string(i));
    EXPECT_EQ(w["type"], "reported_hazard");
    EXPECT_EQ(w["site"], "wa");
    EXPECT_GT(w["id"].get<std::string>(), last_id);  // time-ordered ids
    last_id = w["id"].get<std::string>();
  }
  EXPECT_EQ(msgs[0].qos, 1);
}

TEST_F(WhistleIntegrationTest, AfterAnUplinkOutageEverythingIsDeliveredEmergencyFirst) {
  auto d = start(config("wb", uplinkSection(uplink_.port(), "3s")));
  uplink_.stop();
  MqttProbe resident(local_.uri());
  for (int i = 0; i < 5; ++i) report(resident, "wb", "routine", "r" + std::to_string(i));
  for (int i = 0; i < 3; ++i) report(resident, "wb", "priority", "p" + std::to_string(i));
  for (int i = 0; i < 2; ++i) report(resident, "wb", "emergency", "e" + std::to_string(i));
  // All ten are stored before the uplink returns.
  for (int tries = 0; tries < 100; ++tries) {
    RunResult r = runCommand({kShaobingPath, "whistles", "--db", db(), "list"}, 10s);
    if (std::count(r.out.begin(), r.out.end(), '\n') == 10) break;
    std::this_thread::sleep_for(100ms);
  }
  uplink_.start();
  // The daemon's reconnect waits 1.5-3 s: the platform is subscribed first.
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/wb/whistle/#");
  ASSERT_TRUE(platform.waitForCount("grid/wb/whistle/#", 10, 30s)) << d->stderrText();
  std::vector<std::string> texts;
  for (const auto& m : platform.messagesOn("grid/wb/whistle/#")) {
    texts.push_back(parse(m)["details"]["text"]);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"e0", "e1", "p0", "p1", "p2", "r0", "r1", "r2", "r3", "r4"}));
}

TEST_F(WhistleIntegrationTest, SigkillMidStreamLosesNoWhistle) {
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/wc/whistle/#");
  std::string yaml = config("wc", uplinkSection(uplink_.port()));
  auto d = start(yaml);
  MqttProbe resident(local_.uri());
  for (int i = 0; i < 150; ++i) {
    report(resident, "wc", i % 7 == 0 ? "emergency" : "routine", "n" + std::to_string(i),
           std::to_string(i));
    if (i == 60) {
      d->signal(SIGKILL);
      d->wait(5s);
    }
  }
  d = start(yaml);
  // Every report became a whistle that reached the uplink at least once.
  std::set<std::string> texts;
  for (int tries = 0; tries < 300 && texts.size() < 150; ++tries) {
    std::this_thread::sleep_for(100ms);
    texts.clear();
    for (const auto& m : platform.messagesOn("grid/wc/whistle/#")) texts.insert(parse(m)["details"]["text"]);
  }
  EXPECT_EQ(texts.size(), 150u) << d->stderrText();
  // Every id the database holds was published.
  std::set<std::string> published;
  for (const auto& m : platform.messagesOn("grid/wc/whistle/#")) published.insert(parse(m)["id"]);
  RunResult r = runCommand({kShaobingPath, "whistles", "--db", db(), "list"}, 10s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  size_t stored = 0;
  while (std::getline(lines, line)) {
    ++stored;
    EXPECT_TRUE(published.count(line.substr(0, 36))) << line;
  }
  EXPECT_EQ(stored, 150u);
}

TEST_F(WhistleIntegrationTest, PlatformAcksDriveTheClosedLoop) {
  auto d = start(config("wd", uplinkSection(uplink_.port()),
                        "whistles:\n  ack_deadline: {routine: 1s}\n  escalation_limit: 1\n"));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/wd/whistle/#");
  MqttProbe resident(local_.uri());
  report(resident, "wd", "routine", "blocked fire exit");
  auto first = platform.waitFor("grid/wd/whistle/routine", 15s);
  ASSERT_TRUE(first) << d->stderrText();
  std::string id = parse(*first)["id"];
  // Not acknowledged within 1 s: same id, escalation 1, one level up.
  auto esc = platform.waitFor("grid/wd/whistle/priority", 15s);
  ASSERT_TRUE(esc) << d->stderrText();
  EXPECT_EQ(parse(*esc)["id"], id);
  EXPECT_EQ(parse(*esc)["escalation"], 1);
  for (const char* status : {"acknowledged", "resolved", "rated", "reopened"}) {
    json ack = {{"id", id}, {"status", status}, {"department", "fire"}, {"by", "w7"},
                {"at", "2026-11-22T10:00:00.000Z"}};
    if (std::string(status) == "rated") ack["rating"] = 2;
    platform.publish("grid/wd/ack", ack.dump(), 1);
  }
  platform.publish("grid/wd/ack", "garbage", 1);
  platform.publish("grid/wd/ack", json({{"id", "nope"}, {"status", "resolved"}}).dump(), 1);
  std::string out;
  for (int tries = 0; tries < 100; ++tries) {
    out = runCommand({kShaobingPath, "whistles", "--db", db(), "show", id}, 10s).out;
    if (out.find("reopened:    1") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(out.find("state:       delivered"), std::string::npos) << out;
  EXPECT_NE(out.find("reopened:    1"), std::string::npos) << out;
  EXPECT_NE(out.find("rating:      2"), std::string::npos) << out;
  EXPECT_NE(out.find("escalation:  1"), std::string::npos) << out;
  RunResult stats = runCommand({kShaobingPath, "whistles", "--db", db(), "stats"}, 10s);
  EXPECT_NE(stats.out.find("escalations: 1 (1 whistles escalated)"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("ack latency: p50"), std::string::npos) << stats.out;
  // The bad acks were counted, and the daemon is still up.
  MqttProbe health(local_.uri());
  health.subscribe("shaobing/wd/health");
  auto h = health.waitFor(
      "shaobing/wd/health",
      [](const ProbeMessage& m) {
        json j = parse(m);
        return j.is_object() && j["components"]["uplink"].value("ack_errors", 0) >= 2;
      },
      10s);
  ASSERT_TRUE(h);
  json j = parse(*h);
  EXPECT_EQ(j["connections"]["uplink"]["state"], "connected");
  EXPECT_TRUE(d->running());
}

TEST_F(WhistleIntegrationTest, ShaobingReportCommandRaisesAWhistleWithItsPhoto) {
  auto d = start(config("we", uplinkSection(uplink_.port())));
  MqttProbe platform(uplink_.uri());
  platform.subscribe("grid/we/#");
  std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + std::string(3000, 'j');
  std::string photo = dir_.write("photo.jpg", jpeg);
  std::string cfg_path = dir_.file("shaobing.yaml");
  RunResult r = runCommand({kShaobingPath, "report", "--config", cfg_path, "--level", "priority",
                            "--text", "cable from window", "--photo", photo},
                           20s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = platform.waitFor("grid/we/whistle/priority", 15s);
  ASSERT_TRUE(w) << d->stderrText();
  json j = parse(*w);
  EXPECT_EQ(j["details"]["text"], "cable from window");
  ASSERT_EQ(j["evidence"].size(), 1u);
  std::string topic = j["evidence"][0]["topic"];
  EXPECT_EQ(topic, "grid/we/evidence/" + j["id"].get<std::string>());
  auto ev = platform.messagesOn(topic);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload, jpeg);
}

// TLS with client certificates, all made here with openssl.
TEST_F(WhistleIntegrationTest, UplinkOverTlsWithClientCertificates) {
  TempDir pki;
  auto sh = [&](const std::string& cmd) {
    RunResult r = runCommand({"/bin/sh", "-c", "cd " + pki.path().string() + " && " + cmd}, 60s);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  };
  sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null");
  sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null");
  sh("printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && openssl x509 -req -in server.csr -CA ca.pem "
     "-CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null");
  sh("openssl req -newkey rsa:2048 -nodes -subj /CN=gateway-wf -keyout client.key -out client.csr 2>/dev/null");
  sh("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem 2>/dev/null");
  std::string p = pki.path().string();
  int tls_port = freeLoopbackPort();
  MosquittoBroker tls_uplink(BrokerOptions{
      0,
      "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " + p + "/ca.pem\ncertfile " + p +
          "/server.pem\nkeyfile " + p + "/server.key\nrequire_certificate true\n",
      false});
  tls_uplink.start();
  ASSERT_TRUE(waitForPort(tls_port, 10s));
  std::string tls = "  tls:\n    ca_file: " + p + "/ca.pem\n    cert_file: " + p +
                    "/client.pem\n    key_file: " + p + "/client.key\n";
  auto d = start(config("wf", uplinkSection(tls_port, "200ms", tls)));
  MqttProbe platform(tls_uplink.uri());  // the plain listener of the same broker
  platform.subscribe("grid/wf/whistle/#");
  MqttProbe resident(local_.uri());
  report(resident, "wf", "emergency", "smoke");
  auto w = platform.waitFor("grid/wf/whistle/emergency", 20s);
  ASSERT_TRUE(w) << d->stderrText() << tls_uplink.log();
  EXPECT_EQ(parse(*w)["details"]["text"], "smoke");
}

}  // namespace
}  // namespace shaobing::testing
