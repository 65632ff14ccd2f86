// The daemon's camera component: receives frames (JPEG over MQTT, or a URL /
// file read with OpenCV), runs each camera's pipeline (its detectors from
// vision/detectors/) on its own worker thread, raises their whistles with
// evidence, and raises device_offline when a camera stops sending frames
// (docs/vision.md).
#pragma once

#include <memory>

#include "gateway/daemon/component.h"

namespace shaobing::vision {

// Null when the configuration has no cameras.
std::unique_ptr<Component> createVision(ServiceContext& ctx, const config::Config& cfg);

}  // namespace shaobing::vision
