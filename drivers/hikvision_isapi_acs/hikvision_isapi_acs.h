// hikvision-isapi-acs driver factory.
#pragma once
#include <memory>
#include "drivers/driver.h"
namespace shaobing::drivers {
std::unique_ptr<Driver> createHikvisionIsapiAcs();
}
