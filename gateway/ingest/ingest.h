// Device input: subscribes the local broker's device topics, journals every
// message to SQLite before the broker gets its PUBACK, decodes it with the
// device's driver, checks it and feeds the rule engine.
//
//   shaobing/<site>/in/access/<device>        default driver shaobing-access-v1
//   shaobing/<site>/in/sensor/<device>        default driver shaobing-sensor-v1
//   shaobing/<site>/in/camera/<camera>/event  default driver shaobing-camera-event-v1
//
// Bad input (oversized, unknown device, undecodable, far-off timestamps) is
// counted as `driver.<name>.rejected.<reason>` and logged, rate-limited;
// it never becomes an event.
#pragma once

#include <memory>

#include "gateway/daemon/component.h"

namespace shaobing::ingest {

std::unique_ptr<Component> createIngest(ServiceContext& ctx, const config::Config& cfg);

}  // namespace shaobing::ingest
