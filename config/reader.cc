// Schema-checking reader over yaml-cpp nodes; see reader.h.
#include "config/reader.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace shaobing::config {

std::string Diagnostic::format(const std::string& file) const {
  std::string out = file;
  out += ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

void Diagnostics::error(const YAML::Mark& mark, const std::string& key_path,
                        const std::string& message) {
  if (mark.is_null()) {
    error(0, 0, key_path, message);
  } else {
    error(mark.line + 1, mark.column + 1, key_path, message);
  }
}

void Diagnostics::error(int line, int column, const std::string& key_path,
                        const std::string& message) {
  items_.push_back(Diagnostic{line, column, key_path, message});
}

namespace {

const char* typeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

bool parseInt64(const std::string& s, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

bool parseDouble(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

}  // namespace

MapReader::MapReader(const YAML::Node& node, std::string path, Diagnostics& diag)
    : node_(node), path_(std::move(path)), diag_(diag) {
  if (!node_.IsDefined() || node_.IsNull()) {
    // An absent or empty section reads as an empty mapping.
    valid_ = true;
    return;
  }
  if (!node_.IsMap()) {
    diag_.error(node_.Mark(), path_, std::string("expected a mapping, found ") + typeName(node_));
    return;
  }
  valid_ = true;
}

MapReader::~MapReader() { finish(); }

bool MapReader::has(const std::string& key) const {
  return valid_ && node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

std::string MapReader::pathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void MapReader::error(const std::string& key, const std::string& message) {
  YAML::Node v = node_.IsMap() ? node_[key] : YAML::Node();
  diag_.error(v.IsDefined() ? v.Mark() : node_.Mark(), pathOf(key), message);
}

YAML::Node MapReader::child(const std::string& key, Need need) {
  known_.insert(key);
  if (!valid_ || !node_.IsMap()) {
    // An absent section has been reported by its parent if it was required;
    // its own required keys only apply when it is present.
    return YAML::Node(YAML::NodeType::Undefined);
  }
  YAML::Node v = node_[key];
  if ((!v.IsDefined() || v.IsNull()) && need == Need::kRequired) {
    diag_.error(v.IsDefined() ? v.Mark() : node_.Mark(), pathOf(key),
                "required value is missing");
  }
  return v;
}

YAML::Node MapReader::scalar(const std::string& key, Need need) {
  YAML::Node v = child(key, need);
  if (!v.IsDefined() || v.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  if (!v.IsScalar()) {
    diag_.error(v.Mark(), pathOf(key), std::string("expected a scalar, found ") + typeName(v));
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return v;
}

bool MapReader::string(const std::string& key, std::string& out, Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  out = v.Scalar();
  if (need == Need::kRequired && out.empty()) {
    diag_.error(v.Mark(), pathOf(key), "must not be empty");
    return false;
  }
  return true;
}

bool MapReader::integer64(const std::string& key, long long& out, long long min, long long max,
                          Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  long long parsed = 0;
  if (!parseInt64(v.Scalar(), parsed)) {
    diag_.error(v.Mark(), pathOf(key), "expected an integer, found '" + v.Scalar() + "'");
    return false;
  }
  if (parsed < min || parsed > max) {
    diag_.error(v.Mark(), pathOf(key),
                "value " + std::to_string(parsed) + " out of range [" + std::to_string(min) +
                    ", " + std::to_string(max) + "]");
    return false;
  }
  out = parsed;
  return true;
}

bool MapReader::integer(const std::string& key, int& out, int min, int max, Need need) {
  long long v = 0;
  if (!integer64(key, v, min, max, need)) return false;
  out = static_cast<int>(v);
  return true;
}

bool MapReader::number(const std::string& key, double& out, double min, double max, Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  double parsed = 0;
  if (!parseDouble(v.Scalar(), parsed)) {
    diag_.error(v.Mark(), pathOf(key), "expected a number, found '" + v.Scalar() + "'");
    return false;
  }
  if (parsed < min || parsed > max) {
    diag_.error(v.Mark(), pathOf(key),
                "value " + v.Scalar() + " out of range [" + std::to_string(min) + ", " +
                    std::to_string(max) + "]");
    return false;
  }
  out = parsed;
  return true;
}

bool MapReader::boolean(const std::string& key, bool& out, Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  const std::string& s = v.Scalar();
  if (s == "true" || s == "yes" || s == "on") {
    out = true;
  } else if (s == "false" || s == "no" || s == "off") {
    out = false;
  } else {
    diag_.error(v.Mark(), pathOf(key), "expected true or false, found '" + s + "'");
    return false;
  }
  return true;
}

bool MapReader::choice(const std::string& key, std::string& out,
                       const std::vector<std::string>& choices, Need need) {
  std::string s;
  if (!string(key, s, need)) return false;
  for (const auto& c : choices) {
    if (c == s) {
      out = s;
      return true;
    }
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  error(key, "'" + s + "' is not one of: " + list);
  return false;
}

bool MapReader::stringList(const std::string& key, std::vector<std::string>& out, Need need) {
  YAML::Node v = child(key, need);
  if (!v.IsDefined() || v.IsNull()) return false;
  if (!v.IsSequence()) {
    diag_.error(v.Mark(), pathOf(key), std::string("expected a list, found ") + typeName(v));
    return false;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      diag_.error(v[i].Mark(), pathOf(key) + "[" + std::to_string(i) + "]",
                  "expected a string");
      ok = false;
      continue;
    }
    items.push_back(v[i].Scalar());
  }
  if (ok) out = std::move(items);
  return ok;
}

bool MapReader::duration(const std::string& key, double& seconds, double min_s, double max_s,
                         Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  auto parsed = parseDuration(v.Scalar());
  if (!parsed) {
    diag_.error(v.Mark(), pathOf(key),
                "expected a duration such as 30s, 5m, 36h or 7d, found '" + v.Scalar() + "'");
    return false;
  }
  if (*parsed < min_s || *parsed > max_s) {
    diag_.error(v.Mark(), pathOf(key), "duration '" + v.Scalar() + "' out of range");
    return false;
  }
  seconds = *parsed;
  return true;
}

bool MapReader::bytes(const std::string& key, long long& out, long long min, long long max,
                      Need need) {
  YAML::Node v = scalar(key, need);
  if (!v.IsDefined()) return false;
  auto parsed = parseBytes(v.Scalar());
  if (!parsed) {
    diag_.error(v.Mark(), pathOf(key),
                "expected a size such as 65536, 64KiB or 2GiB, found '" + v.Scalar() + "'");
    return false;
  }
  if (*parsed < min || *parsed > max) {
    diag_.error(v.Mark(), pathOf(key), "size '" + v.Scalar() + "' out of range");
    return false;
  }
  out = *parsed;
  return true;
}

void MapReader::finish() {
  if (finished_) return;
  finished_ = true;
  if (!valid_ || !node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) {
      diag_.error(it->first.Mark(), path_, "keys must be strings");
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (known_.count(key) == 0) {
      diag_.error(it->first.Mark(), pathOf(key), "unknown key");
    }
  }
}

void forEachItem(const YAML::Node& seq, const std::string& path, Diagnostics& diag,
                 const std::function<void(const YAML::Node&, const std::string&)>& fn) {
  if (!seq.IsDefined() || seq.IsNull()) return;
  if (!seq.IsSequence()) {
    diag.error(seq.Mark(), path, std::string("expected a list, found ") + typeName(seq));
    return;
  }
  for (size_t i = 0; i < seq.size(); ++i) {
    fn(seq[i], path + "[" + std::to_string(i) + "]");
  }
}

std::optional<std::pair<double, double>> readPoint(const YAML::Node& node, const std::string& path,
                                                   Diagnostics& diag) {
  if (!node.IsSequence() || node.size() != 2 || !node[0].IsScalar() || !node[1].IsScalar()) {
    diag.error(node.Mark(), path, "expected a point [x, y]");
    return std::nullopt;
  }
  double x = 0, y = 0;
  if (!parseDouble(node[0].Scalar(), x) || !parseDouble(node[1].Scalar(), y)) {
    diag.error(node.Mark(), path, "point coordinates must be numbers");
    return std::nullopt;
  }
  return std::make_pair(x, y);
}

std::vector<std::pair<double, double>> readPolygon(const YAML::Node& node, const std::string& path,
                                                   Diagnostics& diag, size_t min_points) {
  std::vector<std::pair<double, double>> out;
  if (!node.IsSequence()) {
    diag.error(node.Mark(), path, "expected a list of points [[x, y], ...]");
    return out;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    auto p = readPoint(node[i], path + "[" + std::to_string(i) + "]", diag);
    if (p) out.push_back(*p);
  }
  if (out.size() < min_points) {
    diag.error(node.Mark(), path,
               "needs at least " + std::to_string(min_points) + " points, found " +
                   std::to_string(node.size()));
  }
  return out;
}

std::optional<double> parseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  double value = 0;
  if (!parseDouble(text.substr(0, i), value) || value < 0) return std::nullopt;
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") return value;
  if (unit == "ms") return value / 1000.0;
  if (unit == "m" || unit == "min") return value * 60.0;
  if (unit == "h") return value * 3600.0;
  if (unit == "d") return value * 86400.0;
  return std::nullopt;
}

std::optional<long long> parseBytes(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  long long value = 0;
  if (!parseInt64(text.substr(0, i), value) || value < 0) return std::nullopt;
  std::string unit = text.substr(i);
  long long mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB" || unit == "K") {
    mult = 1024LL;
  } else if (unit == "MiB" || unit == "M") {
    mult = 1024LL * 1024;
  } else if (unit == "GiB" || unit == "G") {
    mult = 1024LL * 1024 * 1024;
  } else if (unit == "kB" || unit == "KB") {
    mult = 1000LL;
  } else if (unit == "MB") {
    mult = 1000LL * 1000;
  } else if (unit == "GB") {
    mult = 1000LL * 1000 * 1000;
  } else {
    return std::nullopt;
  }
  if (value > std::numeric_limits<long long>::max() / mult) return std::nullopt;
  return value * mult;
}

bool isValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace shaobing::config
