// shaobing-report-v1: people's reports (随手拍, patrol findings); README.md.
#pragma once

#include <memory>

#include "drivers/driver.h"

namespace shaobing::drivers {

std::unique_ptr<Driver> createReportV1();

}  // namespace shaobing::drivers
