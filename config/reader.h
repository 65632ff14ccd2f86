// Schema-checking reader over a parsed YAML tree. Every problem is recorded
// with its line, column and key path, so `shaobing check-config` and the
// daemon can print `FILE:LINE:COL: key.path: message` for each of them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace shaobing::config {

struct Diagnostic {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string key_path;
  std::string message;

  // "FILE:LINE:COL: key.path: message"
  std::string format(const std::string& file) const;
};

class Diagnostics {
 public:
  void error(const YAML::Mark& mark, const std::string& key_path, const std::string& message);
  void error(int line, int column, const std::string& key_path, const std::string& message);
  bool ok() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

enum class Need { kOptional, kRequired };

// Reads the keys of one YAML mapping. Each accessor marks its key as known;
// finish() reports every key that no accessor asked for (typos must not pass
// silently). Accessors leave `out` untouched when the key is absent or bad.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Diagnostics& diag);
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool valid() const { return valid_; }
  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }
  std::string pathOf(const std::string& key) const;
  Diagnostics& diagnostics() { return diag_; }
  const YAML::Node& node() const { return node_; }

  bool string(const std::string& key, std::string& out, Need need = Need::kOptional);
  bool integer(const std::string& key, int& out, int min, int max, Need need = Need::kOptional);
  bool integer64(const std::string& key, long long& out, long long min, long long max,
                 Need need = Need::kOptional);
  bool number(const std::string& key, double& out, double min, double max,
              Need need = Need::kOptional);
  bool boolean(const std::string& key, bool& out, Need need = Need::kOptional);
  // A string that must be one of `choices`.
  bool choice(const std::string& key, std::string& out, const std::vector<std::string>& choices,
              Need need = Need::kOptional);
  bool stringList(const std::string& key, std::vector<std::string>& out,
                  Need need = Need::kOptional);
  // A duration such as 30, "30s", "5m", "36h", "7d"; stored in seconds.
  bool duration(const std::string& key, double& seconds, double min_s, double max_s,
                Need need = Need::kOptional);
  // A byte size such as 65536, "64KiB", "512MiB", "2GiB".
  bool bytes(const std::string& key, long long& out, long long min, long long max,
             Need need = Need::kOptional);

  // Returns the child node (undefined when absent) and marks the key known.
  YAML::Node child(const std::string& key, Need need = Need::kOptional);

  // Marks a key as known without reading it (for keys read elsewhere).
  void accept(const std::string& key) { known_.insert(key); }

  // Reports unknown keys. Called by the destructor if not called before.
  void finish();

  void error(const std::string& key, const std::string& message);

 private:
  YAML::Node scalar(const std::string& key, Need need);

  YAML::Node node_;
  std::string path_;
  Diagnostics& diag_;
  bool valid_ = false;
  bool finished_ = false;
  std::set<std::string> known_;
};

// Calls fn(item, item_path) for each element of a YAML sequence; reports a
// non-sequence. An absent node is an empty list.
void forEachItem(const YAML::Node& seq, const std::string& path, Diagnostics& diag,
                 const std::function<void(const YAML::Node&, const std::string&)>& fn);

// Parses [x, y] into a pair of doubles.
std::optional<std::pair<double, double>> readPoint(const YAML::Node& node, const std::string& path,
                                                   Diagnostics& diag);
// Parses [[x, y], ...] with at least `min_points` points.
std::vector<std::pair<double, double>> readPolygon(const YAML::Node& node, const std::string& path,
                                                   Diagnostics& diag, size_t min_points);

// Parses "30", "30s", "5m", "2h", "7d" (or a bare number of seconds).
std::optional<double> parseDuration(const std::string& text);
// Parses "65536", "64KiB", "10MB", "2GiB".
std::optional<long long> parseBytes(const std::string& text);

// Identifier rule shared by site, device, camera and grid ids.
bool isValidId(const std::string& id);

}  // namespace shaobing::config
