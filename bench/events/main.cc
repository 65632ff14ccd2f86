// Device-event throughput.
//  1. In process, one thread: journal append (SQLite, as before a PUBACK) →
//     driver decode → rule engine → mark processed, for access events.
//  2. The full daemon path: a QoS 1 publisher → real Mosquitto → the real
//     shaobingd, until every event is journaled and processed; beside the
//     broker-only relay (publisher → Mosquitto → subscriber) as baseline.
// Each figure is the median of 3 runs.
#include <mqtt/async_client.h>
#include <sqlite3.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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

}  // namespace

int main() {
  initLogging("error");
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
