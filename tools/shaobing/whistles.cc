// `shaobing whistles --db PATH list|show ID|stats [--since 7d]`: reads the
// whistle database (read-only; safe while shaobingd writes it).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>

#include "gateway/core/clock.h"
#include "gateway/whistle/store.h"
#include "tools/shaobing/commands.h"

namespace shaobing::cli {

namespace {

const char* kLevels[] = {"routine", "priority", "emergency"};

const char* levelName(int l) { return kLevels[std::clamp(l, 0, 2)]; }

// "7d", "12h", "30m", "45s" -> milliseconds; -1 when malformed.
int64_t parseSince(const std::string& s) {
  if (s.empty()) return -1;
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (...) {
    return -1;
  }
  std::string unit = s.substr(pos);
  double mult = unit == "d" ? 86400 : unit == "h" ? 3600 : unit == "m" ? 60 : unit == "s" || unit.empty() ? 1 : -1;
  if (mult < 0 || v < 0) return -1;
  return static_cast<int64_t>(v * mult * 1000);
}

double percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) ;
  idx = std::clamp<size_t>(idx, 1, v.size()) - 1;
  return static_cast<double>(v[idx]);
}

std::string fmtMs(std::optional<int64_t> ms) {
  return ms ? formatRfc3339(fromUnixMillis(*ms)) : "-";
}

void printStats(const std::vector<whistle::WhistleRow>& rows) {
  std::map<std::string, int> by_type, by_level, by_state;
  std::vector<int64_t> ack_latency;
  int escalated = 0, escalations = 0, resolved = 0, reopened = 0;
  for (const auto& r : rows) {
    ++by_type[r.type];
    ++by_level[levelName(r.level)];
    ++by_state[r.state];
    if (r.acked_ms) ack_latency.push_back(*r.acked_ms - r.raised_ms);
    if (r.escalation > 0) ++escalated;
    escalations += r.escalation;
    if (r.state == "resolved" || r.state == "rated") ++resolved;
    reopened += r.reopened;
  }
  std::cout << "whistles: " << rows.size() << "\n";
  auto section = [](const char* title, const std::map<std::string, int>& m) {
    std::cout << title << ":\n";
    for (const auto& [k, n] : m) std::cout << "  " << std::left << std::setw(26) << k << n << "\n";
  };
  section("by type", by_type);
  section("by level", by_level);
  section("by state", by_state);
  std::cout << std::fixed << std::setprecision(1);
  if (ack_latency.empty()) {
    std::cout << "ack latency: no acknowledged whistles\n";
  } else {
    std::cout << "ack latency: p50 " << percentile(ack_latency, 0.5) / 1000.0 << " s, p90 "
              << percentile(ack_latency, 0.9) / 1000.0 << " s (" << ack_latency.size()
              << " acknowledged)\n";
  }
  double rate = rows.empty() ? 0.0 : 100.0 * resolved / static_cast<double>(rows.size());
  std::cout << "completion rate (办结率): " << rate << "% (" << resolved << " of " << rows.size()
            << " resolved or rated)\n";
  std::cout << "escalations: " << escalations << " (" << escalated << " whistles escalated)\n";
  std::cout << "reopened: " << reopened << "\n";
}

struct Args {
  std::string db, id, since;
};

int run(const std::string& what, const Args& a) {
  std::unique_ptr<whistle::Store> store;
  try {
    store = whistle::Store::openReadOnly(a.db);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  int64_t since_ms = 0;
  if (!a.since.empty()) {
    int64_t d = parseSince(a.since);
    if (d < 0) {
      std::cerr << "--since: expected e.g. 7d, 12h, 30m\n";
      return 2;
    }
    since_ms = toUnixMillis(systemClock().now()) - d;
  }
  try {
    if (what == "show") {
      auto r = store->find(a.id);
      if (!r) {
        std::cerr << "no whistle " << a.id << "\n";
        return 1;
      }
      std::cout << "id:          " << r->id << "\ntype:        " << r->type
                << "\nlevel:       " << levelName(r->level) << "\nstate:       " << r->state
                << "\nescalation:  " << r->escalation << "\nreopened:    " << r->reopened
                << "\nraised:      " << fmtMs(r->raised_ms) << "\ndelivered:   "
                << fmtMs(r->delivered_ms) << "\nacknowledged:" << " " << fmtMs(r->acked_ms)
                << "\nresolved:    " << fmtMs(r->resolved_ms) << "\nrated:       "
                << fmtMs(r->rated_ms) << "\nrating:      "
                << (r->rating ? std::to_string(*r->rating) : "-") << "\nwhistle:     " << r->doc
                << "\n";
      return 0;
    }
    auto rows = store->list(since_ms, 100000000);
    if (what == "stats") {
      printStats(rows);
      return 0;
    }
    for (const auto& r : rows) {
      std::cout << r.id << "  " << fmtMs(r.raised_ms) << "  " << std::left << std::setw(10)
                << levelName(r.level) << std::setw(13) << r.state << "esc=" << r.escalation
                << "  " << r.type << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void registerWhistles(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("whistles", "inspect the whistle database");
  auto a = std::make_shared<Args>();
  cmd->add_option("--db", a->db, "whistle database (whistles.db)")->required();
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "list whistles, oldest first");
  list->add_option("--since", a->since, "only whistles raised within, e.g. 7d");
  auto* show = cmd->add_subcommand("show", "show one whistle");
  show->add_option("ID", a->id, "whistle id")->required();
  auto* stats = cmd->add_subcommand("stats", "counts, ack latency, completion rate");
  stats->add_option("--since", a->since, "only whistles raised within, e.g. 7d");
  list->callback([a, &exit_code] { exit_code = run("list", *a); });
  show->callback([a, &exit_code] { exit_code = run("show", *a); });
  stats->callback([a, &exit_code] { exit_code = run("stats", *a); });
}

}  // namespace shaobing::cli
