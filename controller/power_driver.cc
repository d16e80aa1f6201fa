#include "controller/power_driver.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace convoy::controller {
namespace {

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool SafeHostName(const std::string& host) {
  if (host.empty()) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Runs `command_line` with a timeout; OK on exit 0, else the last line of its output.
Status RunCommand(const std::string& what, const std::string& command_line, int timeout_s) {
  const std::string wrapped =
      absl::StrCat("timeout ", timeout_s, " /bin/sh -c ", ShellQuote(command_line), " 2>&1");
  FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat(what, ": cannot run the command"));
  std::string last_line;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    std::string line(buffer.data());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (!line.empty()) last_line = line;
  }
  const int status = ::pclose(pipe);
  if (status == 0) return absl::OkStatus();
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 124) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": no answer after ", timeout_s, " s (", command_line, ")"));
  }
  return absl::UnavailableError(absl::StrCat(what, " failed (exit ", code, ")",
                                             last_line.empty() ? "" : ": ", last_line));
}

class ExecPowerDriver final : public PowerDriver {
 public:
  ExecPowerDriver(std::string command, int timeout_s)
      : command_(std::move(command)), timeout_s_(timeout_s) {}
  Status Boot(const std::string& host) override { return Run("boot", host); }
  Status Shutdown(const std::string& host) override { return Run("shutdown", host); }

 private:
  Status Run(const std::string& verb, const std::string& host) {
    if (!SafeHostName(host)) {
      return absl::InvalidArgumentError(absl::StrCat("refusing to ", verb, " host '", host,
                                                     "': not a plain host name"));
    }
    return RunCommand(absl::StrCat(verb, " of ", host),
                      absl::StrCat(command_, " ", verb, " ", ShellQuote(host)), timeout_s_);
  }
  std::string command_;
  int timeout_s_;
};

class IpmiPowerDriver final : public PowerDriver {
 public:
  IpmiPowerDriver(std::map<std::string, std::string> bmc, int timeout_s)
      : bmc_(std::move(bmc)), timeout_s_(timeout_s) {}
  Status Boot(const std::string& host) override { return Run("on", host); }
  Status Shutdown(const std::string& host) override { return Run("soft", host); }

 private:
  Status Run(const std::string& verb, const std::string& host) {
    auto it = bmc_.find(host);
    if (it == bmc_.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no BMC configured for host ", host, " in the IPMI hosts file"));
    }
    std::istringstream fields(it->second);
    std::string address, user, password_file;
    fields >> address >> user >> password_file;
    return RunCommand(absl::StrCat("ipmitool power ", verb, " of ", host),
                      absl::StrCat("ipmitool -I lanplus -H ", ShellQuote(address), " -U ",
                                   ShellQuote(user), " -f ", ShellQuote(password_file),
                                   " chassis power ", verb),
                      timeout_s_);
  }
  std::map<std::string, std::string> bmc_;
  int timeout_s_;
};

class NoPowerDriver final : public PowerDriver {
 public:
  Status Boot(const std::string& host) override { return Refuse("boot", host); }
  Status Shutdown(const std::string& host) override { return Refuse("shut down", host); }

 private:
  static Status Refuse(const std::string& verb, const std::string& host) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot ", verb, " host ", host,
                     ": convoyd has no power driver (set power-command or ipmi-hosts-file)"));
  }
};

}  // namespace

std::unique_ptr<PowerDriver> MakeExecPowerDriver(std::string command, int timeout_s) {
  return std::make_unique<ExecPowerDriver>(std::move(command), timeout_s);
}

std::unique_ptr<PowerDriver> MakeIpmiPowerDriver(std::map<std::string, std::string> bmc_by_host,
                                                 int timeout_s) {
  return std::make_unique<IpmiPowerDriver>(std::move(bmc_by_host), timeout_s);
}

std::unique_ptr<PowerDriver> MakeNoPowerDriver() { return std::make_unique<NoPowerDriver>(); }

StatusOr<std::map<std::string, std::string>> LoadIpmiHostsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read IPMI hosts file ", path));
  std::map<std::string, std::string> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string host, address, user, password_file;
    if (!(fields >> host >> address >> user >> password_file)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": expected HOST ADDRESS USER PASSWORD_FILE, got '", line, "'"));
    }
    out[host] = absl::StrCat(address, " ", user, " ", password_file);
  }
  return out;
}

}  // namespace convoy::controller
