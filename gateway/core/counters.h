// Named monotonic counters reported in the health message. A counter is
// created on first use and lives as long as the registry; increments are
// lock-free and safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace shaobing {

class Counters {
 public:
  std::atomic<uint64_t>& counter(const std::string& name);
  void add(const std::string& name, uint64_t n = 1) { counter(name).fetch_add(n); }
  uint64_t get(const std::string& name) const;
  std::map<std::string, uint64_t> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::atomic<uint64_t>*> index_;
  std::deque<std::atomic<uint64_t>> storage_;  // stable addresses
};

}  // namespace shaobing
