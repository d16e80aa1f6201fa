// Runs a program (no shell) with a time bound, for the few host tools the agent drives (tc).
#pragma once

#include <string>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::agent {

// Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null, at most `timeout_s`
// seconds. OK on exit status 0; otherwise an error with the program's name, its exit status and
// the last line it printed (stdout and stderr). DEADLINE_EXCEEDED when it was killed for time.
Status RunProgram(const std::vector<std::string>& argv, int timeout_s = 10,
                  std::string* output = nullptr);

}  // namespace convoy::agent
