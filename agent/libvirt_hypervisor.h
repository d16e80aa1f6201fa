// Hypervisor on libvirt (C API, libvirt 9.0). Runs libvirt's default event loop on a thread of
// its own (needed for keepalive and for the migration-iteration event) and reconnects when the
// connection to libvirtd drops.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <libvirt/libvirt.h>

#include "agent/hypervisor.h"

namespace convoy::agent {

// The socket path of the unix virtio-serial channel `name` in a domain's live XML (for
// ChannelPath; pure, exposed for tests). FAILED_PRECONDITION when there is no such channel, or
// libvirt says no guest process has the port open (target state='disconnected').
StatusOr<std::string> ChannelPathIn(std::string_view xml, const std::string& vm,
                                    const std::string& name);

class LibvirtHypervisor final : public Hypervisor {
 public:
  // Connects to `uri` (e.g. qemu:///system). UNAVAILABLE with libvirt's message when it cannot.
  static StatusOr<std::unique_ptr<LibvirtHypervisor>> Open(const std::string& uri);
  ~LibvirtHypervisor() override;

  StatusOr<HostFacts> DescribeHost() override;
  StatusOr<std::vector<DomainFacts>> ListDomains() override;
  StatusOr<DomainFacts> GetDomain(const std::string& vm) override;
  Status StartDirtyRateCalc(const std::string& vm, int period_s, DirtyRateMode mode) override;
  StatusOr<DirtyRateSample> GetDirtyRate(const std::string& vm) override;
  Status Migrate(const std::string& vm, const MigrateOptions& options) override;
  StatusOr<JobStats> GetJobStats(const std::string& vm, bool completed) override;
  Status SetMaxSpeed(const std::string& vm, double mibps, bool postcopy) override;
  Status SetMaxDowntime(const std::string& vm, double downtime_ms) override;
  Status StartPostCopy(const std::string& vm) override;
  Status AbortJob(const std::string& vm) override;
  StatusOr<std::string> ChannelPath(const std::string& vm, const std::string& name) override;
  void SetIterationCallback(IterationCallback callback) override;
  void SetJobCompletedCallback(JobCompletedCallback callback) override;

 private:
  explicit LibvirtHypervisor(std::string uri) : uri_(std::move(uri)) {}
  // The live connection (reopened if it died), or UNAVAILABLE.
  StatusOr<virConnectPtr> Conn();
  Status Connect();  // with mu_ held
  StatusOr<DomainFacts> Facts(virDomainPtr dom);
  static void OnIteration(virConnectPtr conn, virDomainPtr dom, int iteration, void* opaque);
  static void OnJobCompleted(virConnectPtr conn, virDomainPtr dom, virTypedParameterPtr params,
                             int nparams, void* opaque);

  const std::string uri_;
  std::mutex mu_;
  virConnectPtr conn_ = nullptr;
  int iteration_callback_id_ = -1;
  int completed_callback_id_ = -1;
  std::mutex callback_mu_;
  IterationCallback callback_;
  JobCompletedCallback completed_callback_;
  std::atomic<bool> stop_{false};
  std::thread event_loop_;
};

}  // namespace convoy::agent
