// sd_notify wrappers; see systemd.h.
#include "gateway/core/systemd.h"

#include <systemd/sd-daemon.h>

namespace shaobing::systemd {

namespace {
void send(const std::string& text) { sd_notify(0, text.c_str()); }
}  // namespace

void notifyReady(const std::string& status) {
  send(status.empty() ? "READY=1" : "READY=1\nSTATUS=" + status);
}
void notifyReloading() { send("RELOADING=1"); }
void notifyStopping() { send("STOPPING=1"); }
void notifyWatchdog() { send("WATCHDOG=1"); }
void notifyStatus(const std::string& status) { send("STATUS=" + status); }

std::optional<std::chrono::microseconds> watchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace shaobing::systemd
