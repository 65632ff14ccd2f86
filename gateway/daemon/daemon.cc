// shaobingd's life cycle: connect, announce, serve, reload, stop.
#include "gateway/daemon/daemon.h"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <filesystem>

#include "gateway/core/clock.h"
#include "gateway/core/counters.h"
#include "gateway/core/log.h"
#include "gateway/core/systemd.h"
#include "gateway/daemon/component.h"
#include "gateway/daemon/liveness.h"
#include "gateway/daemon/registry.h"
#include "gateway/mqtt/connection.h"
#include "gateway/version.h"

namespace shaobing {

namespace {
constexpr auto kStopBudget = std::chrono::milliseconds(4500);
}

class Daemon::Impl {
 public:
  Impl(config::Config cfg, ComponentFactory components)
      : start_(std::make_shared<const config::Config>(std::move(cfg))),
        cfg_(start_),
        build_components_(std::move(components)),
        log_(logger("daemon")),
        signals_(io_, SIGTERM, SIGINT, SIGHUP),
        health_timer_(io_),
        liveness_timer_(io_),
        watchdog_timer_(io_),
        stop_deadline_(io_),
        started_at_(std::chrono::system_clock::now()),
        started_steady_(std::chrono::steady_clock::now()) {}

  int run() {
    std::error_code ec;
    std::filesystem::create_directories(cfg_->state_dir, ec);
    if (ec) {
      log_->error("cannot create state directory {}: {}", cfg_->state_dir, ec.message());
      return 1;
    }

    mqtt::Will will{statusTopic(), statusJson("offline"), 1, true};
    local_ = mqtt::createPahoConnection(io_, cfg_->local_broker, will, "local");
    local_->setStateHandler([this](bool up) {
      if (up) {
        publishStatus("online");
        publishHealth();
      }
    });

    router_ = std::make_unique<mqtt::Router>(local_);
    local_->setInboundHandler([this](const mqtt::Message& m) {
      if (router_->dispatch(m) == 0) counters_.add("inbound_unrouted");
    });
    ctx_ = std::make_unique<ServiceContext>(
        ServiceContext{io_, systemClock(), counters_, *start_, local_, *router_, nullptr});
    liveness_ = std::make_unique<Liveness>(systemClock(), cfg_->state_dir + "/liveness.json");
    ctx_->liveness = liveness_.get();
    try {
      components_ = build_components_ ? build_components_(*ctx_, *start_) : buildCoreComponents(*ctx_, *start_);
    } catch (const std::exception& e) {
      log_->error("start-up failed: {}", e.what());
      return 1;
    }
    liveness_->setSink(ctx_->incidents);

    local_->start();
    for (auto& c : components_) c->start();

    signals_.async_wait([this](const boost::system::error_code& e, int sig) { onSignal(e, sig); });
    scheduleHealth();
    scheduleLiveness();
    startWatchdog();

    log_->info("shaobingd {} started for site '{}' (config {}, state {})", kVersion, cfg_->site.id,
               cfg_->source_path, cfg_->state_dir);
    systemd::notifyReady("site " + cfg_->site.id);

    io_.run();

    // Components hold references into the io_context: release them first.
    liveness_->setSink(nullptr);
    components_.clear();
    local_.reset();
    ctx_.reset();
    router_.reset();
    log_->info("stopped");
    return exit_code_;
  }

 private:
  std::string statusTopic() const { return cfg_->topicPrefix() + "/status"; }

  std::string statusJson(const std::string& state) const {
    nlohmann::json j = {{"state", state},
                        {"site", cfg_->site.id},
                        {"version", kVersion},
                        {"pid", static_cast<int>(::getpid())},
                        {"at", formatRfc3339(std::chrono::system_clock::now())}};
    return j.dump();
  }

  void publishStatus(const std::string& state, mqtt::PublishDone done = {}) {
    local_->publish(mqtt::Message{statusTopic(), statusJson(state), 1, true, false, {}},
                    std::move(done));
  }

  nlohmann::json healthJson() const {
    auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady_);
    nlohmann::json j;
    j["site"] = cfg_->site.id;
    j["version"] = kVersion;
    j["pid"] = static_cast<int>(::getpid());
    j["time"] = formatRfc3339(std::chrono::system_clock::now());
    j["started_at"] = formatRfc3339(started_at_);
    j["uptime_s"] = std::round(uptime.count() * 10) / 10;
    j["config"] = {{"path", cfg_->source_path},
                   {"generation", config_generation_},
                   {"health_interval_s", cfg_->health.interval_s}};
    j["connections"]["local"] = mqtt::toJson(local_->stats());
    nlohmann::json comps = nlohmann::json::object();
    for (const auto& c : components_) {
      auto h = c->health();
      if (!h.is_null() && !(h.is_object() && h.empty())) comps[c->name()] = h;
      // Components may report connections of their own (the uplink).
      if (h.is_object() && h.contains("connection")) j["connections"][c->name()] = h["connection"];
    }
    j["components"] = comps;
    j["liveness"] = liveness_->health();
    j["counters"] = counters_.snapshot();
    return j;
  }

  void publishHealth() {
    if (stopping_) return;
    local_->publish(
        mqtt::Message{cfg_->topicPrefix() + "/health", healthJson().dump(), 0, false, false, {}});
  }

  void scheduleHealth() {
    health_timer_.expires_after(
        std::chrono::milliseconds(static_cast<int64_t>(cfg_->health.interval_s * 1000)));
    health_timer_.async_wait([this](const boost::system::error_code& e) {
      if (e || stopping_) return;
      publishHealth();
      scheduleHealth();
    });
  }

  // Sources silent too long raise device_offline (gateway/daemon/liveness.h).
  void scheduleLiveness() {
    liveness_timer_.expires_after(std::chrono::seconds(1));
    liveness_timer_.async_wait([this](const boost::system::error_code& e) {
      if (e || stopping_) return;
      liveness_->check();
      scheduleLiveness();
    });
  }

  void startWatchdog() {
    auto interval = systemd::watchdogInterval();
    if (!interval) return;
    watchdog_period_ = *interval / 2;
    log_->info("systemd watchdog every {} ms", watchdog_period_.count() / 1000);
    pingWatchdog();
  }

  void pingWatchdog() {
    systemd::notifyWatchdog();
    watchdog_timer_.expires_after(watchdog_period_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) pingWatchdog();
    });
  }

  void onSignal(const boost::system::error_code& e, int sig) {
    if (e) return;
    if (sig == SIGHUP) {
      reload();
      signals_.async_wait(
          [this](const boost::system::error_code& e2, int s2) { onSignal(e2, s2); });
      return;
    }
    log_->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    shutdown();
  }

  void reload() {
    systemd::notifyReloading();
    const std::string path = cfg_->source_path;
    log_->info("SIGHUP: reloading {}", path);
    config::LoadResult result = config::loadConfigFile(path);
    if (!result.ok()) {
      for (const auto& m : result.messages()) log_->error("{}", m);
      log_->error("reload rejected: {} problem(s); still running on the previous configuration",
                  result.diagnostics.items().size());
      counters_.add("config_reload_rejected");
      systemd::notifyReady("reload rejected");
      return;
    }
    config::Config next = std::move(*result.config);
    std::vector<std::string> need_restart;
    if (next.site.id != cfg_->site.id) need_restart.push_back("site.id");
    if (next.local_broker.uri() != cfg_->local_broker.uri() ||
        next.local_broker.client_id != cfg_->local_broker.client_id ||
        next.local_broker.username != cfg_->local_broker.username) {
      need_restart.push_back("local_broker");
    }
    if (next.state_dir != cfg_->state_dir) need_restart.push_back("state_dir");
    // Keep what needs a restart as it runs now.
    next.site = cfg_->site;
    next.local_broker = cfg_->local_broker;
    next.state_dir = cfg_->state_dir;
    // A new immutable snapshot: components swap to it; threads still reading
    // the previous one keep it alive until they let go.
    auto snapshot = std::make_shared<const config::Config>(std::move(next));
    for (auto& c : components_) {
      if (!c->reconfigure(snapshot)) need_restart.push_back(c->name());
    }
    for (const auto& what : need_restart) {
      log_->warn("reload: changes to {} take effect after a restart", what);
    }
    cfg_ = std::move(snapshot);
    setLogLevel(cfg_->log.level);
    ++config_generation_;
    counters_.add("config_reloads");
    health_timer_.cancel();
    scheduleHealth();
    log_->info("configuration reloaded (generation {})", config_generation_);
    publishHealth();
    systemd::notifyReady("reloaded");
  }

  void shutdown() {
    if (stopping_) return;
    stopping_ = true;
    systemd::notifyStopping();
    signals_.cancel();
    health_timer_.cancel();
    liveness_timer_.cancel();
    liveness_->persist();
    stop_deadline_.expires_after(kStopBudget);
    stop_deadline_.async_wait([this](const boost::system::error_code& e) {
      if (e) return;
      log_->warn("shutdown took longer than {} ms; exiting anyway", kStopBudget.count());
      io_.stop();
    });
    stopComponents(components_.size());
  }

  // Stops components newest first, then announces and disconnects.
  void stopComponents(size_t remaining) {
    if (remaining == 0) {
      finishShutdown();
      return;
    }
    components_[remaining - 1]->stop([this, remaining] { stopComponents(remaining - 1); });
  }

  void finishShutdown() {
    auto disconnect = [this] {
      local_->stop(std::chrono::milliseconds(1000), [this] {
        watchdog_timer_.cancel();
        stop_deadline_.cancel();
        io_.stop();
      });
    };
    if (!local_->isConnected()) {
      disconnect();
      return;
    }
    publishStatus("stopped", [disconnect, this](bool ok, const std::string& err) {
      if (!ok) log_->warn("could not publish stopped status: {}", err);
      disconnect();
    });
  }

  // The configuration at start: ServiceContext::config and the components are
  // built on it; never changed, alive for the daemon's life.
  std::shared_ptr<const config::Config> start_;
  std::shared_ptr<const config::Config> cfg_;  // the current snapshot (io thread)
  ComponentFactory build_components_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer health_timer_;
  boost::asio::steady_timer liveness_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer stop_deadline_;
  std::chrono::microseconds watchdog_period_{0};
  Counters counters_;
  std::shared_ptr<mqtt::Connection> local_;
  std::unique_ptr<mqtt::Router> router_;
  std::unique_ptr<ServiceContext> ctx_;
  std::unique_ptr<Liveness> liveness_;  // outlives the components that report to it
  std::vector<std::unique_ptr<Component>> components_;
  SystemTime started_at_;
  SteadyTime started_steady_;
  uint64_t config_generation_ = 1;
  bool stopping_ = false;
  int exit_code_ = 0;
};

Daemon::Daemon(config::Config cfg, ComponentFactory components)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(components))) {}
Daemon::~Daemon() = default;
int Daemon::run() { return impl_->run(); }

}  // namespace shaobing
