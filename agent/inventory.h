// What the agent reports about its host and VMs: facts from the hypervisor, tap byte rates from
// two samples of the counters, and dirty rates measured by the hypervisor on request.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "agent/enlightenment.h"
#include "agent/hypervisor.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

class Inventory {
 public:
  Inventory(Hypervisor* hypervisor, std::string host_name, std::string libvirt_uri)
      : hypervisor_(hypervisor),
        host_name_(std::move(host_name)),
        libvirt_uri_(std::move(libvirt_uri)) {}

  // Where VM reports get the guest module's enlightenment from; optional, set before use.
  void SetEnlightenmentReader(EnlightenmentReader* reader) { enlightenment_ = reader; }

  // Builds the report the request asks for. Blocks for rate_window_ms and for the dirty-rate
  // period when those are set. INVALID_ARGUMENT for an unknown dirty-rate mode or a period above
  // 60 s; NOT_FOUND when a VM named in the request does not exist.
  StatusOr<v1::HostReport> Describe(const v1::DescribeRequest& request);

 private:
  struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t rx_bytes = 0, tx_bytes = 0;
  };
  void FillRates(const DomainFacts& facts, v1::VmReport* vm);
  // Reads anew, in parallel, the enlightenment of the running VMs whose last reading is older
  // than `max_age_s`.
  void RefreshEnlightenment(const std::vector<std::string>& vms, double max_age_s);

  Hypervisor* const hypervisor_;
  EnlightenmentReader* enlightenment_ = nullptr;
  const std::string host_name_;
  const std::string libvirt_uri_;
  std::mutex mu_;
  std::map<std::string, Sample> last_;  // by "vm/dev"
};

}  // namespace convoy::agent
