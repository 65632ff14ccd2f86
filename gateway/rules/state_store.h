// Where rules keep state that must survive a restart (last time a device or
// a watched resident was seen, when a charging load began). Keys and values
// are strings; the real store is a table in the inbound journal's SQLite
// file, tests use a map.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace shaobing::rules {

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual void put(const std::string& key, const std::string& value) = 0;
  virtual void erase(const std::string& key) = 0;
  // Every entry whose key starts with `prefix`.
  virtual std::map<std::string, std::string> load(const std::string& prefix) const = 0;
};

// In-memory store (tests, and when persistence is unavailable).
class MemoryStateStore : public StateStore {
 public:
  void put(const std::string& key, const std::string& value) override { map_[key] = value; }
  void erase(const std::string& key) override { map_.erase(key); }
  std::map<std::string, std::string> load(const std::string& prefix) const override {
    std::map<std::string, std::string> out;
    for (auto it = map_.lower_bound(prefix); it != map_.end() && it->first.rfind(prefix, 0) == 0;
         ++it) {
      out.insert(*it);
    }
    return out;
  }

 private:
  std::map<std::string, std::string> map_;
};

}  // namespace shaobing::rules
