// The driver seam: a driver turns one MQTT message from a device into
// normalized events (shaobing::Event, gateway/core/event.h), or says
// precisely why it cannot. Drivers are pure (no I/O, no clock): the ingest
// component applies the checks that need configuration or time (size cap,
// known device, timestamp skew).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/event.h"

namespace shaobing::drivers {

enum class Reject {
  kMalformedJson,
  kWrongType,
  kMissingField,
  kUnknownEvent,
  kDeviceMismatch,  // the payload names a device other than the topic's
  kTooLarge,
  kBadTimestamp,
  kUnknownDevice,
};
const char* toString(Reject r);

struct DecodeResult {
  std::vector<Event> events;
  std::optional<Reject> error;
  std::string detail;  // human-readable reason, for the log

  static DecodeResult fail(Reject r, std::string detail) {
    DecodeResult d;
    d.error = r;
    d.detail = std::move(detail);
    return d;
  }
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
  // `device` comes from the topic, which the broker's ACL ties to the
  // device's credentials. Thread-safe (drivers hold no mutable state).
  virtual DecodeResult decode(const std::string& device, const std::string& payload) const = 0;
};

// The registry: every shipped driver by name; nullptr for an unknown name.
std::unique_ptr<Driver> createDriver(const std::string& name);
std::vector<std::string> driverNames();

}  // namespace shaobing::drivers
