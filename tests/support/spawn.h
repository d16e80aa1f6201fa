// Starting a daemon for a test: argv[0] run with stdin from /dev/null and stdout and stderr
// appended to `log`.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace convoy::test_support {

// The child's pid, or -1 when it could not be started.
pid_t SpawnWithLog(const std::vector<std::string>& argv, const std::string& log);

}  // namespace convoy::test_support
