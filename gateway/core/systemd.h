// systemd service manager notifications (sd_notify). All calls are no-ops
// when the daemon was not started by systemd (NOTIFY_SOCKET unset).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace shaobing::systemd {

void notifyReady(const std::string& status = "");
void notifyReloading();
void notifyStopping();
void notifyWatchdog();
void notifyStatus(const std::string& status);
// The watchdog interval systemd expects pings within, if enabled for us.
std::optional<std::chrono::microseconds> watchdogInterval();

}  // namespace shaobing::systemd
