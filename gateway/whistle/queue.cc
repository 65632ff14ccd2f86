// The whistle queue component; see queue.h and docs/whistles.md.
#include "gateway/whistle/queue.h"

#include <boost/asio/post.hpp>
#include <cmath>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "gateway/core/log.h"
#include "gateway/whistle/encoding.h"
#include "gateway/whistle/incident.h"
#include "gateway/whistle/store.h"

namespace shaobing::whistle {

namespace {

constexpr const char* kSchema = "shaobing.whistle/1";
constexpr const char* kEvidenceSchema = "shaobing.evidence/1";
constexpr const char* kClearedSchema = "shaobing.cleared/1";

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

// The topic of a whistle's evidence item `index`: the first on .../<id>, then .../<id>/<n>.
std::string evidenceTopic(const std::string& site, const std::string& id, size_t index) {
  const std::string base = "grid/" + site + "/evidence/" + id;
  return index == 0 ? base : base + "/" + std::to_string(index);
}

// The evidence's bytes: held in memory, else read from its file (false when unreadable).
bool evidenceBytes(const EvidenceItem& item, std::string* bytes) {
  *bytes = item.bytes;
  if (!bytes->empty() || item.path.empty()) return true;
  std::ifstream f(item.path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f) return false;
  *bytes = ss.str();
  return true;
}

// An item of a whistle's `evidence` list (docs/whistles.md). An empty `topic`:
// the bytes are withheld from the uplink (larger than whistles.evidence_max_size).
nlohmann::json evidenceEntry(const EvidenceItem& item, const std::string& path, const std::string& bytes,
                             const std::string& topic) {
  nlohmann::json e = {{"kind", item.kind},
                      {"content_type", item.content_type},
                      {"sha256", sha256Hex(bytes)},
                      {"bytes", bytes.size()}};
  if (topic.empty()) {
    e["published"] = false;
  } else {
    e["topic"] = topic;
  }
  if (!path.empty()) e["path"] = path;
  return e;
}

nlohmann::json locationJson(const config::Location& loc) {
  nlohmann::json j = nlohmann::json::object();
  if (!loc.building.empty()) j["building"] = loc.building;
  if (!loc.unit.empty()) j["unit"] = loc.unit;
  if (loc.floor) j["floor"] = *loc.floor;
  if (!loc.text.empty()) j["text"] = loc.text;
  return j;
}

class WhistleQueue final : public Component, public IncidentSink {
 public:
  WhistleQueue(ServiceContext& ctx, const config::Config& cfg,
               std::shared_ptr<mqtt::Connection> uplink)
      : ctx_(ctx),
        cfg_(cfg),
        wcfg_(cfg.whistles),
        devices_(std::shared_ptr<const config::Config>(), &cfg),  // not owned: the daemon keeps it
        uplink_(std::move(uplink)),
        log_(logger("whistle")),
        rlog_(log_),
        timer_(ctx.io),
        rng_(std::random_device{}()) {
    std::string fault;
    store_ = Store::open(wcfg_.db_path, &fault);
    if (!fault.empty()) {
      log_->error("{}", fault);
      ctx_.counters.add("whistle.db_corrupt");
      Incident inc;
      inc.type = "device_offline";
      inc.level = Level::kPriority;
      inc.source = "shaobingd";
      inc.details = {{"fault", "whistle_db_corrupt"}, {"message", fault}};
      raise(std::move(inc));
    }
  }

  std::string name() const override { return "uplink"; }

  void start() override {
    if (uplink_) {
      uplink_->setInboundHandler([this](const mqtt::Message& m) { onAck(m); });
      uplink_->setStateHandler([this](bool connected) {
        if (connected) boost::asio::post(ctx_.io, [this] { pump(); });
      });
      uplink_->subscribe("grid/" + cfg_.site.id + "/ack", 1);
      uplink_->start();
    }
    tick();
  }

  void stop(std::function<void()> done) override {
    stopping_ = true;
    timer_.cancel();
    flushDelivered();
    if (!uplink_) {
      done();
      return;
    }
    uplink_->stop(std::chrono::milliseconds(1500), std::move(done));
  }

  // The store, routes and uplink are fixed for the process's life; devices'
  // grids, zones and locations follow the new snapshot.
  bool reconfigure(const std::shared_ptr<const config::Config>& next) override {
    {
      std::lock_guard<std::mutex> lock(devices_mu_);
      devices_ = next;
    }
    bool same_uplink = next->uplink.has_value() == cfg_.uplink.has_value() &&
                       (!next->uplink || (next->uplink->uri() == cfg_.uplink->uri() &&
                                          next->uplink->client_id == cfg_.uplink->client_id));
    return same_uplink && next->whistles == wcfg_;
  }

  nlohmann::json health() const override {
    nlohmann::json j;
    if (uplink_) j["connection"] = mqtt::toJson(uplink_->stats());
    nlohmann::json depth = nlohmann::json::object();
    for (const auto& [key, n] : store_->depth()) depth[key] = n;
    j["queue_depth"] = depth;
    j["in_flight"] = in_flight_count_.load();
    j["raised"] = raised_.load();
    j["folded"] = folded_.load();
    j["delivered"] = delivered_.load();
    j["dropped"] = dropped_.load();
    j["escalations"] = escalations_.load();
    j["acks_applied"] = acks_applied_.load();
    j["ack_errors"] = ack_errors_.load();
    j["db_bytes"] = store_->usedBytes();
    return j;
  }

  RaiseResult raise(Incident inc) override {
    RaiseResult res;
    try {
      if (!inc.incident_key.empty()) {
        if (auto open = store_->openForKey(inc.incident_key)) {
          res.ok = true;
          res.folded = true;
          res.whistle_id = *open;
          ++folded_;
          return res;
        }
      }
      NewWhistle nw = build(inc);
      bool sync = nw.level == static_cast<int>(Level::kEmergency);
      store_->insert({nw}, sync);
      ++raised_;
      ctx_.counters.add("whistle.raised");
      res.ok = true;
      res.whistle_id = nw.id;
      log_->info("whistle {} raised: {} {} from {}", nw.id, nw.type,
                 toString(static_cast<Level>(nw.level)), inc.source);
      boost::asio::post(ctx_.io, [this] { pump(); });
    } catch (const std::exception& e) {
      ctx_.counters.add("whistle.raise_errors");
      log_->error("cannot store whistle ({}): {}", inc.type, e.what());
      res.error = e.what();
    }
    return res;
  }

  // Later incidents with the key whistle anew; the open whistle gets a closing
  // notice (docs/whistles.md) so the platform and the police learn it is over.
  void clear(const std::string& incident_key, const std::string& reason) override {
    try {
      const std::optional<std::string> open = store_->openForKey(incident_key);
      store_->clearKey(incident_key);
      log_->info("incident {} cleared: {}", incident_key, reason);
      if (!open) return;
      const std::string cleared_at = formatRfc3339(ctx_.clock.now());
      store_->amend(*open, [&](WhistleRow& row) {
        const nlohmann::json notice = {{"schema", kClearedSchema},
                                       {"whistle_id", row.id},
                                       {"type", row.type},
                                       {"level", toString(static_cast<Level>(row.level))},
                                       {"escalation", row.escalation},
                                       {"incident_key", incident_key},
                                       {"cleared_at", cleared_at},
                                       {"reason", reason}};
        return std::vector<Outgoing>{
            {"notice", "grid/" + cfg_.site.id + "/cleared/" + row.id, notice.dump(), row.level}};
      });
      ctx_.counters.add("whistle.cleared");
      boost::asio::post(ctx_.io, [this] { pump(); });
    } catch (const std::exception& e) {
      log_->error("cannot clear incident {}: {}", incident_key, e.what());
    }
  }

  bool attach(const std::string& whistle_id, const EvidenceItem& item, const nlohmann::json& about,
              std::string* error) override {
    std::string scratch;
    if (error == nullptr) error = &scratch;
    std::string bytes;
    if (!evidenceBytes(item, &bytes)) {
      ctx_.counters.add("whistle.evidence_errors");
      *error = "cannot read evidence " + item.path;
      return false;
    }
    if (bytes.empty()) {
      *error = "evidence without bytes";
      return false;
    }
    bool found = false;
    try {
      found = store_->amend(whistle_id, [&](WhistleRow& row) {
        nlohmann::json doc = nlohmann::json::parse(row.doc);
        nlohmann::json& list = doc["evidence"];
        if (!list.is_array()) list = nlohmann::json::array();
        const bool publish = withinCap(item, bytes);
        const std::string topic = publish ? evidenceTopic(cfg_.site.id, whistle_id, list.size()) : "";
        nlohmann::json e = evidenceEntry(item, item.path, bytes, topic);
        if (about.is_object()) {
          for (const auto& [k, v] : about.items()) {
            if (!e.contains(k)) e[k] = v;
          }
        }
        list.push_back(e);
        row.doc = doc.dump();
        const nlohmann::json notice = {{"schema", kEvidenceSchema},
                                       {"whistle_id", whistle_id},
                                       {"type", row.type},
                                       {"level", toString(static_cast<Level>(row.level))},
                                       {"escalation", row.escalation},
                                       {"added_at", formatRfc3339(ctx_.clock.now())},
                                       {"evidence", e}};
        std::vector<Outgoing> out;
        if (publish) out.push_back({"evidence", topic, bytes, row.level});
        out.push_back(
            {"evidence", "grid/" + cfg_.site.id + "/evidence_added/" + whistle_id, notice.dump(), row.level});
        return out;
      });
    } catch (const std::exception& ex) {
      ctx_.counters.add("whistle.evidence_errors");
      *error = std::string("cannot store evidence: ") + ex.what();
      return false;
    }
    if (!found) {
      ctx_.counters.add("whistle.evidence_errors");
      *error = "no whistle " + whistle_id + " (evicted, or never stored)";
      return false;
    }
    ctx_.counters.add("whistle.evidence_attached");
    log_->info("whistle {}: {} attached ({} bytes)", whistle_id, item.kind, bytes.size());
    boost::asio::post(ctx_.io, [this] { pump(); });
    return true;
  }

 private:
  // Whether an evidence item's bytes go on the uplink: not beyond
  // whistles.evidence_max_size (the platform's broker refuses or chokes on
  // larger messages; an MJPEG clip is tens of MiB). Otherwise only announced.
  bool withinCap(const EvidenceItem& item, const std::string& bytes) {
    if (static_cast<long long>(bytes.size()) <= wcfg_.evidence_max_bytes) return true;
    ctx_.counters.add("whistle.evidence_withheld");
    rlog_.warn("evidence-size", item.kind + " " + (item.path.empty() ? std::string("in memory") : item.path) + ": " +
                                    std::to_string(bytes.size()) + " bytes, more than whistles.evidence_max_size (" +
                                    std::to_string(wcfg_.evidence_max_bytes) +
                                    "); announced by sha256 and path, bytes not published");
    return false;
  }

  std::vector<Outgoing> routesFor(const std::string& type, int level, const std::string& grid,
                                  const std::string& payload) const {
    std::vector<Outgoing> out;
    for (const auto& dest : wcfg_.ruleFor(type).routes) {
      auto it = wcfg_.destinations.find(dest);
      if (it == wcfg_.destinations.end()) continue;  // config validation rejects this
      out.push_back({dest,
                     expandTopic(it->second, cfg_.site.id, toString(static_cast<Level>(level)),
                                 type, grid),
                     payload, level});
    }
    return out;
  }

  NewWhistle build(const Incident& inc) {
    SystemTime now = ctx_.clock.now();
    int64_t now_ms = toUnixMillis(now);
    NewWhistle nw;
    nw.id = newWhistleId(now_ms);
    nw.type = inc.type;
    config::WhistleTypeRule rule = wcfg_.ruleFor(inc.type);
    Level level = inc.level ? *inc.level : parseLevel(rule.level).value_or(Level::kRoutine);
    nw.level = static_cast<int>(level);
    nw.raised_ms = now_ms;
    nw.deadline_ms = now_ms + static_cast<int64_t>(wcfg_.ack_deadline_s[nw.level] * 1000);
    nw.incident_key = inc.incident_key;

    const std::shared_ptr<const config::Config> devices = currentDevices();
    const config::DeviceConfig* dev = devices->findDevice(inc.source);
    std::string grid = !inc.grid.empty() ? inc.grid : dev ? dev->grid : cfg_.site.default_grid;
    std::string zone = !inc.zone.empty() ? inc.zone : dev ? dev->zone : "";
    config::Location loc = inc.location;
    if (dev) {
      if (loc.building.empty()) loc.building = dev->location.building;
      if (loc.unit.empty()) loc.unit = dev->location.unit;
      if (!loc.floor) loc.floor = dev->location.floor;
      if (loc.text.empty()) loc.text = dev->location.text;
    }

    nlohmann::json evidence = nlohmann::json::array();
    for (size_t i = 0; i < inc.evidence.size(); ++i) {
      const EvidenceItem& item = inc.evidence[i];
      std::string bytes;
      if (!evidenceBytes(item, &bytes)) {
        ctx_.counters.add("whistle.evidence_errors");
        rlog_.warn("evidence", "cannot read evidence " + item.path);
        continue;
      }
      std::string path = item.path;
      if (path.empty() && !bytes.empty()) path = keepEvidenceFile(nw.id, i, item, bytes);
      const bool publish = withinCap(item, bytes);
      const std::string topic = publish ? evidenceTopic(cfg_.site.id, nw.id, i) : "";
      evidence.push_back(evidenceEntry(item, path, bytes, topic));
      if (publish) nw.outgoing.push_back({"evidence", topic, std::move(bytes), nw.level});
    }

    nlohmann::json source = {{"device", inc.source}};
    if (!zone.empty()) source["zone"] = zone;
    nlohmann::json doc = {{"schema", kSchema},
                          {"id", nw.id},
                          {"site", cfg_.site.id},
                          {"grid", grid},
                          {"type", inc.type},
                          {"level", toString(level)},
                          {"raised_at", formatRfc3339(now)},
                          {"source", source},
                          {"location", locationJson(loc)},
                          {"details", inc.details.is_object() ? inc.details : nlohmann::json::object()},
                          {"evidence", evidence},
                          {"escalation", 0}};
    if (inc.observed_at) doc["observed_at"] = formatRfc3339(*inc.observed_at);
    nw.doc = doc.dump();
    for (auto& o : routesFor(inc.type, nw.level, grid, nw.doc)) nw.outgoing.push_back(std::move(o));
    return nw;
  }

  // Bytes handed over in memory (a reported photo) are also kept as a file,
  // so the evidence outlives the database row.
  std::string keepEvidenceFile(const std::string& id, size_t index, const EvidenceItem& item,
                               const std::string& bytes) {
    std::error_code ec;
    std::filesystem::create_directories(wcfg_.evidence_dir, ec);
    std::string ext = item.content_type == "image/jpeg" ? ".jpg" : ".bin";
    std::string path = wcfg_.evidence_dir + "/" + id + "-" + std::to_string(index) + ext;
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      rlog_.warn("evidence-write", "cannot write evidence file " + path);
      return "";
    }
    return path;
  }

  int64_t nowMs() const { return toUnixMillis(ctx_.clock.now()); }

  // The snapshot devices are looked up in (raise() runs on any thread).
  std::shared_ptr<const config::Config> currentDevices() const {
    std::lock_guard<std::mutex> lock(devices_mu_);
    return devices_;
  }

  // Publishes due rows until the in-flight window is full.
  void pump() {
    if (stopping_ || !uplink_ || !uplink_->isConnected()) return;
    size_t window = static_cast<size_t>(wcfg_.in_flight);
    if (in_flight_.size() >= window) return;
    std::vector<Pending> due;
    try {
      due = store_->due(nowMs(), window - in_flight_.size(), in_flight_);
    } catch (const std::exception& e) {
      rlog_.warn("due", std::string("cannot read the queue: ") + e.what());
      return;
    }
    for (auto& p : due) {
      in_flight_.insert(p.seq);
      mqtt::Message msg;
      msg.topic = std::move(p.topic);
      msg.payload = std::move(p.payload);
      msg.qos = 1;
      int64_t seq = p.seq;
      int attempts = p.attempts;
      uplink_->publish(std::move(msg), [this, seq, attempts](bool ok, const std::string& err) {
        onPublished(seq, attempts, ok, err);
      });
    }
    in_flight_count_ = in_flight_.size();
  }

  void onPublished(int64_t seq, int attempts, bool ok, const std::string& err) {
    if (ok) {
      // Stays in in_flight_ until its row is marked, so pump() skips it.
      done_.push_back(seq);
      if (!flush_posted_) {
        flush_posted_ = true;
        boost::asio::post(ctx_.io, [this] {
          flushDelivered();
          pump();
        });
      }
      return;
    }
    in_flight_.erase(seq);
    in_flight_count_ = in_flight_.size();
    int64_t delay_ms = 0;
    if (uplink_ && uplink_->isConnected()) {
      // Refused while connected: back off (exponential, jittered).
      double d = wcfg_.retry_min_s * std::pow(2.0, std::min(attempts, 20));
      d = std::min(d, wcfg_.retry_max_s);
      std::uniform_real_distribution<double> jitter(0.5, 1.0);
      delay_ms = static_cast<int64_t>(d * jitter(rng_) * 1000);
      rlog_.warn("publish", "uplink publish failed (" + err + "), retrying");
    }
    // When the link is down the reconnect itself is backed off: retry as
    // soon as it is back.
    try {
      store_->markRetry(seq, nowMs() + delay_ms);
    } catch (const std::exception& e) {
      rlog_.warn("retry", std::string("cannot record retry: ") + e.what());
    }
  }

  void flushDelivered() {
    flush_posted_ = false;
    if (done_.empty()) return;
    std::vector<int64_t> seqs;
    seqs.swap(done_);
    try {
      store_->markDelivered(seqs, nowMs());
      delivered_ += seqs.size();
    } catch (const std::exception& e) {
      // Not marked: they will be published again (same id), which the
      // at-least-once contract allows.
      rlog_.warn("mark", std::string("cannot mark delivered: ") + e.what());
    }
    for (int64_t s : seqs) in_flight_.erase(s);
    in_flight_count_ = in_flight_.size();
  }

  void tick() {
    if (stopping_) return;
    pump();
    auto now = ctx_.clock.steady();
    if (now - last_escalation_check_ >= std::chrono::milliseconds(500)) {
      last_escalation_check_ = now;
      escalateOverdue();
    }
    if (now - last_evict_ >= std::chrono::seconds(10)) {
      last_evict_ = now;
      evict();
    }
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  void escalateOverdue() {
    try {
      int64_t now = nowMs();
      for (const auto& row : store_->overdue(now, wcfg_.escalation_limit)) {
        int level = std::min(row.level + 1, static_cast<int>(Level::kEmergency));
        int esc = row.escalation + 1;
        nlohmann::json doc = nlohmann::json::parse(row.doc, nullptr, false);
        if (doc.is_discarded()) continue;
        doc["level"] = toString(static_cast<Level>(level));
        doc["escalation"] = esc;
        doc["escalated_at"] = formatRfc3339(ctx_.clock.now());
        std::string payload = doc.dump();
        std::string grid = doc.value("grid", "");
        auto out = routesFor(row.type, level, grid, payload);
        int64_t deadline = now + static_cast<int64_t>(wcfg_.ack_deadline_s[level] * 1000);
        store_->escalate(row.id, level, esc, payload, deadline, out);
        ++escalations_;
        ctx_.counters.add("whistle.escalations");
        log_->warn("whistle {} not acknowledged in time: escalation {} at level {}", row.id, esc,
                   toString(static_cast<Level>(level)));
      }
    } catch (const std::exception& e) {
      rlog_.warn("escalate", std::string("escalation check failed: ") + e.what());
    }
  }

  void evict() {
    try {
      auto dropped = store_->evict(wcfg_.max_db_bytes);
      for (const auto& id : dropped) log_->warn("whistle {} dropped: database over its size cap", id);
      dropped_ += dropped.size();
      ctx_.counters.add("whistle.dropped", dropped.size());
    } catch (const std::exception& e) {
      rlog_.warn("evict", std::string("eviction failed: ") + e.what());
    }
  }

  // Platform acks (uplink's receive thread).
  void onAck(const mqtt::Message& m) {
    auto bad = [&](const std::string& why) {
      ++ack_errors_;
      ctx_.counters.add("whistle.ack_errors");
      rlog_.warn("ack", "ack on " + m.topic + " ignored: " + why);
    };
    nlohmann::json j = nlohmann::json::parse(m.payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (!j.contains("id") || !j["id"].is_string()) return bad("no string id");
    if (!j.contains("status") || !j["status"].is_string()) return bad("no string status");
    std::string id = j["id"].get<std::string>();
    std::string status = j["status"].get<std::string>();
    if (status != "acknowledged" && status != "resolved" && status != "rated" &&
        status != "reopened") {
      return bad("unknown status '" + status + "'");
    }
    std::optional<int> rating;
    if (j.contains("rating")) {
      if (!j["rating"].is_number_integer()) return bad("rating is not an integer");
      int r = j["rating"].get<int>();
      if (r < 1 || r > 5) return bad("rating out of 1..5");
      rating = r;
    }
    try {
      int64_t now = nowMs();
      auto row = store_->find(id);
      int64_t reopen_deadline =
          now + static_cast<int64_t>(wcfg_.ack_deadline_s[row ? row->level : 0] * 1000);
      AckOutcome o = store_->applyAck(id, status, now, rating, reopen_deadline);
      if (o == AckOutcome::kApplied) {
        ++acks_applied_;
        log_->info("whistle {}: {}", id, status);
      } else if (o == AckOutcome::kDuplicate) {
        ctx_.counters.add("whistle.ack_duplicates");
      } else {
        bad(std::string(toString(o)) + " (" + status + " for " + id + ")");
      }
    } catch (const std::exception& e) {
      bad(std::string("store error: ") + e.what());
    }
  }

  ServiceContext& ctx_;
  const config::Config& cfg_;  // at start: site, uplink, whistles (fixed for the process's life)
  config::WhistlesConfig wcfg_;
  mutable std::mutex devices_mu_;
  std::shared_ptr<const config::Config> devices_;
  std::shared_ptr<mqtt::Connection> uplink_;
  std::shared_ptr<spdlog::logger> log_;
  RateLimitedLog rlog_;
  std::unique_ptr<Store> store_;
  boost::asio::steady_timer timer_;
  std::mt19937_64 rng_;
  bool stopping_ = false;
  // io thread only
  std::set<int64_t> in_flight_;
  std::vector<int64_t> done_;
  bool flush_posted_ = false;
  SteadyTime last_escalation_check_{};
  SteadyTime last_evict_{};
  // health (any thread)
  std::atomic<uint64_t> in_flight_count_{0}, raised_{0}, folded_{0}, delivered_{0}, dropped_{0},
      escalations_{0}, acks_applied_{0}, ack_errors_{0};
};

}  // namespace

std::string expandTopic(const std::string& tmpl, const std::string& site, const std::string& level,
                        const std::string& type, const std::string& grid) {
  std::string t = tmpl;
  replaceAll(t, "{site}", site);
  replaceAll(t, "{level}", level);
  replaceAll(t, "{type}", type);
  replaceAll(t, "{grid}", grid.empty() ? "none" : grid);
  return t;
}

std::unique_ptr<Component> createWhistleQueue(ServiceContext& ctx, const config::Config& cfg,
                                              std::shared_ptr<mqtt::Connection> uplink) {
  auto q = std::make_unique<WhistleQueue>(ctx, cfg, std::move(uplink));
  ctx.incidents = q.get();
  return q;
}

std::unique_ptr<Component> createWhistleQueue(ServiceContext& ctx, const config::Config& cfg) {
  std::shared_ptr<mqtt::Connection> uplink;
  if (cfg.uplink) uplink = mqtt::createPahoConnection(ctx.io, *cfg.uplink, std::nullopt, "uplink");
  return createWhistleQueue(ctx, cfg, std::move(uplink));
}

}  // namespace shaobing::whistle
