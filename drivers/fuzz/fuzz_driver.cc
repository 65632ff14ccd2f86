// libFuzzer target for one driver decoder (SHAOBING_FUZZ_DRIVER names it):
// any byte string on any device id must decode to events or a rejection,
// never crash, hang or leak. Built and run by scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <string>

#include "drivers/driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto driver = shaobing::drivers::createDriver(SHAOBING_FUZZ_DRIVER);
  std::string payload(reinterpret_cast<const char*>(data), size);
  auto r = driver->decode("dev-1", payload);
  // A result is either events or a reason, never both.
  if (r.error && !r.events.empty()) __builtin_trap();
  return 0;
}
