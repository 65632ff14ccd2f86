// The ingest component; see ingest.h.
#include "gateway/ingest/ingest.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "drivers/driver.h"
#include "gateway/core/log.h"
#include "gateway/core/thread_name.h"
#include "gateway/daemon/liveness.h"
#include "gateway/ingest/journal.h"
#include "gateway/rules/engine.h"
#include "gateway/whistle/incident.h"

namespace shaobing::ingest {

namespace {

// Swallows incidents when no whistle queue exists (counted).
class NullSink : public whistle::IncidentSink {
 public:
  explicit NullSink(Counters& c) : counters_(c) {}
  whistle::RaiseResult raise(whistle::Incident) override {
    counters_.add("ingest.incidents_not_forwarded");
    return {false, false, "", "no whistle queue"};
  }
  void clear(const std::string&, const std::string&) override {}

 private:
  Counters& counters_;
};

class Ingest : public Component {
 public:
  Ingest(ServiceContext& ctx, const config::Config& cfg)
      : ctx_(ctx),
        cfg_(std::shared_ptr<const config::Config>(), &cfg),  // not owned: the daemon keeps it
        log_(logger("ingest")),
        bad_input_(log_),
        null_sink_(ctx.counters),
        rules_work_(boost::asio::make_work_guard(rules_io_)),
        tick_timer_(rules_io_),
        flush_timer_(rules_io_) {
    std::filesystem::create_directories(cfg.state_dir);
    journal_ = std::make_unique<Journal>(cfg.state_dir + "/inbound.db");
    for (const auto& name : drivers::driverNames()) drivers_[name] = drivers::createDriver(name);
    for (const auto& d : cfg.devices) {
      if (!d.driver.empty() && !drivers_.count(d.driver)) {
        throw std::runtime_error("device " + d.id + ": unknown driver '" + d.driver + "'");
      }
    }
    whistle::IncidentSink* sink = ctx.incidents;
    if (sink == nullptr) {
      log_->warn("no whistle queue: incidents are counted but not forwarded");
      sink = &null_sink_;
    }
    engine_ = rules::createRuleEngine(cfg, *sink, ctx.clock, *journal_);
    if (ctx.liveness != nullptr) ctx.liveness->watch("devices", Liveness::devicesOf(cfg));
    const std::string base = cfg.topicPrefix() + "/in/";
    prefix_ = base;
    for (const char* filter : {"access/+", "sensor/+", "camera/+/event", "report/+"}) {
      ctx.inbound.add(base + filter, 1, [this](const mqtt::Message& m) { onMessage(m); });
    }
    publishHealth();
  }

  std::string name() const override { return "ingest"; }

  // Devices, limits and rules follow the new snapshot at once. The Paho thread
  // reads the snapshot under a lock and keeps what it took until it is done.
  bool reconfigure(const std::shared_ptr<const config::Config>& next) override {
    for (const auto& d : next->devices) {
      if (!d.driver.empty() && !drivers_.count(d.driver)) {
        log_->error("reload: device {}: unknown driver '{}'; devices and rules not changed", d.id, d.driver);
        return false;
      }
    }
    {
      std::lock_guard<std::mutex> lock(cfg_mu_);
      cfg_ = next;
    }
    if (ctx_.liveness != nullptr) ctx_.liveness->watch("devices", Liveness::devicesOf(*next));
    boost::asio::post(rules_io_, [this, next] { engine_->reconfigure(next); });
    return true;
  }

  // The rules run on a thread of their own: decoding, rules and the whistle
  // inserts they cause (an emergency one waits for fsync) never hold up the
  // daemon's io thread.
  void start() override {
    boost::asio::post(rules_io_, [this] {
      auto rows = journal_->pending();
      if (!rows.empty()) log_->info("replaying {} journaled message(s) not yet processed", rows.size());
      for (auto& r : rows) process(r.id, r.topic, r.payload, r.received_ms);
      scheduleTick();
    });
    rules_thread_ = std::thread([this] {
      nameThisThread("rules");
      rules_io_.run();
    });
  }

  // Finishes the messages already handed over, marks them processed, then stops the thread.
  void stop(std::function<void()> done) override {
    stopped_ = true;
    boost::asio::post(rules_io_, [this] {
      tick_timer_.cancel();
      flush_timer_.cancel();
      journal_->markProcessed(processed_);
      processed_.clear();
      rules_work_.reset();
    });
    if (rules_thread_.joinable()) rules_thread_.join();
    done();
  }

  ~Ingest() override {
    rules_work_.reset();
    rules_io_.stop();
    if (rules_thread_.joinable()) rules_thread_.join();
  }

  nlohmann::json health() const override {
    nlohmann::json h;
    {
      std::lock_guard<std::mutex> lock(health_mu_);
      h = rules_health_;
    }
    h["journaled"] = journaled_.load();
    h["journal_failures"] = journal_failures_.load();
    return h;
  }

 private:
  // Paho's thread: journal, then hand over. PUBACK follows our return.
  void onMessage(const mqtt::Message& m) {
    int64_t now_ms = toUnixMillis(ctx_.clock.now());
    const std::shared_ptr<const config::Config> cfg = config();
    const bool report = m.topic.rfind(prefix_ + "report/", 0) == 0;
    const long long cap = report ? cfg->ingest.max_report_bytes : cfg->ingest.max_payload_bytes;
    if (static_cast<long long>(m.payload.size()) > cap) {
      reject(driverFor(*cfg, m.topic), drivers::Reject::kTooLarge, m.topic,
             std::to_string(m.payload.size()) + " bytes");
      return;
    }
    int64_t id = journal_->append(m.topic, m.payload, now_ms);
    if (id == 0) {
      ++journal_failures_;
      ctx_.counters.add("ingest.journal_failures");
    } else {
      ++journaled_;
    }
    boost::asio::post(rules_io_, [this, id, topic = m.topic, payload = m.payload, now_ms] {
      if (!stopped_) process(id, topic, payload, now_ms);
    });
  }

  // Splits shaobing/<site>/in/<family>/<device>[/event].
  bool parseTopic(const std::string& topic, std::string& family, std::string& device) const {
    if (topic.rfind(prefix_, 0) != 0) return false;
    std::string rest = topic.substr(prefix_.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) return false;
    family = rest.substr(0, slash);
    device = rest.substr(slash + 1);
    if (family == "camera") {
      auto s2 = device.find('/');
      if (s2 == std::string::npos) return false;
      device = device.substr(0, s2);
    }
    return !device.empty();
  }

  std::shared_ptr<const config::Config> config() const {
    std::lock_guard<std::mutex> lock(cfg_mu_);
    return cfg_;
  }

  std::string driverFor(const config::Config& cfg, const std::string& topic) const {
    std::string family, device;
    parseTopic(topic, family, device);
    if (family == "report") return "shaobing-report-v1";
    if (const auto* d = cfg.findDevice(device); d && !d->driver.empty()) return d->driver;
    if (family == "sensor") return "shaobing-sensor-v1";
    if (family == "camera") return "shaobing-camera-event-v1";
    return "shaobing-access-v1";
  }

  void reject(const std::string& driver, drivers::Reject why, const std::string& topic,
              const std::string& detail) {
    std::string reason = drivers::toString(why);
    ctx_.counters.add("driver." + driver + ".rejected." + reason);
    bad_input_.warn(driver + "/" + reason,
                    "rejected message on " + topic + " (" + driver + ", " + reason + "): " + detail);
  }

  void process(int64_t id, const std::string& topic, const std::string& payload, int64_t received_ms) {
    if (id != 0) {
      processed_.push_back(id);
      scheduleFlush();
    }
    const std::shared_ptr<const config::Config> cfg = config();
    std::string family, device;
    std::string driver_name = driverFor(*cfg, topic);
    if (!parseTopic(topic, family, device)) {
      reject(driver_name, drivers::Reject::kUnknownDevice, topic, "unexpected topic");
      return;
    }
    const config::DeviceConfig* dev = cfg->findDevice(device);
    if (dev == nullptr && family != "report") {  // reporters are people, not configured devices
      reject(driver_name, drivers::Reject::kUnknownDevice, topic, "device '" + device + "' is not configured");
      return;
    }
    // Any message is a sign of life, even one its driver cannot read.
    if (dev != nullptr && ctx_.liveness != nullptr) ctx_.liveness->seen(device);
    drivers::DecodeResult r = drivers_.at(driver_name)->decode(device, payload);
    if (r.error) {
      reject(driver_name, *r.error, topic, r.detail);
      return;
    }
    SystemTime received = fromUnixMillis(received_ms);
    for (const auto& e : r.events) {
      if (e.at) {
        double skew = std::abs(std::chrono::duration<double>(*e.at - received).count());
        if (skew > cfg->ingest.max_clock_skew_s) {
          reject(driver_name, drivers::Reject::kBadTimestamp, topic,
                 "timestamp " + formatRfc3339(*e.at) + " is " + std::to_string(static_cast<int64_t>(skew)) +
                     " s from the receive time");
          return;
        }
      }
    }
    for (const auto& e : r.events) {
      ctx_.counters.add("driver." + driver_name + ".events");
      engine_->onEvent(e);
    }
  }

  // Rules thread, once a second (tick): the engine's figures for health(),
  // read on the io thread.
  void publishHealth() {
    nlohmann::json h = engine_->health();
    std::lock_guard<std::mutex> lock(health_mu_);
    rules_health_ = std::move(h);
  }

  void scheduleFlush() {
    if (flush_pending_ || stopped_) return;
    flush_pending_ = true;
    flush_timer_.expires_after(std::chrono::milliseconds(100));
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
      flush_pending_ = false;
      if (ec) return;
      journal_->markProcessed(processed_);
      processed_.clear();
    });
  }

  void scheduleTick() {
    tick_timer_.expires_after(std::chrono::seconds(1));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      engine_->tick();
      publishHealth();
      if (++ticks_ % 600 == 0) journal_->prune(100000);
      scheduleTick();
    });
  }

  ServiceContext& ctx_;
  mutable std::mutex cfg_mu_;
  std::shared_ptr<const config::Config> cfg_;  // the current snapshot
  std::shared_ptr<spdlog::logger> log_;
  RateLimitedLog bad_input_;
  NullSink null_sink_;
  std::unique_ptr<Journal> journal_;
  std::map<std::string, std::unique_ptr<drivers::Driver>> drivers_;
  std::unique_ptr<rules::RuleEngine> engine_;  // rules thread only
  std::string prefix_;
  boost::asio::io_context rules_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> rules_work_;
  std::thread rules_thread_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer flush_timer_;
  std::vector<int64_t> processed_;
  bool flush_pending_ = false;
  std::atomic<bool> stopped_{false};
  mutable std::mutex health_mu_;
  nlohmann::json rules_health_ = nlohmann::json::object();
  uint64_t ticks_ = 0;
  std::atomic<uint64_t> journaled_{0}, journal_failures_{0};
};

}  // namespace

std::unique_ptr<Component> createIngest(ServiceContext& ctx, const config::Config& cfg) {
  return std::make_unique<Ingest>(ctx, cfg);
}

}  // namespace shaobing::ingest
