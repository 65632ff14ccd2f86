// Parses the `ingest:` and `rules:` sections; see rules.h.
#include "config/rules.h"

#include <cstdio>

#include "config/config.h"

namespace shaobing::config {

bool DailyWindow::contains(int m) const {
  if (start_min == end_min) return true;  // the whole day
  if (start_min < end_min) return m >= start_min && m < end_min;
  return m >= start_min || m < end_min;  // wraps midnight
}

bool parseDailyWindow(const std::string& text, DailyWindow& out) {
  int h1, m1, h2, m2;
  char tail;
  if (std::sscanf(text.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4) return false;
  if (h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59) return false;
  out.start_min = h1 * 60 + m1;
  out.end_min = h2 * 60 + m2;
  return true;
}

namespace {

std::vector<std::pair<std::string, RuleSectionParser>>& ruleSections() {
  static std::vector<std::pair<std::string, RuleSectionParser>> entries;
  return entries;
}

}  // namespace

void registerRuleSection(const std::string& name, RuleSectionParser parser) {
  for (auto& [n, p] : ruleSections()) {
    if (n == name) {
      p = std::move(parser);
      return;
    }
  }
  ruleSections().emplace_back(name, std::move(parser));
}

void readDailyWindow(MapReader& r, const std::string& key, DailyWindow& out) {
  std::string text;
  if (r.string(key, text) && !parseDailyWindow(text, out)) {
    r.error(key, "expected hours such as 07:00-19:00, found '" + text + "'");
  }
}

void parseIngestAndRules(MapReader& root, Config& cfg) {
  Diagnostics& diag = root.diagnostics();
  {
    MapReader r(root.child("ingest"), "ingest", diag);
    r.bytes("max_payload", cfg.ingest.max_payload_bytes, 256, 16LL * 1024 * 1024);
    r.bytes("max_report", cfg.ingest.max_report_bytes, 1024, 64LL * 1024 * 1024);
    r.duration("max_clock_skew", cfg.ingest.max_clock_skew_s, 1, 365 * 86400.0);
  }
  MapReader r(root.child("rules"), "rules", diag);
  if (!r.valid()) return;
  r.duration("cooldown", cfg.rules.cooldown_s, 0, 7 * 86400.0);
  {
    MapReader s(r.child("heartbeat"), r.pathOf("heartbeat"), diag);
    for (const char* kind : {"access", "sensor", "camera"}) {
      s.duration(kind, cfg.rules.heartbeat_default_s[kind], 0, 30 * 86400.0);
    }
  }
  // Each rule reads its own keys; a key no rule reads is reported as unknown.
  for (const auto& [name, parse] : ruleSections()) {
    auto section = parse(r, cfg);
    if (section) cfg.rules.sections.emplace_back(name, std::move(section));
  }
}

}  // namespace shaobing::config
