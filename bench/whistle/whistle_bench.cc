// shaobing-bench-whistle: durable whistles/s raised (per sync level), drain
// rate of a 100k backlog after an outage, and raise -> uplink subscriber
// latency on loopback against the broker-only round trip measured in the
// same run.
#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>

#include "gateway/core/log.h"
#include "gateway/whistle/incident.h"
#include "gateway/whistle/queue.h"
#include "gateway/whistle/store.h"
#include "tests/support/mosquitto.h"
#include "tests/support/temp_dir.h"

namespace shaobing {
namespace {

using Clk = std::chrono::steady_clock;
using nlohmann::json;

double secondsSince(Clk::time_point t) {
  return std::chrono::duration<double>(Clk::now() - t).count();
}

// Counts whistles arriving on the uplink and notes when a marked one lands.
class Subscriber : public virtual ::mqtt::callback {
 public:
  Subscriber(const std::string& uri, const std::string& filter)
      : client_(uri, "bench-sub-" + std::to_string(::getpid()), ::mqtt::create_options(MQTTVERSION_5)) {
    client_.set_callback(*this);
    client_.connect(::mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize())
        ->wait();
    client_.subscribe(filter, 1)->wait();
  }
  ~Subscriber() override {
    try {
      client_.disconnect()->wait();
    } catch (...) {
    }
  }
  void message_arrived(::mqtt::const_message_ptr m) override {
    auto now = Clk::now();
    std::lock_guard lock(mu_);
    ++count_;
    if (!awaited_.empty() && m->get_payload_str().find(awaited_) != std::string::npos) {
      arrived_ = now;
      awaited_.clear();
    }
    cv_.notify_all();
  }
  void await(const std::string& marker) {
    std::lock_guard lock(mu_);
    awaited_ = marker;
    arrived_.reset();
  }
  std::optional<Clk::time_point> waitMarked(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return arrived_.has_value(); });
    return arrived_;
  }
  bool waitCount(uint64_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  void reset() {
    std::lock_guard lock(mu_);
    count_ = 0;
  }

 private:
  ::mqtt::async_client client_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
  std::string awaited_;
  std::optional<Clk::time_point> arrived_;
};

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// A daemon-like setup: one io thread, the whistle queue on the broker.
struct Harness {
  Harness(const std::string& state_dir, std::optional<int> uplink_port, int local_port) {
    std::string yaml = "site:\n  id: bench\nstate_dir: " + state_dir +
                       "\nlocal_broker:\n  host: 127.0.0.1\n  port: " + std::to_string(local_port) +
                       "\nwhistles:\n  in_flight: 256\n";
    if (uplink_port) {
      yaml += "uplink:\n  host: 127.0.0.1\n  port: " + std::to_string(*uplink_port) +
              "\n  reconnect_min: 100ms\n  reconnect_max: 500ms\n";
    }
    auto r = config::loadConfigString(yaml);
    if (!r.ok()) throw std::runtime_error(r.messages().at(0));
    cfg = *r.config;
    local = mqtt::createPahoConnection(io, cfg.local_broker, std::nullopt, "local");
    router = std::make_unique<mqtt::Router>(local);
    ctx = std::make_unique<ServiceContext>(
        ServiceContext{io, systemClock(), counters, cfg, local, *router, nullptr});
    queue = whistle::createWhistleQueue(*ctx, cfg);
  }
  void run() {
    boost::asio::post(io, [this] {
      local->start();
      queue->start();
    });
    thread = std::thread([this] { io.run(); });
  }
  ~Harness() {
    if (thread.joinable()) {
      boost::asio::post(io, [this] {
        queue->stop([this] { local->stop(std::chrono::milliseconds(500), [this] { work.reset(); }); });
      });
      thread.join();
    }
    queue.reset();
  }
  whistle::IncidentSink& sink() { return *ctx->incidents; }

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      boost::asio::make_work_guard(io)};
  Counters counters;
  config::Config cfg;
  std::shared_ptr<mqtt::Connection> local;
  std::unique_ptr<mqtt::Router> router;
  std::unique_ptr<ServiceContext> ctx;
  std::unique_ptr<Component> queue;
  std::thread thread;
};

whistle::Incident incident(whistle::Level level, int i) {
  whistle::Incident inc;
  inc.type = "door_held_open";
  inc.level = level;
  inc.source = "door-" + std::to_string(i % 50);
  inc.details = {{"n", i}, {"note", "bench"}};
  return inc;
}

int run() {
  initLogging("error");
  testing::MosquittoBroker local;
  testing::MosquittoBroker uplink(testing::BrokerOptions{0, "", false});
  local.start();
  uplink.start();
  std::cout << std::fixed << std::setprecision(1);

  // 1. Durable raise rate (no uplink: raise() cost only).
  {
    testing::TempDir dir;
    Harness h(dir.path().string(), std::nullopt, local.port());
    for (auto [level, n] : {std::pair{whistle::Level::kRoutine, 20000},
                            std::pair{whistle::Level::kEmergency, 2000}}) {
      auto t0 = Clk::now();
      for (int i = 0; i < n; ++i) {
        if (!h.sink().raise(incident(level, i)).ok) throw std::runtime_error("raise failed");
      }
      double s = secondsSince(t0);
      std::cout << "raise, " << whistle::toString(level)
                << (level == whistle::Level::kEmergency ? " (synchronous=FULL)" : " (synchronous=NORMAL)")
                << ": " << n << " whistles in " << s << " s = " << n / s << " whistles/s" << std::endl;
    }
  }

  // 2. Drain of a 100k backlog left by an outage.
  {
    testing::TempDir dir;
    const int kBacklog = 100000;
    {
      auto store = whistle::Store::open(dir.path().string() + "/whistles.db", nullptr);
      std::vector<whistle::NewWhistle> batch;
      for (int i = 0; i < kBacklog; ++i) {
        whistle::NewWhistle w;
        w.id = whistle::newWhistleId(1'800'000'000'000 + i);
        w.type = "door_held_open";
        w.level = i % 10 == 0 ? 2 : i % 3 == 0 ? 1 : 0;
        w.doc = json({{"schema", "shaobing.whistle/1"}, {"id", w.id}, {"site", "bench"}, {"n", i},
                      {"details", {{"note", std::string(200, 'x')}}}})
                    .dump();
        w.raised_ms = 1'800'000'000'000 + i;
        w.deadline_ms = w.raised_ms + 86400000LL * 365;
        w.outgoing.push_back({"grid", "grid/bench/whistle/x", w.doc, w.level});
        batch.push_back(std::move(w));
        if (batch.size() == 5000) {
          store->insert(batch, false);
          batch.clear();
        }
      }
    }
    Subscriber sub(uplink.uri(), "grid/bench/whistle/#");
    Harness h(dir.path().string(), uplink.port(), local.port());
    auto t0 = Clk::now();
    h.run();
    bool ok = sub.waitCount(kBacklog, std::chrono::seconds(600));
    double s = secondsSince(t0);
    std::cout << "drain after outage: " << (ok ? "" : "INCOMPLETE ") << kBacklog << " whistles in " << s
              << " s = " << kBacklog / s << " whistles/s (target >= 5000)" << std::endl;
  }

  // 3. Latency raise -> uplink subscriber, and the broker-only baseline.
  {
    testing::TempDir dir;
    Subscriber sub(uplink.uri(), "grid/bench/whistle/#");
    Harness h(dir.path().string(), uplink.port(), local.port());
    h.run();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // connected
    const int kN = 300;
    std::vector<double> e2e, base;
    for (int i = 0; i < kN; ++i) {
      whistle::Incident inc = incident(whistle::Level::kEmergency, i);
      std::string marker = "lat-" + std::to_string(i) + "-";
      inc.details["marker"] = marker;
      sub.await(marker);
      auto t0 = Clk::now();
      if (!h.sink().raise(std::move(inc)).ok) throw std::runtime_error("raise failed");
      auto at = sub.waitMarked(std::chrono::seconds(10));
      if (!at) throw std::runtime_error("whistle did not arrive");
      e2e.push_back(std::chrono::duration<double, std::milli>(*at - t0).count());
    }
    ::mqtt::async_client pub(uplink.uri(), "bench-pub", ::mqtt::create_options(MQTTVERSION_5));
    pub.connect(::mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).finalize())->wait();
    for (int i = 0; i < kN; ++i) {
      std::string marker = "base-" + std::to_string(i) + "-";
      sub.await(marker);
      auto t0 = Clk::now();
      pub.publish("grid/bench/whistle/emergency", "{\"m\":\"" + marker + "\"}", 1, false);
      auto at = sub.waitMarked(std::chrono::seconds(10));
      if (!at) throw std::runtime_error("baseline message did not arrive");
      base.push_back(std::chrono::duration<double, std::milli>(*at - t0).count());
    }
    pub.disconnect()->wait();
    std::cout << std::setprecision(2);
    std::cout << "latency raise -> uplink subscriber, emergency (incl. fsync), n=" << kN
              << ": p50 " << pct(e2e, 0.5) << " ms, p99 " << pct(e2e, 0.99)
              << " ms (target p99 <= 25 ms)\n";
    std::cout << "baseline broker-only QoS 1 round trip, n=" << kN << ": p50 " << pct(base, 0.5)
              << " ms, p99 " << pct(base, 0.99) << " ms\n";
    std::cout << "ratio whistle/baseline: p50 " << pct(e2e, 0.5) / pct(base, 0.5) << "x, p99 "
              << pct(e2e, 0.99) / pct(base, 0.99) << "x\n";
  }
  return 0;
}

}  // namespace
}  // namespace shaobing

int main() {
  try {
    return shaobing::run();
  } catch (const std::exception& e) {
    std::cerr << "shaobing-bench-whistle: " << e.what() << "\n";
    return 1;
  }
}
