// The live inventory: agents register and heartbeat; their host and VM reports are kept
// current; a host whose agent misses heartbeats is down. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/agent_channel.h"
#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

struct InventoryOptions {
  // A host is down when its agent has not called for this long.
  int heartbeat_timeout_ms = 6000;
  // The interval agents are told to heartbeat at.
  int heartbeat_interval_ms = 2000;
  // Agents read their VMs' guest modules anew when the last reading is older than this, s.
  uint32_t enlightenment_max_age_s = 30;
  // Wall clock, unix seconds (tests replace it).
  std::function<double()> now_unix_s;
};

class Inventory {
 public:
  Inventory(AgentDialer* dialer, InventoryOptions options);

  // Registers the agent or refreshes it. FAILED_PRECONDITION when an agent that is up already
  // holds the name at another address (two hosts with one name). INVALID_ARGUMENT for a hello
  // without a name or address.
  Status Heartbeat(const v1::AgentHello& hello);

  // Describes every agent that is up, in parallel; failures are kept per agent (AgentState.error)
  // and do not fail the call. Dirty rates are measured when dirty_rate_period_s > 0; a VM keeps
  // its last measured rate through reports that did not measure it.
  void Refresh(uint32_t dirty_rate_period_s = 0);

  // Measures the dirty rates of these VMs (host -> VMs on it) over `period_s`, the hosts in
  // parallel, and keeps them in the hosts' last reports; nothing else of a report changes. A host
  // that is down or does not answer keeps its last figures (its error is recorded).
  void MeasureDirtyRates(const std::map<std::string, std::vector<std::string>>& vms,
                         uint32_t period_s);

  // Agents, their health and last reports; the cluster in the scenario model (hosts that are up
  // or off, their running VMs; links and apps are not known here) and measured bandwidths.
  v1::InventoryResponse Snapshot();

  // The channel to a host's agent; UNAVAILABLE when the host is unknown or down.
  StatusOr<std::shared_ptr<AgentChannel>> Channel(const std::string& host);
  // How a source reaches `host` for a migration (and its agent, for the destination side of a
  // bandwidth reservation).
  StatusOr<v1::Destination> DestinationOf(const std::string& host);
  // Whether the host's agent said it can reserve bandwidth (an Open vSwitch), in its last report.
  bool CanReserve(const std::string& host);
  // The staging of a migration from `source` to `destination` through the hosts `via`
  // (staging_routes.h); FAILED_PRECONDITION when the agents' configurations do not allow it.
  StatusOr<v1::Staging> StagingFor(const std::string& source, const std::string& destination,
                                   const std::vector<std::string>& via);
  // Where the VM runs according to the last reports ("" when no report has it); during a
  // migration, its source.
  std::string HostOf(const std::string& vm);
  // Health of a host: up | down | off | unknown.
  std::string Health(const std::string& host);
  // The controller powered the host off (its agent stops calling: not "down").
  void MarkOff(const std::string& host);

  // Measures the bandwidth from each host to each other with the agents' probe; results go
  // into the snapshot and into the cluster (a host's NIC speed is lowered to what it measured).
  void ProbeBandwidth(const std::vector<std::pair<std::string, std::string>>& pairs,
                      double seconds_each = 2.0);

 private:
  struct Entry {
    v1::AgentHello hello;
    double last_heartbeat_unix_s = 0;
    bool off = false;
    std::string error;
    v1::HostReport report;
    bool has_report = false;
  };
  bool IsUp(const Entry& e, double now) const;
  // Describes the hosts of `requests` that are up, in parallel, each with its request; `apply`
  // runs under the lock with the host's entry and its answer.
  void DescribeEach(
      const std::map<std::string, v1::DescribeRequest>& requests,
      const std::function<void(Entry* entry, StatusOr<v1::HostReport> report)>& apply);
  // Traffic between VM pairs from the hosts' last reports (with mu_ held).
  std::vector<v1::Traffic> MeasuredTraffic() const;

  AgentDialer* dialer_;
  InventoryOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry> agents_;
  std::map<std::string, double> bandwidth_mbps_;  // "from->to"
};

}  // namespace convoy::controller
