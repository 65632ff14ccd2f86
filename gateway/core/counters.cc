// Counter registry; see counters.h.
#include "gateway/core/counters.h"

namespace shaobing {

std::atomic<uint64_t>& Counters::counter(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(name);
  if (it != index_.end()) return *it->second;
  storage_.emplace_back(0);
  index_[name] = &storage_.back();
  return storage_.back();
}

uint64_t Counters::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(name);
  return it == index_.end() ? 0 : it->second->load();
}

std::map<std::string, uint64_t> Counters::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [k, v] : index_) out[k] = v->load();
  return out;
}

}  // namespace shaobing
