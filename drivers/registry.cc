// The driver registry: adding a driver is one line in kDrivers.
#include "drivers/driver.h"
#include "drivers/hikvision_isapi_acs/hikvision_isapi_acs.h"
#include "drivers/shaobing_access_v1/access_v1.h"
#include "drivers/shaobing_camera_event_v1/camera_event_v1.h"
#include "drivers/shaobing_report_v1/report_v1.h"
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
    {"shaobing-report-v1", createReportV1},
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
