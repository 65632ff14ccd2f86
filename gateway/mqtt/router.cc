// Topic-filter routing of inbound messages; see router.h.
#include "gateway/mqtt/router.h"

#include <mutex>

namespace shaobing::mqtt {

bool topicMatches(const std::string& filter, const std::string& topic) {
  size_t f = 0;
  size_t t = 0;
  // Topics starting with '$' are not matched by wildcards at the first level.
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  while (f < filter.size()) {
    if (filter[f] == '#') return true;  // '#' also matches the parent level
    if (filter[f] == '+') {
      while (t < topic.size() && topic[t] != '/') ++t;
      ++f;
      continue;
    }
    if (t >= topic.size()) {
      // "a/#" matches "a": the filter's remainder is exactly "/#".
      return filter.compare(f, std::string::npos, "/#") == 0;
    }
    if (filter[f] != topic[t]) return false;
    ++f;
    ++t;
  }
  return t == topic.size();
}

Router::Router(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}

void Router::add(const std::string& filter, int qos, InboundHandler handler) {
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    routes_.push_back(Route{filter, std::move(handler)});
  }
  conn_->subscribe(filter, qos);
}

size_t Router::dispatch(const Message& msg) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  size_t n = 0;
  for (const auto& r : routes_) {
    if (topicMatches(r.filter, msg.topic)) {
      r.handler(msg);
      ++n;
    }
  }
  return n;
}

}  // namespace shaobing::mqtt
