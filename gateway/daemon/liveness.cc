// The liveness watch; see liveness.h.
#include "gateway/daemon/liveness.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/core/log.h"

namespace shaobing {

namespace {

constexpr double kPersistEveryS = 60;

double secondsBetween(SteadyTime a, SteadyTime b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

Liveness::Liveness(Clock& clock, std::string state_file) : clock_(clock), state_file_(std::move(state_file)) {
  load();
}

std::vector<Liveness::Source> Liveness::devicesOf(const config::Config& cfg) {
  std::vector<Source> out;
  for (const auto& d : cfg.devices) {
    double limit = d.heartbeat_s;
    if (limit <= 0) {
      auto it = cfg.rules.heartbeat_default_s.find(d.kind);
      limit = it == cfg.rules.heartbeat_default_s.end() ? 0 : it->second;
    }
    out.push_back({d.id, d.kind, limit, d.zone, d.grid, d.location});
  }
  return out;
}

std::vector<Liveness::Source> Liveness::camerasOf(const config::Config& cfg) {
  std::vector<Source> out;
  for (const auto& c : cfg.cameras) out.push_back({c.id, "camera", c.offline_after_s, c.zone, c.grid, c.location});
  return out;
}

void Liveness::setSink(whistle::IncidentSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sink_ = sink;
}

void Liveness::watch(const std::string& owner, std::vector<Source> sources) {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime now = clock_.steady();
  for (const auto& s : sources) seen_.emplace(s.id, now);  // never seen: counts from now
  owners_[owner] = std::move(sources);
}

void Liveness::seen(const std::string& id) {
  whistle::IncidentSink* sink = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_[id] = clock_.steady();
    dirty_ = true;
    if (offline_.erase(id) == 0) return;
    sink = sink_;
    ++cleared_;
  }
  logger("liveness")->info("{} is back", id);
  if (sink != nullptr) sink->clear("device_offline:" + id, "speaks again");
}

void Liveness::check() {
  std::vector<whistle::Incident> raise;
  whistle::IncidentSink* sink = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sink = sink_;
    const SteadyTime now = clock_.steady();
    for (const auto& [owner, sources] : owners_) {
      for (const auto& s : sources) {
        if (s.silent_after_s <= 0 || offline_.count(s.id)) continue;
        auto it = seen_.find(s.id);
        if (it == seen_.end()) continue;
        const double silent = secondsBetween(it->second, now);
        if (silent <= s.silent_after_s) continue;
        offline_.insert(s.id);
        dirty_ = true;
        ++raised_;
        whistle::Incident inc;
        inc.type = "device_offline";
        inc.source = s.id;
        inc.zone = s.zone;
        inc.grid = s.grid;
        inc.location = s.location;
        inc.incident_key = "device_offline:" + s.id;
        inc.details = {{"kind", s.kind}, {"silent_s", std::round(silent)}, {"silent_after_s", s.silent_after_s}};
        inc.details[s.kind == "camera" ? "offline_after_s" : "heartbeat_s"] = s.silent_after_s;
        raise.push_back(std::move(inc));
      }
    }
    if (dirty_ && secondsBetween(last_persist_, now) >= kPersistEveryS) persistLocked();
  }
  for (auto& inc : raise) {
    logger("liveness")->warn("{} ({}) silent for {} s", inc.source, inc.details["kind"].get<std::string>(),
                             inc.details["silent_s"].get<double>());
    if (sink == nullptr) continue;
    auto r = sink->raise(std::move(inc));
    if (!r.ok) logger("liveness")->error("could not raise device_offline: {}", r.error);
  }
}

void Liveness::persist() {
  std::lock_guard<std::mutex> lock(mu_);
  persistLocked();
}

// {"seen": {"id": wall ms, ...}, "offline": ["id", ...]}, replaced atomically.
void Liveness::persistLocked() {
  last_persist_ = clock_.steady();
  dirty_ = false;
  if (state_file_.empty()) return;
  const SystemTime wall = clock_.now();
  const SteadyTime steady = clock_.steady();
  nlohmann::json j = {{"seen", nlohmann::json::object()}, {"offline", nlohmann::json::array()}};
  for (const auto& [id, t] : seen_) {
    j["seen"][id] = toUnixMillis(wall - std::chrono::duration_cast<SystemTime::duration>(steady - t));
  }
  for (const auto& id : offline_) j["offline"].push_back(id);
  const std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump();
    if (!out) {
      logger("liveness")->warn("cannot write {}", tmp);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, state_file_, ec);
  if (ec) logger("liveness")->warn("cannot replace {}: {}", state_file_, ec.message());
}

// Elapsed = wall now - wall then, never negative: a clock set back must not
// make anything "seen in the future".
void Liveness::load() {
  if (state_file_.empty()) return;
  std::ifstream in(state_file_);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    logger("liveness")->warn("{} is damaged; every source counts from now", state_file_);
    return;
  }
  const SystemTime wall = clock_.now();
  const SteadyTime steady = clock_.steady();
  if (j.contains("seen") && j["seen"].is_object()) {
    for (const auto& [id, ms] : j["seen"].items()) {
      if (!ms.is_number_integer()) continue;
      auto elapsed = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                wall - fromUnixMillis(ms.get<int64_t>())));
      seen_[id] = steady - elapsed;
    }
  }
  if (j.contains("offline") && j["offline"].is_array()) {
    for (const auto& id : j["offline"]) {
      if (id.is_string()) offline_.insert(id.get<std::string>());
    }
  }
}

nlohmann::json Liveness::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t watched = 0;
  for (const auto& [owner, sources] : owners_) {
    for (const auto& s : sources) watched += s.silent_after_s > 0 ? 1 : 0;
  }
  nlohmann::json offline = nlohmann::json::array();
  for (const auto& id : offline_) offline.push_back(id);
  return {{"watched", watched}, {"offline", offline}, {"raised", raised_}, {"cleared", cleared_}};
}

}  // namespace shaobing
