// shaobing: the technician's tool. Each subcommand lives in its own file
// and registers itself here.
#include <CLI/CLI.hpp>

#include "gateway/rules/rule.h"
#include "gateway/version.h"
#include "tools/shaobing/commands.h"
#include "vision/detectors/registry.h"

int main(int argc, char** argv) {
  CLI::App app{"shaobing: configure and inspect a shaobing edge gateway"};
  app.set_version_flag("--version", std::string("shaobing ") + shaobing::kVersion);
  app.require_subcommand(1);
  // Camera entries may hold every registered detector's subtree.
  shaobing::vision::registerDetectors();
  shaobing::rules::registerRules();  // and `rules:` each rule's keys
  int exit_code = 0;
  shaobing::cli::registerCommands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
