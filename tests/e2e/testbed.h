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

  // Builds the guest image and brings up `hosts` hosts (`up_args` appended to `scripts/testbed
  // up`, e.g. "--ovs" or "--redis h3,h4"). Fails the calling test on error.
  bool Up(int hosts, std::string* error, const std::string& up_args = "");
  // Stops the testbed (again: harmless). After a failed test it first prints `scripts/testbed
  // check` (each libvirtd's answers and last errors).
  void Down();

  const std::vector<TestbedHost>& hosts() const { return hosts_; }
  // The host of that name; an empty TestbedHost for an unknown name or once the testbed is down.
  const TestbedHost& host(const std::string& name) const;
  v1::Agent::Stub* agent(const std::string& host);
  // Runs `command` (a shell command line) inside host `host`'s namespaces (`scripts/testbed exec`).
  CommandResult Exec(const std::string& host, const std::string& command, int timeout_s = 30) const;
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
  // The first lines of the guest's serial log where its kernel reported trouble (a panic, a BUG,
  // an Oops, a general protection fault, a corrupted stack), "" when there are none.
  std::string KernelTrouble(const std::string& guest) const;
  // The last heartbeat the guest printed (0 before the first).
  long LastBeat(const std::string& guest) const;

  // Migrations through `from`'s agent: start one (60 s deadline), read one, follow one to its
  // end (every progress message, the last one final unless `timeout_s` ran out).
  grpc::Status StartMigration(const std::string& from, const v1::StartMigrationRequest& request,
                              v1::MigrationProgress* progress);
  v1::MigrationProgress GetMigration(const std::string& from, const std::string& id);
  std::vector<v1::MigrationProgress> WatchMigration(const std::string& from, const std::string& id,
                                                    int timeout_s = 300);
  // A request to migrate `vm` to `host` in `mode`, with the testbed's URIs and addresses.
  v1::StartMigrationRequest MigrationTo(const std::string& vm, const std::string& host,
                                        const std::string& mode) const;
  std::string state_dir() const { return state_dir_; }
  // TLS (scripts/testbed makes $S/tls): credentials of the controller (what calls the agents),
  // of an operator and of a viewer (what calls convoyd), and convoyd's own --tls-* flags.
  std::shared_ptr<grpc::ChannelCredentials> ControllerCredentials() const;
  std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& role) const;
  std::vector<std::string> ConvoydTlsFlags() const;
  std::string repo() const { return repo_; }

 private:
  std::string repo_;
  std::string state_dir_;
  std::vector<TestbedHost> hosts_;
  std::map<std::string, std::unique_ptr<v1::Agent::Stub>> stubs_;
};

}  // namespace convoy::e2e
