// The real shaobingd against a real Mosquitto: status and last will, health,
// reload on SIGHUP, clean stop on SIGTERM, systemd notifications.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/mqtt_probe.h"

namespace shaobing::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json parse(const ProbeMessage& m) { return json::parse(m.payload, nullptr, false); }

std::function<bool(const ProbeMessage&)> stateIs(const std::string& state) {
  return [state](const ProbeMessage& m) {
    json j = parse(m);
    return j.is_object() && j.value("state", "") == state;
  };
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { broker_.start(); }

  std::unique_ptr<ChildProcess> start(const std::string& site, const std::string& health = "1s",
                                      std::map<std::string, std::string> env = {}) {
    return startDaemon(dir_, minimalConfig(site, broker_.port(), dir_.file("state"), health),
                       std::move(env));
  }

  MosquittoBroker broker_;
  TempDir dir_;
};

TEST_F(DaemonTest, PublishesRetainedOnlineStatus) {
  auto d = start("site-a");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-a/status");
  auto m = probe.waitFor("shaobing/site-a/status", stateIs("online"), 10s);
  ASSERT_TRUE(m) << d->stderrText();
  json j = parse(*m);
  EXPECT_EQ(j["site"], "site-a");
  EXPECT_TRUE(j.contains("version"));

  // A client that subscribes later still sees it: it is retained.
  MqttProbe late(broker_.uri());
  late.subscribe("shaobing/site-a/status");
  auto r = late.waitFor("shaobing/site-a/status", stateIs("online"), 5s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->retained);
}

TEST_F(DaemonTest, LastWillMarksItOfflineWhenKilled) {
  auto d = start("site-b");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-b/status");
  ASSERT_TRUE(probe.waitFor("shaobing/site-b/status", stateIs("online"), 10s)) << d->stderrText();
  d->signal(SIGKILL);
  d->wait(5s);
  EXPECT_TRUE(probe.waitFor("shaobing/site-b/status", stateIs("offline"), 10s));
  MqttProbe late(broker_.uri());
  late.subscribe("shaobing/site-b/status");
  auto r = late.waitFor("shaobing/site-b/status", 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r)["state"], "offline");
}

TEST_F(DaemonTest, PublishesHealthPeriodically) {
  auto d = start("site-c", "1s");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-c/health");
  ASSERT_TRUE(probe.waitForCount("shaobing/site-c/health", 3, 10s)) << d->stderrText();
  auto msgs = probe.messagesOn("shaobing/site-c/health");
  json j = parse(msgs.back());
  EXPECT_EQ(j["site"], "site-c");
  EXPECT_TRUE(j["uptime_s"].is_number());
  EXPECT_TRUE(j.contains("version"));
  EXPECT_EQ(j["connections"]["local"]["state"], "connected");
  EXPECT_TRUE(j["counters"].is_object());
  EXPECT_GT(j["uptime_s"].get<double>(), parse(msgs.front())["uptime_s"].get<double>());
}

TEST_F(DaemonTest, SigtermPublishesStoppedAndExitsZeroWithinFiveSeconds) {
  auto d = start("site-d");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-d/status");
  ASSERT_TRUE(probe.waitFor("shaobing/site-d/status", stateIs("online"), 10s));
  auto t0 = std::chrono::steady_clock::now();
  d->signal(SIGTERM);
  auto code = d->wait(5s);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(code.has_value()) << "did not exit within 5 s\n" << d->stderrText();
  EXPECT_EQ(*code, 0) << d->stderrText();
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(probe.waitFor("shaobing/site-d/status", stateIs("stopped"), 5s));
  // The clean disconnect must not fire the last will.
  std::this_thread::sleep_for(500ms);
  MqttProbe late(broker_.uri());
  late.subscribe("shaobing/site-d/status");
  auto r = late.waitFor("shaobing/site-d/status", 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r)["state"], "stopped");
}

TEST_F(DaemonTest, SigintAlsoStopsCleanly) {
  auto d = start("site-i");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  d->signal(SIGINT);
  auto code = d->wait(5s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(DaemonTest, SighupWithInvalidConfigKeepsRunningOnTheOldOne) {
  auto d = start("site-e", "1s");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-e/#");
  ASSERT_TRUE(probe.waitFor("shaobing/site-e/status", stateIs("online"), 10s));
  std::string cfg_path = dir_.write(
      "shaobing.yaml", minimalConfig("site-e", broker_.port(), dir_.file("state"), "1s") +
                           "local_brokr: {}\n");
  d->signal(SIGHUP);
  ASSERT_TRUE(d->waitForStderr("reload rejected", 10s)) << d->stderrText();
  EXPECT_NE(d->stderrText().find(cfg_path + ":13:1: local_brokr: unknown key"), std::string::npos)
      << d->stderrText();
  EXPECT_TRUE(d->running());
  probe.clear();
  auto h = probe.waitFor("shaobing/site-e/health", 5s);
  ASSERT_TRUE(h) << "no health after a rejected reload";
  json j = parse(*h);
  EXPECT_EQ(j["config"]["generation"], 1);
  EXPECT_EQ(j["counters"]["config_reload_rejected"], 1);
}

TEST_F(DaemonTest, SighupWithValidConfigAppliesIt) {
  auto d = start("site-f", "1s");
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-f/health");
  ASSERT_TRUE(probe.waitFor("shaobing/site-f/health", 10s));
  dir_.write("shaobing.yaml", minimalConfig("site-f", broker_.port(), dir_.file("state"), "2s"));
  d->signal(SIGHUP);
  auto h = probe.waitFor(
      "shaobing/site-f/health",
      [](const ProbeMessage& m) { return parse(m)["config"]["generation"] == 2; }, 10s);
  ASSERT_TRUE(h) << d->stderrText();
  EXPECT_EQ(parse(*h)["config"]["health_interval_s"], 2.0);
  EXPECT_TRUE(d->running());
}

TEST_F(DaemonTest, InvalidConfigAtStartExitsOneWithCheckConfigMessages) {
  std::string yaml = minimalConfig("site-g", broker_.port(), dir_.file("state")) + "bogus: 1\n";
  auto d = startDaemon(dir_, yaml);
  auto code = d->wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(d->stderrText().find(dir_.file("shaobing.yaml") + ":13:1: bogus: unknown key"),
            std::string::npos)
      << d->stderrText();
}

TEST(DaemonBrokerDown, StartsAnywayAndConnectsWhenTheBrokerAppears) {
  TempDir dir;
  int port = freeLoopbackPort();
  auto d = startDaemon(dir, minimalConfig("site-h", port, dir.file("state")));
  ASSERT_TRUE(d->waitForStderr("cannot connect", 10s)) << d->stderrText();
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(d->running()) << d->stderrText();

  BrokerOptions opts;
  opts.port = port;
  MosquittoBroker broker(opts);
  broker.start();
  MqttProbe probe(broker.uri());
  probe.subscribe("shaobing/site-h/#");
  ASSERT_TRUE(probe.waitFor("shaobing/site-h/status", stateIs("online"), 15s)) << d->stderrText();
  auto h = probe.waitFor("shaobing/site-h/health", 10s);
  ASSERT_TRUE(h);
  EXPECT_GE(parse(*h)["connections"]["local"]["connect_failures"].get<int>(), 1);
}

TEST_F(DaemonTest, ReconnectsAfterTheBrokerRestarts) {
  auto d = start("site-r", "1s");
  ASSERT_TRUE(d->waitForStderr("connected to", 10s));
  broker_.stop();
  ASSERT_TRUE(d->waitForStderr("lost", 10s)) << d->stderrText();
  broker_.start();
  MqttProbe probe(broker_.uri());
  probe.subscribe("shaobing/site-r/health");
  auto h = probe.waitFor(
      "shaobing/site-r/health",
      [](const ProbeMessage& m) { return parse(m)["connections"]["local"]["connects"] == 2; },
      15s);
  ASSERT_TRUE(h) << d->stderrText();
  EXPECT_EQ(parse(*h)["connections"]["local"]["connection_losses"], 1);
}

// Receives sd_notify datagrams the way systemd does.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { close(fd_); }

  // Collects datagrams until one contains `needle`.
  bool waitFor(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        std::string msg(buf, static_cast<size_t>(n));
        seen_.push_back(msg);
        if (msg.find(needle) != std::string::npos) return true;
      }
    }
    return false;
  }
  const std::vector<std::string>& seen() const { return seen_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> seen_;
};

TEST_F(DaemonTest, NotifiesSystemdReadyWatchdogAndStopping) {
  std::string sock = dir_.file("notify.sock");
  NotifySocket notify(sock);
  auto d = start("site-n", "1s", {{"NOTIFY_SOCKET", sock}, {"WATCHDOG_USEC", "400000"}});
  ASSERT_TRUE(notify.waitFor("READY=1", 10s)) << d->stderrText();
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", 3s));
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", 3s));  // keeps pinging
  d->signal(SIGTERM);
  EXPECT_TRUE(notify.waitFor("STOPPING=1", 5s));
  d->wait(5s);
}

}  // namespace
}  // namespace shaobing::testing
