// shaobing-sensor-v1: smart sockets and household meters (power), water
// meters, smoke detectors, door/window contacts (README.md in this folder).
#include "drivers/shaobing_sensor_v1/sensor_v1.h"

#include "drivers/json_fields.h"

namespace shaobing::drivers {

namespace {

using namespace json_fields;

class SensorV1 : public Driver {
 public:
  std::string name() const override { return "shaobing-sensor-v1"; }

  DecodeResult decode(const std::string& device, const std::string& payload) const override {
    DecodeResult fail;
    Event e;
    auto j = beginEvent(payload, device, "device", "ts", e, fail);
    std::string type;
    if (!j || !reqString(*j, "type", type, fail)) return fail;
    if (type == "power") {
      std::optional<double> watts;
      if (!optNumber(*j, "watts", watts, fail)) return fail;
      if (!watts) return DecodeResult::fail(Reject::kMissingField, "'watts' is missing");
      if (*watts < 0 || *watts > 100000) {
        return DecodeResult::fail(Reject::kWrongType, "'watts' out of range 0..100000");
      }
      e.kind = EventKind::kPower;
      e.value = *watts;
    } else if (type == "water") {
      std::optional<double> total, used;
      if (!optNumber(*j, "total_l", total, fail) || !optNumber(*j, "used_l", used, fail)) return fail;
      if (total.has_value() == used.has_value()) {
        return DecodeResult::fail(total ? Reject::kWrongType : Reject::kMissingField,
                                  "a water reading has one of 'total_l' (the meter's total) or 'used_l'");
      }
      const double litres = total ? *total : *used;
      if (litres < 0 || litres > 1e9) return DecodeResult::fail(Reject::kWrongType, "litres out of range 0..1e9");
      e.kind = EventKind::kWater;
      e.value = litres;
      e.state = total.has_value();
    } else if (type == "smoke" || type == "contact") {
      const char* key = type == "smoke" ? "alarm" : "open";
      std::optional<bool> state;
      if (!optBool(*j, key, state, fail)) return fail;
      if (!state) return DecodeResult::fail(Reject::kMissingField, std::string("'") + key + "' is missing");
      e.kind = type == "smoke" ? EventKind::kSmokeAlarm : EventKind::kContact;
      e.state = *state;
    } else if (type == "heartbeat") {
      e.kind = EventKind::kHeartbeat;
    } else if (type == "tamper") {
      e.kind = EventKind::kTamper;
    } else {
      return DecodeResult::fail(Reject::kUnknownEvent, "unknown sensor type '" + type + "'");
    }
    DecodeResult ok;
    ok.events.push_back(std::move(e));
    return ok;
  }
};

}  // namespace

std::unique_ptr<Driver> createSensorV1() { return std::make_unique<SensorV1>(); }

}  // namespace shaobing::drivers
