// Subcommands of the `shaobing` tool. Each register function adds one
// subcommand to `app`; its callback stores the process exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace shaobing::cli {

void registerCheckConfig(CLI::App& app, int& exit_code);
void registerReport(CLI::App& app, int& exit_code);
void registerReplay(CLI::App& app, int& exit_code);
void registerReplaySensor(CLI::App& app, int& exit_code);
void registerFeedCamera(CLI::App& app, int& exit_code);
void registerWhistles(CLI::App& app, int& exit_code);

inline void registerCommands(CLI::App& app, int& exit_code) {
  registerCheckConfig(app, exit_code);
  registerReport(app, exit_code);
  registerReplay(app, exit_code);
  registerReplaySensor(app, exit_code);
  registerFeedCamera(app, exit_code);
  registerWhistles(app, exit_code);
}

}  // namespace shaobing::cli
