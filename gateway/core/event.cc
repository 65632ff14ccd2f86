// Names of event kinds, as logs and whistle details spell them.
#include "gateway/core/event.h"

namespace shaobing {

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
    case EventKind::kWater: return "water";
    case EventKind::kSmokeAlarm: return "smoke_alarm";
    case EventKind::kContact: return "contact";
    case EventKind::kObjectEnteredZone: return "object_entered_zone";
    case EventKind::kEbikeDetected: return "ebike_detected";
    case EventKind::kVehicleLeftZone: return "vehicle_left_zone";
    case EventKind::kReport: return "report";
  }
  return "unknown";
}

}  // namespace shaobing
