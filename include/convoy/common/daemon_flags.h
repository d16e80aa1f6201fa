// Command-line and configuration-file parsing shared by the daemons (convoyd, convoy-agent):
// `--config FILE` holds `key = value` lines whose keys are the long options without dashes,
// flags on the command line override the file, and an unknown key is refused by name.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace convoy {

// Adds --config to `app` and makes unknown keys in the file an error. Call before adding the
// other options.
inline void AddConfigFile(CLI::App& app) {
  app.set_config("--config", "",
                 "Configuration file (TOML/INI `key = value`, keys are the long options without "
                 "dashes); flags on the command line override it");
  app.allow_config_extras(CLI::config_extras_mode::error);
}

// Parses; nullopt when the program goes on, else the exit code (0 after --help, 2 for any
// usage or configuration error, with a message naming the problem on stderr).
inline std::optional<int> ParseDaemonFlags(CLI::App& app, int argc, char** argv,
                                           const char* program) {
  constexpr char kUnknownKeyPrefix[] = "INI was not able to parse ";
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    const std::string what = e.what();
    if (what.rfind(kUnknownKeyPrefix, 0) == 0) {
      const std::string key = what.substr(sizeof(kUnknownKeyPrefix) - 1);
      if (key.size() > 3 && key.ends_with(".++")) {  // CLI11's mark of a [section]
        std::fprintf(stderr,
                     "%s: unknown section [%s] in the configuration file (keys go at the top "
                     "level)\n",
                     program, key.substr(0, key.size() - 3).c_str());
      } else {
        std::fprintf(stderr,
                     "%s: unknown key '%s' in the configuration file (keys are the long "
                     "options without dashes; see --help)\n",
                     program, key.c_str());
      }
      return 2;
    }
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

}  // namespace convoy
