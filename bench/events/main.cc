// Device-event throughput.
//  1. In process, one thread: journal append (SQLite, as before a PUBACK) →
//     driver decode → rule engine → mark processed, for access events.
//  2. The full daemon path: a QoS 1 publisher → real Mosquitto → the real
//     shaobingd, until every event is journaled and processed; beside the
//     broker-only relay (publisher → Mosquitto → subscriber) as baseline.
//  0. First: emergency whistle latency (door_forced → uplink subscriber), idle
//     and during a flood of access events.
// Each figure is the median of 3 runs.
#include <mqtt/async_client.h>
#include <sqlite3.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <thread>

#include "drivers/driver.h"
#include "gateway/core/log.h"
#include "gateway/ingest/journal.h"
#include "gateway/rules/engine.h"
#include "tests/support/daemon.h"

using namespace std::chrono;
using namespace shaobing;

namespace {

class CountingSink : public whistle::IncidentSink {
 public:
  whistle::RaiseResult raise(whistle::Incident) override { return {true, false, "x", ""}; }
  void clear(const std::string&, const std::string&) override {}
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string grantPayload(int i) {
  return R"({"event":"access_granted","method":"card","person":{"type":"resident","id":"r-)" +
         std::to_string(i % 500) + R"("}})";
}

double inProcessRate(int n) {
  testing::TempDir dir;
  auto loaded = config::loadConfigString(
      "site: {id: b}\nstate_dir: " + dir.path().string() +
      "\ndevices:\n  - {id: door-1, kind: access}\n");
  const config::Config& cfg = *loaded.config;
  ingest::Journal journal(dir.file("inbound.db"));
  CountingSink sink;
  auto engine = rules::createRuleEngine(cfg, sink, systemClock(), journal);
  auto driver = drivers::createDriver("shaobing-access-v1");
  std::vector<std::string> payloads;
  for (int i = 0; i < 1000; ++i) payloads.push_back(grantPayload(i));
  std::vector<int64_t> done;
  auto t0 = steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string& p = payloads[i % payloads.size()];
    int64_t id = journal.append("shaobing/b/in/access/door-1", p, toUnixMillis(system_clock::now()));
    auto r = driver->decode("door-1", p);
    for (const auto& e : r.events) engine->onEvent(e);
    done.push_back(id);
    if (done.size() == 256) {
      journal.markProcessed(done);
      done.clear();
    }
  }
  journal.markProcessed(done);
  return n / duration<double>(steady_clock::now() - t0).count();
}

// Publishes n QoS 1 messages as fast as the in-flight window allows.
void publishAll(const std::string& uri, const std::string& topic, int n) {
  mqtt::async_client pub(uri, "bench-pub-" + std::to_string(getpid()));
  pub.connect(mqtt::connect_options_builder().clean_session(true).max_inflight(1000).finalize())->wait();
  std::vector<mqtt::delivery_token_ptr> toks;
  toks.reserve(n);
  for (int i = 0; i < n; ++i) {
    toks.push_back(pub.publish(topic, grantPayload(i), 1, false));
    if (toks.size() > 64) toks[toks.size() - 65]->wait();  // at most 64 in flight
  }
  for (auto& t : toks) t->wait();
  pub.disconnect()->wait();
}

double relayRate(testing::MosquittoBroker& broker, int n) {
  mqtt::async_client sub(broker.uri(), "bench-sub-" + std::to_string(getpid()));
  std::atomic<int> got{0};
  sub.set_message_callback([&](mqtt::const_message_ptr) { ++got; });
  sub.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  sub.subscribe("relay/x", 1)->wait();
  auto t0 = steady_clock::now();
  std::thread p([&] { publishAll(broker.uri(), "relay/x", n); });
  while (got.load() < n && steady_clock::now() - t0 < seconds(120)) std::this_thread::sleep_for(milliseconds(2));
  double s = duration<double>(steady_clock::now() - t0).count();
  p.join();
  sub.disconnect()->wait();
  if (got.load() != n) std::printf("  relay lost %d of %d\n", n - got.load(), n);
  return n / s;
}

int64_t processedRows(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 1000);
  sqlite3_stmt* s = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM inbox WHERE processed = 1", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    n = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

double daemonRate(testing::MosquittoBroker& broker, int n, int64_t& lost) {
  testing::TempDir dir;
  std::string cfg = testing::minimalConfig("bench", broker.port(), dir.file("state"), "5s",
                                           "devices:\n  - {id: door-1, kind: access, heartbeat: 0}\n");
  cfg.replace(cfg.find("level: debug"), 12, "level: warn");
  auto d = testing::startDaemon(dir, cfg);
  std::string db = dir.file("state/inbound.db");
  // Wait until the daemon has subscribed (its journal exists and it is connected).
  for (int i = 0; i < 500 && processedRows(db) < 0; ++i) std::this_thread::sleep_for(milliseconds(10));
  std::this_thread::sleep_for(milliseconds(500));
  auto t0 = steady_clock::now();
  std::thread p([&] { publishAll(broker.uri(), "shaobing/bench/in/access/door-1", n); });
  int64_t processed = 0;
  while ((processed = processedRows(db)) < n && steady_clock::now() - t0 < seconds(120)) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  double s = duration<double>(steady_clock::now() - t0).count();
  p.join();
  lost = n - processed;
  d->signal(SIGTERM);
  d->wait(seconds(5));
  return n / s;
}

// Emergency latency: door_forced published → its whistle at an uplink
// subscriber, one door at a time (each its own device, so no cooldown), first
// on an idle daemon and then while a flood of access events is being journaled
// and run through the rules. Returns the latencies in ms.
constexpr int kFloodPerSecond = 2000;

std::vector<double> emergencyLatencies(testing::MosquittoBroker& local, testing::MosquittoBroker& uplink,
                                       const std::string& daemon, int doors, bool flood, long* flooded) {
  testing::TempDir dir;
  std::string devices = "devices:\n  - {id: door-1, kind: access, heartbeat: 0}\n";
  for (int i = 0; i < doors; ++i) devices += "  - {id: door-e" + std::to_string(i) + ", kind: access, heartbeat: 0}\n";
  std::string cfg = testing::minimalConfig("lat", local.port(), dir.file("state"), "5s",
                                           "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(uplink.port()) +
                                               "\n" + devices);
  cfg.replace(cfg.find("level: debug"), 12, "level: warn");
  const std::string path = dir.write("shaobing.yaml", cfg);
  testing::ChildProcess d({daemon, "--config", path}, dir.path().string());
  std::mutex mu;
  std::map<std::string, steady_clock::time_point> arrived;
  mqtt::async_client sub(uplink.uri(), "bench-lat-" + std::to_string(getpid()));
  sub.set_message_callback([&](mqtt::const_message_ptr m) {
    const auto now = steady_clock::now();
    const auto j = nlohmann::json::parse(m->get_payload_str(), nullptr, false);
    if (!j.is_object() || j.value("type", "") != "door_forced") return;
    std::lock_guard<std::mutex> lock(mu);
    arrived.emplace(j["source"]["device"].get<std::string>(), now);
  });
  sub.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  sub.subscribe("grid/lat/whistle/#", 1)->wait();
  std::string db = dir.file("state/inbound.db");
  for (int i = 0; i < 500 && processedRows(db) < 0; ++i) std::this_thread::sleep_for(milliseconds(10));
  std::this_thread::sleep_for(milliseconds(1500));
  std::atomic<bool> stop{false};
  std::atomic<long> sent{0};
  std::thread flooder;
  if (flood) {
    flooder = std::thread([&] {
      mqtt::async_client pub(local.uri(), "bench-flood-" + std::to_string(getpid()));
      pub.connect(mqtt::connect_options_builder().clean_session(true).max_inflight(1000).finalize())->wait();
      std::deque<mqtt::delivery_token_ptr> toks;
      // At a rate the daemon keeps up with (see the throughput figures below):
      // beyond it any queue grows without bound and latency only measures the queue.
      auto next = steady_clock::now();
      for (int i = 0; !stop; ++i) {
        next += microseconds(1000000 / kFloodPerSecond);
        std::this_thread::sleep_until(next);
        toks.push_back(pub.publish("shaobing/lat/in/access/door-1", grantPayload(i), 1, false));
        if (toks.size() > 64) {
          toks.front()->wait();
          toks.pop_front();
        }
        ++sent;
      }
      for (auto& t : toks) t->wait();
      pub.disconnect()->wait();
    });
    std::this_thread::sleep_for(milliseconds(1000));  // the flood is under way
  }
  mqtt::async_client pub(local.uri(), "bench-door-" + std::to_string(getpid()));
  pub.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  std::map<std::string, steady_clock::time_point> published;
  for (int i = 0; i < doors; ++i) {
    const std::string dev = "door-e" + std::to_string(i);
    published[dev] = steady_clock::now();
    pub.publish("shaobing/lat/in/access/" + dev, R"({"event":"door_forced"})", 1, false)->wait();
    std::this_thread::sleep_for(milliseconds(150));
  }
  const auto deadline = steady_clock::now() + seconds(30);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (static_cast<int>(arrived.size()) >= doors) break;
    }
    if (steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  stop = true;
  if (flooder.joinable()) flooder.join();
  *flooded = sent.load();
  pub.disconnect()->wait();
  sub.disconnect()->wait();
  d.signal(SIGTERM);
  d.wait(seconds(10));
  std::vector<double> ms;
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [dev, t] : published) {
    auto it = arrived.find(dev);
    if (it != arrived.end()) ms.push_back(duration<double>(it->second - t).count() * 1000);
  }
  return ms;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  initLogging("error");
  // --latency-only [--daemon PATH]: only the emergency-latency figures, for
  // another shaobingd build (the same figures of an older commit, say).
  std::string daemon_path = testing::kShaobingdPath;
  bool latency_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--latency-only") latency_only = true;
    if (a == "--daemon" && i + 1 < argc) daemon_path = argv[++i];
  }
  {
    testing::MosquittoBroker local(testing::BrokerOptions{0, "", false});
    testing::MosquittoBroker uplink(testing::BrokerOptions{0, "", false});
    local.start();
    uplink.start();
    const int doors = 60;
    long idle_flood = 0, flood_sent = 0;
    const auto idle = emergencyLatencies(local, uplink, daemon_path, doors, false, &idle_flood);
    const auto busy = emergencyLatencies(local, uplink, daemon_path, doors, true, &flood_sent);
    std::printf("emergency door_forced -> whistle at the uplink subscriber (%d doors, %s):\n", doors, daemon_path.c_str());
    std::printf("  idle daemon:                 p50 %.1f ms  p99 %.1f ms  (%zu of %d arrived)\n", percentile(idle, 0.5),
                percentile(idle, 0.99), idle.size(), doors);
    std::printf("  during a flood of access events at %d/s (%ld sent, QoS 1): p50 %.1f ms  p99 %.1f ms  (%zu of %d arrived)\n",
                kFloodPerSecond, flood_sent, percentile(busy, 0.5), percentile(busy, 0.99), busy.size(), doors);
  }
  if (latency_only) return 0;
  const int n_local = 200000;
  const int n_net = 20000;
  std::vector<double> local, relay, daemon;
  int64_t lost_total = 0;
  for (int run = 0; run < 3; ++run) local.push_back(inProcessRate(n_local));
  std::printf("decode -> rules -> durable journal, one thread: %.0f events/s (median of 3 x %d)\n",
              median(local), n_local);
  testing::MosquittoBroker broker(testing::BrokerOptions{0, "", false});
  broker.start();
  for (int run = 0; run < 3; ++run) {
    relay.push_back(relayRate(broker, n_net));
    int64_t lost = 0;
    daemon.push_back(daemonRate(broker, n_net, lost));
    lost_total += lost;
  }
  std::printf("baseline broker-only relay (QoS 1 publisher -> mosquitto -> subscriber): %.0f msgs/s (median of 3 x %d)\n",
              median(relay), n_net);
  std::printf("full daemon path (publisher -> mosquitto -> shaobingd journal + rules): %.0f events/s (median of 3 x %d)\n",
              median(daemon), n_net);
  std::printf("ratio daemon/relay: %.2f (target >= 0.80); events lost: %lld\n", median(daemon) / median(relay),
              static_cast<long long>(lost_total));
  return 0;
}
