// Parses `cameras:` and `vision:` (docs/configuration.md, docs/vision.md).
#include "config/cameras.h"

#include <cmath>
#include <map>

#include "config/config.h"

namespace shaobing::config {
namespace {

// Twice the signed area of triangle abc.
double cross(const Point2& a, const Point2& b, const Point2& c) {
  return (b.first - a.first) * (c.second - a.second) - (b.second - a.second) * (c.first - a.first);
}

// Four points define a homography only if no three of them are (nearly) collinear.
bool degenerate(const std::array<Point2, 4>& p, double scale) {
  const double tol = 1e-3 * scale * scale;
  for (int i = 0; i < 4; ++i) {
    if (std::abs(cross(p[(i + 1) % 4], p[(i + 2) % 4], p[(i + 3) % 4])) < tol) return true;
  }
  return false;
}

double extent(const std::array<Point2, 4>& p) {
  double lo_x = p[0].first, hi_x = lo_x, lo_y = p[0].second, hi_y = lo_y;
  for (const auto& q : p) {
    lo_x = std::min(lo_x, q.first);
    hi_x = std::max(hi_x, q.first);
    lo_y = std::min(lo_y, q.second);
    hi_y = std::max(hi_y, q.second);
  }
  return std::max(hi_x - lo_x, hi_y - lo_y);
}

bool readFour(MapReader& r, const std::string& key, std::array<Point2, 4>& out) {
  YAML::Node n = r.child(key, Need::kRequired);
  if (!n.IsDefined()) return false;
  auto pts = readPolygon(n, r.pathOf(key), r.diagnostics(), 4);
  if (pts.size() != 4) {
    if (pts.size() > 4) r.error(key, "needs exactly 4 points, found " + std::to_string(pts.size()));
    return false;
  }
  std::copy(pts.begin(), pts.end(), out.begin());
  if (degenerate(out, extent(out))) {
    r.error(key, "three of the four points are (nearly) on one line; pick four corners of a large rectangle");
    return false;
  }
  return true;
}

struct SectionEntry {
  std::string key;
  DetectorSectionParser parse;
};

std::vector<SectionEntry>& sections() {
  static std::vector<SectionEntry> entries;
  return entries;
}

}  // namespace

void registerDetectorSection(const std::string& key, DetectorSectionParser parser) {
  for (auto& e : sections()) {
    if (e.key == key) {
      e.parse = std::move(parser);
      return;
    }
  }
  sections().push_back({key, std::move(parser)});
}

bool parseFacadeCalibration(MapReader& k, FacadeCalibration& out) {
  if (!k.valid()) return false;
  const size_t problems = k.diagnostics().items().size();
  readFour(k, "image_points", out.image_points);
  readFour(k, "facade_points_m", out.facade_points_m);
  k.number("floor_height_m", out.floor_height_m, 2.0, 10.0);
  k.integer("floors", out.floors, 1, 300, Need::kRequired);
  return k.diagnostics().items().size() == problems;
}

void parseCameras(MapReader& root, Config& cfg) {
  Diagnostics& diag = root.diagnostics();
  std::map<std::string, int> seen;
  for (const auto& d : cfg.devices) seen.emplace(d.id, d.line);
  forEachItem(root.child("cameras"), "cameras", diag, [&](const YAML::Node& item, const std::string& path) {
    MapReader r(item, path, diag);
    if (!r.valid()) return;
    CameraConfig c;
    c.line = item.Mark().line + 1;
    c.yaml = YAML::Dump(item);
    if (r.string("id", c.id, Need::kRequired)) {
      if (!isValidId(c.id)) r.error("id", "'" + c.id + "' is not a valid id (letters, digits, - _ .)");
      auto [it, inserted] = seen.emplace(c.id, c.line);
      if (!inserted) {
        r.error("id", "id '" + c.id + "' is already used (line " + std::to_string(it->second) + ")");
      }
    }
    r.choice("source", c.source, {"mqtt", "url"});
    r.string("url", c.url);
    r.string("detect_url", c.detect_url);
    r.string("record_url", c.record_url);
    if (c.source == "url") {
      if (c.url.empty() && c.detect_url.empty()) r.error("url", "required when source is url (or detect_url)");
      if (c.url.empty() && !c.detect_url.empty() && c.record_url.empty())
        r.error("detect_url", "a sub-stream for detection needs the main stream too: url or record_url");
      if (!c.url.empty() && !c.detect_url.empty() && !c.record_url.empty())
        r.error("url", "not used when both detect_url and record_url are given; leave it out");
    } else {
      for (const char* key : {"url", "detect_url", "record_url"}) {
        if (r.has(key)) r.error(key, "only used with source: url");
      }
    }
    r.string("grid", c.grid);
    r.string("zone", c.zone);
    parseLocation(r, "location", c.location);
    r.duration("offline_after", c.offline_after_s, 1, 86400);
    r.integer("queue_frames", c.queue_frames, 2, 1000);
    r.boolean("stabilise", c.stabilise);
    if (YAML::Node cn = r.child("calibration"); cn.IsDefined()) {
      MapReader k(cn, r.pathOf("calibration"), diag);
      FacadeCalibration cal;
      if (parseFacadeCalibration(k, cal)) c.calibration = cal;
    }
    forEachItem(r.child("masks"), r.pathOf("masks"), diag, [&](const YAML::Node& m, const std::string& mpath) {
      auto poly = readPolygon(m, mpath, diag, 3);
      if (poly.size() >= 3) c.masks.push_back(std::move(poly));
    });
    for (const auto& section : sections()) {
      YAML::Node n = r.child(section.key);
      if (!n.IsDefined()) continue;
      MapReader sub(n, r.pathOf(section.key), diag);
      if (!sub.valid()) continue;
      if (auto parsed = section.parse(sub, c)) c.detectors.emplace_back(section.key, std::move(parsed));
    }
    if (c.grid.empty()) c.grid = cfg.site.default_grid;
    cfg.cameras.push_back(std::move(c));
  });

  YAML::Node vn = root.child("vision");
  cfg.vision.evidence_dir = cfg.state_dir + "/vision";
  MapReader v(vn, "vision", diag);
  if (!v.valid()) return;
  v.string("evidence_dir", cfg.vision.evidence_dir);
  v.bytes("evidence_max_total", cfg.vision.evidence_max_bytes, 1LL << 20, 1LL << 50);
  v.duration("clip_pre", cfg.vision.clip_pre_s, 0, 30);
  v.duration("clip_post", cfg.vision.clip_post_s, 0, 30);
  v.integer("snapshot_quality", cfg.vision.snapshot_quality, 30, 100);
  v.choice("clip_format", cfg.vision.clip_format, {"mp4", "avi"});
  v.integer("clip_crf", cfg.vision.clip_crf, 15, 45);
}

}  // namespace shaobing::config
