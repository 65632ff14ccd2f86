// hikvision-isapi-acs: Hikvision access controllers' ISAPI event JSON
// (eventType "AccessControllerEvent", major/minor event codes), as a
// bridge forwards it over MQTT. Codes and fields: README.md in this folder.
#include "drivers/hikvision_isapi_acs/hikvision_isapi_acs.h"

#include <cmath>

#include "drivers/json_fields.h"

namespace shaobing::drivers {

namespace {

using namespace json_fields;

constexpr int kMajorAlarm = 0x1;
constexpr int kMajorEvent = 0x5;

struct Mapping {
  int minor;
  EventKind kind;
  const char* method;  // for access events
};

// Major 0x5 (event) minor codes we act on.
constexpr Mapping kEventCodes[] = {
    {0x01, EventKind::kAccessGranted, "card"},    // legal card pass
    {0x06, EventKind::kAccessDenied, "card"},     // card has no right
    {0x09, EventKind::kAccessDenied, "card"},     // invalid card (no such card number)
    {0x4b, EventKind::kAccessGranted, "face"},    // face verify pass
    {0x4c, EventKind::kAccessDenied, "face"},     // face verify fail
    {0x50, EventKind::kAccessDenied, "face"},     // face recognize fail
    {0x9c, EventKind::kAccessGranted, "qr"},      // QR code verify pass
    {0x9d, EventKind::kAccessDenied, "qr"},       // QR code verify fail
    {0xb5, EventKind::kAccessGranted, "pin"},     // password verify pass
    {0x96, EventKind::kAccessDenied, "pin"},      // password verify fail
    {0x400, EventKind::kAccessGranted, "remote"}, // remote open door pass
    {0x19, EventKind::kDoorOpened, ""},           // door open normal
    {0x1a, EventKind::kDoorClosed, ""},           // door close normal
    {0x1b, EventKind::kDoorForced, ""},           // door open abnormal
    {0x1c, EventKind::kDoorHeldOpen, ""},         // door open timeout
};

// Major 0x1 (alarm): tamper of the controller or a card reader.
constexpr int kHostTamper = 0x404;
constexpr int kReaderTamper = 0x406;

class HikvisionIsapiAcs : public Driver {
 public:
  std::string name() const override { return "hikvision-isapi-acs"; }

  DecodeResult decode(const std::string& device, const std::string& payload) const override {
    DecodeResult fail;
    auto j = parseObject(payload, fail);
    if (!j) return fail;
    std::string event_type;
    if (!reqString(*j, "eventType", event_type, fail)) return fail;
    if (event_type != "AccessControllerEvent") {
      return DecodeResult::fail(Reject::kUnknownEvent, "eventType '" + event_type + "'");
    }
    Event e;
    e.device = device;
    if (!optTimestamp(*j, "dateTime", e.at, fail)) return fail;
    auto ace = j->find("AccessControllerEvent");
    if (ace == j->end() || !ace->is_object()) {
      return DecodeResult::fail(ace == j->end() ? Reject::kMissingField : Reject::kWrongType,
                                "'AccessControllerEvent' must be an object");
    }
    std::optional<double> major, minor;
    if (!optNumber(*ace, "majorEventType", major, fail) || !optNumber(*ace, "subEventType", minor, fail)) {
      return fail;
    }
    if (!major || !minor) {
      return DecodeResult::fail(Reject::kMissingField, "majorEventType and subEventType are required");
    }
    // Event codes are small integers; anything else (fractions, huge values) is
    // not a code this format defines and must not reach an int conversion.
    auto isCode = [](double v) { return v >= 0 && v <= 0xFFFF && v == std::floor(v); };
    if (!isCode(*major) || !isCode(*minor)) {
      return DecodeResult::fail(Reject::kUnknownEvent,
                                "majorEventType and subEventType must be integer event codes 0-65535");
    }
    int maj = static_cast<int>(*major);
    int min = static_cast<int>(*minor);
    bool known = false;
    if (maj == kMajorAlarm && (min == kHostTamper || min == kReaderTamper)) {
      e.kind = EventKind::kTamper;
      known = true;
    } else if (maj == kMajorEvent) {
      for (const auto& m : kEventCodes) {
        if (m.minor == min) {
          e.kind = m.kind;
          e.method = m.method;
          known = true;
          break;
        }
      }
    }
    if (!known) {
      return DecodeResult::fail(Reject::kUnknownEvent, "major " + std::to_string(maj) + " minor 0x" +
                                                           toHex(min) + " is not handled");
    }
    if (e.kind == EventKind::kAccessGranted || e.kind == EventKind::kAccessDenied) {
      std::string employee, card, user_type;
      if (!optString(*ace, "employeeNoString", employee, fail) || !optString(*ace, "cardNo", card, fail) ||
          !optString(*ace, "userType", user_type, fail)) {
        return fail;
      }
      e.person_id = !employee.empty() ? employee : card;
      e.credential = card;
      if (user_type == "blackList") {
        e.person_type = "blocklisted";
      } else if (user_type == "visitor") {
        e.person_type = "visitor";
      } else if (e.kind == EventKind::kAccessDenied && e.person_id.empty()) {
        e.person_type = "unknown";  // no enrolled person matched
      } else {
        e.person_type = "resident";  // an enrolled person ("normal" user)
      }
      if (e.kind == EventKind::kAccessDenied && (min == 0x09 || min == 0x4c || min == 0x50)) {
        e.person_type = user_type == "blackList" ? "blocklisted" : "unknown";
      }
    }
    DecodeResult ok;
    ok.events.push_back(std::move(e));
    return ok;
  }

 private:
  static std::string toHex(int v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x", v);
    return buf;
  }
};

}  // namespace

std::unique_ptr<Driver> createHikvisionIsapiAcs() { return std::make_unique<HikvisionIsapiAcs>(); }

}  // namespace shaobing::drivers
