// In-memory agents for the controller's unit tests: hosts with VMs, migrations that advance
// one step per GetMigration call and move the VM when they complete. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/agent_channel.h"

namespace convoy::testing {

class FakeAgents : public controller::AgentDialer {
 private:
  std::mutex mu_;
  template <typename Fn>
  auto Locked(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return fn();
  }

 public:
  void AddHost(const std::string& host, uint32_t cpus = 16, double memory_mib = 65536);
  void AddVm(const std::string& host, const std::string& vm, double memory_mib = 1024);
  std::string HostOf(const std::string& vm);
  // Hosts whose agent does not answer.
  void SetUnreachable(const std::string& host, bool unreachable);
  // Reports that measure dirty rates give this VM this one (MiB/s; 0 until set).
  void SetDirtyRate(const std::string& vm, double mibps) {
    Locked([&] { dirty_[vm] = mibps; });
  }
  // Reports that ask for enlightenment (DescribeRequest.enlightenment_max_age_s) give this VM
  // this working set and free memory (MiB), as a guest module would.
  void SetEnlightenment(const std::string& vm, double working_set_mib, double free_mib) {
    Locked([&] { enlightenment_[vm] = {working_set_mib, free_mib}; });
  }
  // Migrations of this VM fail at their first progress read.
  void FailMigrationsOf(const std::string& vm) {
    Locked([&] { fail_.insert(vm); });
  }
  // Migrations advance by this much per GetMigration (MiB); 0 holds them where they are.
  void SetStepMib(double step_mib) {
    Locked([&] { step_mib_ = step_mib; });
  }
  // Instead: each GetMigration advances a migration by its speed limit times `seconds_per_get`
  // times the VM's efficiency (default 1; above 1 for a VM whose pages compress, e.g. zeros).
  void SetRateMode(double seconds_per_get, std::map<std::string, double> efficiency) {
    Locked([&] {
      seconds_per_get_ = seconds_per_get;
      efficiency_ = std::move(efficiency);
    });
  }

  int starts() {
    return Locked([&] { return starts_; });
  }
  std::vector<std::string> started_ids() {
    return Locked([&] { return started_ids_; });
  }
  std::map<std::string, double> speeds() {
    return Locked([&] { return speeds_; });
  }
  // The mode each started migration was asked for, by VM.
  std::map<std::string, std::string> modes() {
    return Locked([&] { return modes_; });
  }
  int aborts() {
    return Locked([&] { return aborts_; });
  }
  // The host's switch: reports say it can reserve bandwidth, and carry these traffic flows.
  void SetSwitch(const std::string& host, bool can_reserve, std::vector<v1::TrafficFlow> traffic) {
    Locked([&] {
      can_reserve_[host] = can_reserve;
      traffic_[host] = std::move(traffic);
    });
  }
  // The VM's tap has this MAC in reports.
  void SetMac(const std::string& vm, const std::string& mac) {
    Locked([&] { macs_[vm] = mac; });
  }
  // The peer MACs the host's last Describe was asked to measure toward.
  std::vector<std::string> peer_macs(const std::string& host) {
    return Locked([&] { return peer_macs_[host]; });
  }
  // The reservation each started migration asked for, by VM.
  std::map<std::string, v1::BandwidthReservation> reservations() {
    return Locked([&] { return reservations_; });
  }
  // The staging each started migration was asked for, by VM (empty when direct).
  std::map<std::string, v1::Staging> stagings() {
    return Locked([&] { return stagings_; });
  }
  // Registers a migration as if an earlier controller had started it.
  void InjectRunning(const v1::StartMigrationRequest& request, const std::string& source);

  std::shared_ptr<controller::AgentChannel> Dial(const std::string& name,
                                                 const std::string& address) override;

  // Channel calls, per host.
  StatusOr<v1::HostReport> Describe(const std::string& host, const v1::DescribeRequest& request);
  StatusOr<v1::MigrationProgress> Start(const std::string& host,
                                        const v1::StartMigrationRequest& request);
  StatusOr<v1::MigrationProgress> Get(const std::string& host, const std::string& id);
  StatusOr<v1::MigrationProgress> SetSpeed(const std::string& host, const std::string& id,
                                           double mibps);
  StatusOr<v1::MigrationProgress> Abort(const std::string& host, const std::string& id);

 private:
  Status Reachable(const std::string& host);

  struct Migration {
    std::string source;
    v1::StartMigrationRequest request;
    v1::MigrationProgress progress;
  };
  std::map<std::string, std::map<std::string, double>> vms_;  // host -> vm -> MiB
  std::map<std::string, std::pair<uint32_t, double>> hosts_;
  std::set<std::string> unreachable_;
  std::set<std::string> fail_;
  double step_mib_ = 512;
  double seconds_per_get_ = 0;
  std::map<std::string, double> efficiency_;
  std::map<std::string, Migration> migrations_;
  int starts_ = 0;
  int aborts_ = 0;
  std::vector<std::string> started_ids_;
  std::map<std::string, double> speeds_;
  std::map<std::string, std::string> modes_;
  std::map<std::string, bool> can_reserve_;
  std::map<std::string, std::vector<v1::TrafficFlow>> traffic_;
  std::map<std::string, std::string> macs_;
  std::map<std::string, std::vector<std::string>> peer_macs_;
  std::map<std::string, v1::BandwidthReservation> reservations_;
  std::map<std::string, v1::Staging> stagings_;
  std::map<std::string, double> dirty_;
  std::map<std::string, std::pair<double, double>> enlightenment_;
};

}  // namespace convoy::testing
