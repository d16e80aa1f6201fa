#include "cli/demo_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/plan_command.h"

namespace convoy::cli {

CLI::App* AddDemoCommand(CLI::App* app, bool* keep) {
  auto* demo = app->add_subcommand(
      "demo",
      "Evacuate two hosts of a local testbed (four hosts, six QEMU guests, convoyd) with live "
      "progress, check every guest kept running, tear it down. Root; a few minutes");
  demo->add_flag("--keep", *keep, "Leave the testbed and convoyd up at the end");
  return demo;
}

int RunDemo(const char* argv0, bool keep) {
  const std::string script = std::string(CONVOY_SOURCE_DIR) + "/scripts/demo-evacuation";
  if (access(script.c_str(), X_OK) != 0) {
    std::cerr << "convoy: demo: " << script << " is missing (the demo runs from the source tree "
              << "convoy was built from)\n";
    return kExitError;
  }
  std::error_code error;
  const auto self = std::filesystem::canonical("/proc/self/exe", error);
  const std::string bin = error ? std::filesystem::path(argv0).parent_path().string()
                                : self.parent_path().string();
  setenv("CONVOY_BIN", bin.c_str(), 1);
  std::vector<char*> args = {const_cast<char*>(script.c_str())};
  if (keep) args.push_back(const_cast<char*>("--keep"));
  args.push_back(nullptr);
  execv(script.c_str(), args.data());
  std::cerr << "convoy: demo: cannot run " << script << ": " << std::strerror(errno) << "\n";
  return kExitError;
}

}  // namespace convoy::cli
