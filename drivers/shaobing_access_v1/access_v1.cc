// shaobing-access-v1: the project's own JSON schema for access-control
// events (README.md in this folder).
#include "drivers/shaobing_access_v1/access_v1.h"

#include <map>

#include "drivers/json_fields.h"

namespace shaobing::drivers {

namespace {

using namespace json_fields;

const std::map<std::string, EventKind>& eventNames() {
  static const std::map<std::string, EventKind> m = {
      {"access_granted", EventKind::kAccessGranted}, {"access_denied", EventKind::kAccessDenied},
      {"door_opened", EventKind::kDoorOpened},       {"door_closed", EventKind::kDoorClosed},
      {"door_forced", EventKind::kDoorForced},       {"door_held_open", EventKind::kDoorHeldOpen},
      {"passage", EventKind::kPassage},              {"tamper", EventKind::kTamper},
      {"heartbeat", EventKind::kHeartbeat}};
  return m;
}

bool oneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (v == a) return true;
  }
  return false;
}

class AccessV1 : public Driver {
 public:
  std::string name() const override { return "shaobing-access-v1"; }

  DecodeResult decode(const std::string& device, const std::string& payload) const override {
    DecodeResult fail;
    Event e;
    auto j = beginEvent(payload, device, "device", "ts", e, fail);
    std::string event;
    if (!j || !reqString(*j, "event", event, fail)) return fail;
    auto it = eventNames().find(event);
    if (it == eventNames().end()) {
      return DecodeResult::fail(Reject::kUnknownEvent, "unknown event '" + event + "'");
    }
    e.kind = it->second;
    if (e.kind == EventKind::kAccessGranted || e.kind == EventKind::kAccessDenied) {
      if (!reqString(*j, "method", e.method, fail)) return fail;
      if (!oneOf(e.method, {"card", "face", "qr", "pin", "remote"})) {
        return DecodeResult::fail(Reject::kWrongType, "unknown method '" + e.method + "'");
      }
      auto p = j->find("person");
      if (p == j->end() || !p->is_object()) {
        return DecodeResult::fail(p == j->end() ? Reject::kMissingField : Reject::kWrongType,
                                  "'person' must be an object");
      }
      if (!reqString(*p, "type", e.person_type, fail) || !optString(*p, "id", e.person_id, fail) ||
          !optString(*j, "credential", e.credential, fail) || !optString(*j, "tag", e.tag, fail)) {
        return fail;
      }
      if (!oneOf(e.person_type, {"resident", "tenant", "visitor", "unknown", "blocklisted"})) {
        return DecodeResult::fail(Reject::kWrongType, "unknown person type '" + e.person_type + "'");
      }
    }
    if (e.kind == EventKind::kPassage) {
      std::optional<double> count;
      if (!optNumber(*j, "count", count, fail)) return fail;
      if (!count) return DecodeResult::fail(Reject::kMissingField, "'count' is missing");
      if (*count < 0 || *count > 1000 || *count != static_cast<int>(*count)) {
        return DecodeResult::fail(Reject::kWrongType, "'count' must be an integer 0..1000");
      }
      e.count = static_cast<int>(*count);
    }
    if (e.kind == EventKind::kDoorHeldOpen) {
      std::optional<double> held;
      if (!optNumber(*j, "held_s", held, fail)) return fail;
      e.value = held.value_or(0);
    }
    DecodeResult ok;
    ok.events.push_back(std::move(e));
    return ok;
  }
};

}  // namespace

std::unique_ptr<Driver> createAccessV1() { return std::make_unique<AccessV1>(); }

}  // namespace shaobing::drivers
