// The driver registry: adding a driver is one line in kDrivers.
#include "drivers/driver.h"
#include "drivers/hikvision_isapi_acs/hikvision_isapi_acs.h"
#include "drivers/shaobing_access_v1/access_v1.h"
#include "drivers/shaobing_camera_event_v1/camera_event_v1.h"
#include "drivers/shaobing_sensor_v1/sensor_v1.h"

namespace shaobing::drivers {

namespace {
struct Entry {
  const char* name;
  std::unique_ptr<Driver> (*create)();
};
const Entry kDrivers[] = {
    {"shaobing-access-v1", createAccessV1},
    {"shaobing-sensor-v1", createSensorV1},
    {"shaobing-camera-event-v1", createCameraEventV1},
    {"hikvision-isapi-acs", createHikvisionIsapiAcs},
};
}  // namespace

std::unique_ptr<Driver> createDriver(const std::string& name) {
  for (const auto& e : kDrivers) {
    if (name == e.name) return e.create();
  }
  return nullptr;
}

std::vector<std::string> driverNames() {
  std::vector<std::string> out;
  for (const auto& e : kDrivers) out.emplace_back(e.name);
  return out;
}

const char* toString(EventKind k) {
  switch (k) {
    case EventKind::kAccessGranted: return "access_granted";
    case EventKind::kAccessDenied: return "access_denied";
    case EventKind::kDoorOpened: return "door_opened";
    case EventKind::kDoorClosed: return "door_closed";
    case EventKind::kDoorForced: return "door_forced";
    case EventKind::kDoorHeldOpen: return "door_held_open";
    case EventKind::kPassage: return "passage";
    case EventKind::kTamper: return "tamper";
    case EventKind::kHeartbeat: return "heartbeat";
    case EventKind::kPower: return "power";
    case EventKind::kSmokeAlarm: return "smoke_alarm";
    case EventKind::kContact: return "contact";
    case EventKind::kObjectEnteredZone: return "object_entered_zone";
    case EventKind::kEbikeDetected: return "ebike_detected";
    case EventKind::kVehicleLeftZone: return "vehicle_left_zone";
  }
  return "unknown";
}

const char* toString(Reject r) {
  switch (r) {
    case Reject::kMalformedJson: return "malformed_json";
    case Reject::kWrongType: return "wrong_type";
    case Reject::kMissingField: return "missing_field";
    case Reject::kUnknownEvent: return "unknown_event";
    case Reject::kDeviceMismatch: return "device_mismatch";
    case Reject::kTooLarge: return "too_large";
    case Reject::kBadTimestamp: return "bad_timestamp";
    case Reject::kUnknownDevice: return "unknown_device";
  }
  return "unknown";
}

}  // namespace shaobing::drivers
