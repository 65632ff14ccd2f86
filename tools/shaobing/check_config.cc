// `shaobing check-config PATH`: validates a configuration file and prints
// each problem as PATH:LINE:COL: key.path: message.
#include <iostream>

#include "config/config.h"
#include "tools/shaobing/commands.h"

namespace shaobing::cli {

void registerCheckConfig(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check-config", "validate a configuration file");
  auto path = std::make_shared<std::string>();
  cmd->add_option("PATH", *path, "configuration file")->required();
  cmd->callback([path, &exit_code] {
    config::LoadResult result = config::loadConfigFile(*path);
    if (result.ok()) {
      const auto& c = *result.config;
      std::cout << *path << ": OK (site " << c.site.id << ", " << c.devices.size()
                << " device(s))\n";
      exit_code = 0;
      return;
    }
    for (const auto& m : result.messages()) std::cout << m << "\n";
    std::cerr << *path << ": " << result.diagnostics.items().size() << " problem(s)\n";
    exit_code = 1;
  });
}

}  // namespace shaobing::cli
