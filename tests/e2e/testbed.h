// The e2e tests' handle on the testbed (scripts/testbed): bring it up and down, start guests,
// read their serial logs, talk to the agents. Every call is bounded in time.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, at most `timeout_s` seconds.
CommandResult RunCommand(const std::string& command, int timeout_s = 300);

struct TestbedHost {
  std::string name;
  std::string ip;
  std::string libvirt_uri;  // from the root namespace
  std::string agent;        // host:port
};

class Testbed {
 public:
  // Why the e2e tests cannot run on this machine (not root, no network namespaces, no QEMU),
  // or empty when they can.
  static std::string MissingCapability();

  // Builds the guest image and brings up `hosts` hosts. Fails the calling test on error.
  // `up_args` are more arguments to `scripts/testbed up` (e.g. "--rate-mbit 1000").
  bool Up(int hosts, std::string* error, const std::string& up_args = "");
  void Down();

  const std::vector<TestbedHost>& hosts() const { return hosts_; }
  const TestbedHost& host(const std::string& name) const;
  v1::Agent::Stub* agent(const std::string& host);
  // Reconnects to an agent (after a restart).
  void Reconnect(const std::string& host);

  // Starts a guest on `host` running `run` (a workload command line, or empty); `extra` is
  // appended to `scripts/testbed guest` (e.g. "--ip 10.77.0.101/24").
  bool StartGuest(const std::string& name, const std::string& host, int memory_mib,
                  const std::string& run, std::string* error, const std::string& extra = "");
  // Heartbeat numbers the guest printed so far ("convoy-alive NAME N"), in order.
  std::vector<long> Heartbeats(const std::string& guest) const;
  // Waits until the guest's heartbeat passes `count`; false after `timeout_s`.
  bool WaitHeartbeat(const std::string& guest, long count, int timeout_s) const;
  // The hosts whose agent reports the guest running (exactly one when all is well).
  std::vector<std::string> WhereRunning(const std::string& guest);
  std::string state_dir() const { return state_dir_; }
  std::string repo() const { return repo_; }

 private:
  std::string repo_;
  std::string state_dir_;
  std::vector<TestbedHost> hosts_;
  std::map<std::string, std::unique_ptr<v1::Agent::Stub>> stubs_;
};

}  // namespace convoy::e2e
