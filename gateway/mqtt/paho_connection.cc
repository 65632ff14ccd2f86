// Connection over Eclipse Paho C++ (async_client, MQTT v5, persistent
// session). Reconnects are ours, not Paho's: Paho's automatic reconnect has
// no jitter, and a fleet of boxes reconnecting in lockstep after a broker
// restart is exactly what jitter avoids.
#include <mqtt/async_client.h>

#include <atomic>
#include <cmath>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <random>

#include "gateway/core/clock.h"
#include "gateway/core/log.h"
#include "gateway/mqtt/connection.h"

namespace shaobing::mqtt {

const std::string* Message::userProperty(const std::string& name) const {
  for (const auto& [k, v] : user_properties) {
    if (k == name) return &v;
  }
  return nullptr;
}

const char* toString(LinkState s) {
  switch (s) {
    case LinkState::kIdle:
      return "idle";
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kConnected:
      return "connected";
    case LinkState::kWaitingRetry:
      return "waiting_retry";
    case LinkState::kStopping:
      return "stopping";
    case LinkState::kStopped:
      return "stopped";
  }
  return "unknown";
}

nlohmann::json toJson(const LinkStats& s) {
  nlohmann::json j = {{"state", toString(s.state)},
                      {"connects", s.connects},
                      {"connect_failures", s.connect_failures},
                      {"connection_losses", s.connection_losses},
                      {"published", s.published},
                      {"publish_failures", s.publish_failures},
                      {"received", s.received}};
  if (!s.last_error.empty()) j["last_error"] = s.last_error;
  if (s.connected_since) j["connected_since"] = formatRfc3339(*s.connected_since);
  return j;
}

namespace {

// One listener serves every asynchronous operation of a connection: the
// operation's completion function travels as Paho's user context, is called
// once on Paho's thread and then freed.
using OpDone = std::function<void(bool ok, const std::string& error)>;

std::string describeFailure(const ::mqtt::token& tok);

class OpListener : public ::mqtt::iaction_listener {
 public:
  static void* context(OpDone fn) { return new OpDone(std::move(fn)); }
  static void release(void* ctx) { delete static_cast<OpDone*>(ctx); }

  void on_success(const ::mqtt::token& tok) override { finish(tok, true); }
  void on_failure(const ::mqtt::token& tok) override { finish(tok, false); }

 private:
  static void finish(const ::mqtt::token& tok, bool ok) {
    auto* fn = static_cast<OpDone*>(tok.get_user_context());
    if (fn == nullptr) return;
    (*fn)(ok, ok ? std::string() : describeFailure(tok));
    delete fn;
  }
};

std::string describeFailure(const ::mqtt::token& tok) {
  std::string s = "rc=" + std::to_string(tok.get_return_code());
  if (tok.get_reason_code() != ::mqtt::SUCCESS) {
    s += " reason=" + std::to_string(static_cast<int>(tok.get_reason_code()));
  }
  return s;
}

class PahoConnection : public Connection, public std::enable_shared_from_this<PahoConnection> {
 public:
  PahoConnection(boost::asio::io_context& io, const config::BrokerConfig& cfg,
                 std::optional<Will> will, std::string name)
      : io_(io),
        cfg_(cfg),
        will_(std::move(will)),
        name_(std::move(name)),
        log_(logger("mqtt." + name_)),
        retry_timer_(io),
        rng_(std::random_device{}()) {
    client_ = std::make_unique<::mqtt::async_client>(cfg_.uri(), cfg_.client_id,
                                                     ::mqtt::create_options(MQTTVERSION_5));
  }

  ~PahoConnection() override {
    try {
      if (client_->is_connected()) client_->disconnect(std::chrono::milliseconds(500))->wait_for(1000);
    } catch (const std::exception&) {
      // Shutting down anyway.
    }
  }

  void setInboundHandler(InboundHandler handler) override { inbound_ = std::move(handler); }
  void setStateHandler(StateHandler handler) override { on_state_ = std::move(handler); }

  void start() override {
    std::weak_ptr<PahoConnection> weak = weak_from_this();
    client_->set_message_callback([this](::mqtt::const_message_ptr m) { onMessage(m); });
    client_->set_connection_lost_handler([weak, this](const std::string& cause) {
      if (auto self = weak.lock()) {
        boost::asio::post(io_, [weak, cause] {
          if (auto s = weak.lock()) s->onLost(cause);
        });
      }
    });
    connect();
  }

  void publish(Message msg, PublishDone done) override {
    if (state_ != LinkState::kConnected) {
      ++stats_.publish_failures;
      if (done) {
        boost::asio::post(io_, [done] { done(false, "not connected"); });
      }
      return;
    }
    auto pm = ::mqtt::make_message(msg.topic, msg.payload, msg.qos, msg.retain);
    if (!msg.user_properties.empty()) {
      ::mqtt::properties props;
      for (const auto& [k, v] : msg.user_properties) {
        props.add(::mqtt::property(::mqtt::property::USER_PROPERTY, k, v));
      }
      pm->set_properties(props);
    }
    std::weak_ptr<PahoConnection> weak = weak_from_this();
    void* ctx = OpListener::context([this, weak, done](bool ok, const std::string& err) {
      boost::asio::post(io_, [weak, done, ok, err] {
        if (auto s = weak.lock()) {
          if (ok) {
            ++s->stats_.published;
          } else {
            ++s->stats_.publish_failures;
          }
        }
        if (done) done(ok, err);
      });
    });
    try {
      client_->publish(pm, ctx, listener_);
    } catch (const ::mqtt::exception& e) {
      OpListener::release(ctx);
      ++stats_.publish_failures;
      std::string err = e.what();
      if (done) boost::asio::post(io_, [done, err] { done(false, err); });
    }
  }

  void subscribe(const std::string& filter, int qos) override {
    subscriptions_.emplace_back(filter, qos);
    if (state_ == LinkState::kConnected) subscribeOne(filter, qos);
  }

  void stop(std::chrono::milliseconds timeout, std::function<void()> done) override {
    retry_timer_.cancel();
    bool was_connected = state_ == LinkState::kConnected;
    state_ = LinkState::kStopping;
    if (!was_connected) {
      state_ = LinkState::kStopped;
      boost::asio::post(io_, std::move(done));
      return;
    }
    auto finished = std::make_shared<std::atomic<bool>>(false);
    auto finish = [this, finished, done]() {
      if (finished->exchange(true)) return;
      state_ = LinkState::kStopped;
      if (done) done();
    };
    auto guard = std::make_shared<boost::asio::steady_timer>(io_, timeout);
    guard->async_wait([finish, guard](const boost::system::error_code&) { finish(); });
    std::weak_ptr<PahoConnection> weak = weak_from_this();
    void* ctx = OpListener::context([this, weak, finish, guard](bool, const std::string&) {
      boost::asio::post(io_, [weak, finish, guard] {
        if (weak.lock()) {
          guard->cancel();
          finish();
        }
      });
    });
    try {
      client_->disconnect(static_cast<int>(timeout.count() / 2), ctx, listener_);
    } catch (const ::mqtt::exception& e) {
      OpListener::release(ctx);
      log_->warn("disconnect failed: {}", e.what());
      guard->cancel();
    }
  }

  bool isConnected() const override { return state_ == LinkState::kConnected; }

  LinkStats stats() const override {
    LinkStats s = stats_;
    s.state = state_;
    s.received = received_.load();
    return s;
  }

 private:
  ::mqtt::connect_options buildOptions() {
    ::mqtt::properties props;
    props.add(::mqtt::property(::mqtt::property::SESSION_EXPIRY_INTERVAL,
                               static_cast<uint32_t>(cfg_.session_expiry_s)));
    auto b = ::mqtt::connect_options_builder()
                 .mqtt_version(MQTTVERSION_5)
                 .clean_start(cfg_.session_expiry_s == 0)
                 .properties(props)
                 .keep_alive_interval(std::chrono::seconds(cfg_.keepalive_s))
                 .connect_timeout(std::chrono::seconds(10))
                 .automatic_reconnect(false)
                 .max_inflight(256);
    if (!cfg_.username.empty()) b.user_name(cfg_.username);
    if (!cfg_.password.empty()) b.password(cfg_.password);
    if (will_) {
      b.will(::mqtt::message(will_->topic, will_->payload, will_->qos, will_->retain));
    }
    if (cfg_.tls.enabled) {
      auto ssl = ::mqtt::ssl_options_builder();
      if (!cfg_.tls.ca_file.empty()) ssl.trust_store(cfg_.tls.ca_file);
      if (!cfg_.tls.cert_file.empty()) ssl.key_store(cfg_.tls.cert_file);
      if (!cfg_.tls.key_file.empty()) ssl.private_key(cfg_.tls.key_file);
      ssl.enable_server_cert_auth(true);
      ssl.verify(cfg_.tls.verify_hostname);
      ssl.error_handler([log = log_](const std::string& msg) { log->warn("TLS: {}", msg); });
      b.ssl(ssl.finalize());
    }
    return b.finalize();
  }

  void connect() {
    if (state_ == LinkState::kStopping || state_ == LinkState::kStopped) return;
    state_ = LinkState::kConnecting;
    std::weak_ptr<PahoConnection> weak = weak_from_this();
    void* ctx = OpListener::context([this, weak](bool ok, const std::string& err) {
      boost::asio::post(io_, [weak, ok, err] {
        auto s = weak.lock();
        if (!s) return;
        if (ok) {
          s->onConnected();
        } else {
          s->onConnectFailed(err);
        }
      });
    });
    try {
      client_->connect(buildOptions(), ctx, listener_);
    } catch (const ::mqtt::exception& e) {
      OpListener::release(ctx);
      boost::asio::post(io_, [weak, err = std::string(e.what())] {
        if (auto s = weak.lock()) s->onConnectFailed(err);
      });
    }
  }

  void onConnected() {
    if (state_ == LinkState::kStopping || state_ == LinkState::kStopped) return;
    state_ = LinkState::kConnected;
    attempts_ = 0;
    ++stats_.connects;
    stats_.connected_since = std::chrono::system_clock::now();
    log_->info("connected to {} as {}", cfg_.uri(), cfg_.client_id);
    for (const auto& [filter, qos] : subscriptions_) subscribeOne(filter, qos);
    if (on_state_) on_state_(true);
  }

  void onConnectFailed(const std::string& err) {
    if (state_ == LinkState::kStopping || state_ == LinkState::kStopped) return;
    ++stats_.connect_failures;
    stats_.last_error = "connect failed: " + err;
    // Only the first failure of a series is worth a warning.
    if (attempts_ == 0) {
      log_->warn("cannot connect to {}: {}; retrying", cfg_.uri(), err);
    } else {
      log_->debug("connect attempt {} to {} failed: {}", attempts_ + 1, cfg_.uri(), err);
    }
    scheduleRetry();
  }

  void onLost(const std::string& cause) {
    if (state_ != LinkState::kConnected) return;
    ++stats_.connection_losses;
    stats_.connected_since.reset();
    stats_.last_error = "connection lost: " + cause;
    log_->warn("connection to {} lost: {}", cfg_.uri(), cause.empty() ? "no reason given" : cause);
    state_ = LinkState::kWaitingRetry;
    if (on_state_) on_state_(false);
    scheduleRetry();
  }

  void scheduleRetry() {
    state_ = LinkState::kWaitingRetry;
    double base = std::min(cfg_.reconnect_max_s, cfg_.reconnect_min_s * std::pow(2.0, attempts_));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    double delay = base * jitter(rng_);
    ++attempts_;
    retry_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(delay * 1000)));
    std::weak_ptr<PahoConnection> weak = weak_from_this();
    retry_timer_.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: stopping
      if (auto s = weak.lock()) s->connect();
    });
  }

  void subscribeOne(const std::string& filter, int qos) {
    auto log = log_;
    void* ctx = OpListener::context([log, filter](bool ok, const std::string& err) {
      if (!ok) log->error("subscribe to '{}' failed: {}", filter, err);
    });
    try {
      client_->subscribe(filter, qos, ctx, listener_);
    } catch (const ::mqtt::exception& e) {
      OpListener::release(ctx);
      log_->error("subscribe to '{}' failed: {}", filter, e.what());
    }
  }

  // Paho's receive thread.
  void onMessage(const ::mqtt::const_message_ptr& m) {
    if (!m) return;
    received_.fetch_add(1);
    if (!inbound_) return;
    Message msg;
    msg.topic = m->get_topic();
    msg.payload = m->get_payload_str();
    msg.qos = m->get_qos();
    msg.retain = m->is_retained();
    msg.dup = m->is_duplicate();
    const auto& props = m->get_properties();
    size_t n = props.count(::mqtt::property::USER_PROPERTY);
    for (size_t i = 0; i < n; ++i) {
      try {
        auto pair = ::mqtt::get<::mqtt::string_pair>(props, ::mqtt::property::USER_PROPERTY, i);
        msg.user_properties.emplace_back(std::get<0>(pair), std::get<1>(pair));
      } catch (const std::exception&) {
        break;
      }
    }
    try {
      inbound_(msg);
    } catch (const std::exception& e) {
      log_->error("inbound handler failed on '{}': {}", msg.topic, e.what());
    }
  }

  boost::asio::io_context& io_;
  config::BrokerConfig cfg_;
  std::optional<Will> will_;
  std::string name_;
  std::shared_ptr<spdlog::logger> log_;
  OpListener listener_;  // declared before client_: outlives it
  std::unique_ptr<::mqtt::async_client> client_;
  boost::asio::steady_timer retry_timer_;
  std::mt19937 rng_;
  InboundHandler inbound_;
  StateHandler on_state_;
  LinkState state_ = LinkState::kIdle;
  int attempts_ = 0;
  LinkStats stats_;
  std::atomic<uint64_t> received_{0};
  std::vector<std::pair<std::string, int>> subscriptions_;
};

}  // namespace

std::shared_ptr<Connection> createPahoConnection(boost::asio::io_context& io,
                                                 const config::BrokerConfig& cfg,
                                                 std::optional<Will> will, std::string name) {
  return std::make_shared<PahoConnection>(io, cfg, std::move(will), std::move(name));
}

}  // namespace shaobing::mqtt
