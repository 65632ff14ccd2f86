// The normalised device event: what drivers make of a device's message and
// what the rules consume. Drivers (drivers/) produce it from each vendor's
// format; the rules (gateway/rules/) never see a payload.
#pragma once

#include <optional>
#include <string>

#include "gateway/core/clock.h"

namespace shaobing {

enum class EventKind {
  kAccessGranted,
  kAccessDenied,
  kDoorOpened,
  kDoorClosed,
  kDoorForced,
  kDoorHeldOpen,
  kPassage,  // people through one opening: `count`
  kTamper,
  kHeartbeat,
  kPower,    // power in W: `value`
  kWater,    // water in litres: `value`; `state` true = a cumulative meter reading, false = used since the last
  kSmokeAlarm,
  kContact,  // door/window contact: `state` true = open
  kObjectEnteredZone,
  kEbikeDetected,
  kVehicleLeftZone,  // non-motor vehicle left `zone`
  kReport,           // a person's report (随手拍): `report`; `device` is the reporter
};
const char* toString(EventKind k);

// What a resident or grid worker reported, as their app sent it.
struct Report {
  std::string level;      // routine | priority | emergency
  std::string text;
  std::string report_id;  // makes re-sending idempotent
  std::string grid;
  std::string building, unit, place;  // place: free text
  std::optional<int> floor;
  std::string photo_jpeg;  // decoded bytes, empty when none
};

struct Event {
  EventKind kind = EventKind::kHeartbeat;
  std::string device;  // always the topic's device id
  std::optional<SystemTime> at;  // as the device stated it
  std::string method;       // card | face | qr | pin | remote
  std::string person_type;  // resident | tenant | visitor | unknown | blocklisted
  std::string person_id;
  std::string credential;   // card number, face or QR id used, when the device reports it
  std::string tag;          // a vehicle's own tag (e-bike RFID / plate), when reported
  std::string zone;
  std::string object;  // ebike | bicycle | person | ...
  int count = 0;
  double value = 0;
  bool state = false;
  std::optional<Report> report;  // kReport only
};

}  // namespace shaobing
