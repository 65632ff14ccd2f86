// shaobing-camera-event-v1: analytics events computed on board by smart
// cameras (README.md in this folder).
#include "drivers/shaobing_camera_event_v1/camera_event_v1.h"

#include "drivers/json_fields.h"

namespace shaobing::drivers {

namespace {

using namespace json_fields;

class CameraEventV1 : public Driver {
 public:
  std::string name() const override { return "shaobing-camera-event-v1"; }

  DecodeResult decode(const std::string& device, const std::string& payload) const override {
    DecodeResult fail;
    Event e;
    auto j = beginEvent(payload, device, "camera", "ts", e, fail);
    std::string event;
    if (!j || !reqString(*j, "event", event, fail) || !optString(*j, "zone", e.zone, fail) ||
        !optString(*j, "object", e.object, fail) || !optString(*j, "tag", e.tag, fail)) {
      return fail;
    }
    if (event == "object_entered_zone") {
      e.kind = EventKind::kObjectEnteredZone;
    } else if (event == "ebike_detected") {
      e.kind = EventKind::kEbikeDetected;
      if (e.object.empty()) e.object = "ebike";
    } else if (event == "vehicle_left_zone") {
      e.kind = EventKind::kVehicleLeftZone;
    } else if (event == "heartbeat") {
      e.kind = EventKind::kHeartbeat;
    } else {
      return DecodeResult::fail(Reject::kUnknownEvent, "unknown camera event '" + event + "'");
    }
    if ((e.kind == EventKind::kObjectEnteredZone || e.kind == EventKind::kVehicleLeftZone) &&
        e.zone.empty()) {
      return DecodeResult::fail(Reject::kMissingField, "'zone' is missing");
    }
    DecodeResult ok;
    ok.events.push_back(std::move(e));
    return ok;
  }
};

}  // namespace

std::unique_ptr<Driver> createCameraEventV1() { return std::make_unique<CameraEventV1>(); }

}  // namespace shaobing::drivers
