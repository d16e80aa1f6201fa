// Powers hosts on and off for the executor's boot and shutdown actions.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "convoy/common/status.h"

namespace convoy::controller {

class PowerDriver {
 public:
  virtual ~PowerDriver() = default;
  // Blocks until the host is on (its agent may still be starting) or off. Thread-safe; called
  // from the executor's worker threads. The error names the host and what failed.
  virtual Status Boot(const std::string& host) = 0;
  virtual Status Shutdown(const std::string& host) = 0;
};

// Runs an operator's command as `COMMAND boot|shutdown HOST` through /bin/sh; exit status 0 is
// success, anything else an error carrying the command's last output line. The testbed's
// driver is this with `scripts/testbed power`.
std::unique_ptr<PowerDriver> MakeExecPowerDriver(std::string command, int timeout_s = 600);

// ipmitool against each host's BMC. `bmc_by_host` maps a host to "ADDRESS USER PASSWORD_FILE"
// (the password is read by ipmitool from the file, never put on a command line).
std::unique_ptr<PowerDriver> MakeIpmiPowerDriver(std::map<std::string, std::string> bmc_by_host,
                                                 int timeout_s = 120);
// Reads "HOST ADDRESS USER PASSWORD_FILE" lines (# comments) for MakeIpmiPowerDriver.
StatusOr<std::map<std::string, std::string>> LoadIpmiHostsFile(const std::string& path);

// No power control: every boot and shutdown fails with FAILED_PRECONDITION saying how to
// configure one. The default; plans that need no power action never call it.
std::unique_ptr<PowerDriver> MakeNoPowerDriver();

}  // namespace convoy::controller
