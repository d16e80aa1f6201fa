#include "agent/inventory.h"

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

StatusOr<DirtyRateMode> ParseMode(const std::string& mode) {
  if (mode.empty() || mode == "page-sampling") return DirtyRateMode::kPageSampling;
  if (mode == "dirty-bitmap") return DirtyRateMode::kDirtyBitmap;
  if (mode == "dirty-ring") return DirtyRateMode::kDirtyRing;
  return absl::InvalidArgumentError(absl::StrCat("dirty_rate_mode: unknown mode '", mode,
                                                 "' (page-sampling, dirty-bitmap, dirty-ring)"));
}

}  // namespace

void Inventory::RefreshEnlightenment(const std::vector<std::string>& vms, double max_age_s) {
  std::vector<std::thread> readers;
  for (const auto& vm : vms) {
    if (enlightenment_->AgeS(vm) <= max_age_s) continue;
    // Failures are kept as the VM's reading (Enlightenment.error).
    readers.emplace_back([this, vm] { (void)enlightenment_->Read(vm); });
  }
  for (auto& t : readers) t.join();
}

void Inventory::FillRates(const DomainFacts& facts, v1::VmReport* vm) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& tap : facts.taps) {
    auto* out = vm->add_taps();
    out->set_dev(tap.dev);
    out->set_mac(tap.mac);
    out->set_rx_bytes(tap.rx_bytes);
    out->set_tx_bytes(tap.tx_bytes);
    const std::string key = absl::StrCat(facts.name, "/", tap.dev);
    auto it = last_.find(key);
    if (it != last_.end()) {
      const double s = std::chrono::duration<double>(now - it->second.at).count();
      if (s > 0 && tap.rx_bytes >= it->second.rx_bytes && tap.tx_bytes >= it->second.tx_bytes) {
        out->set_rx_mbps(static_cast<double>(tap.rx_bytes - it->second.rx_bytes) * 8 / 1e6 / s);
        out->set_tx_mbps(static_cast<double>(tap.tx_bytes - it->second.tx_bytes) * 8 / 1e6 / s);
      }
    }
    last_[key] = {now, tap.rx_bytes, tap.tx_bytes};
  }
}

StatusOr<v1::HostReport> Inventory::Describe(const v1::DescribeRequest& request) {
  CONVOY_ASSIGN_OR_RETURN(DirtyRateMode mode, ParseMode(request.dirty_rate_mode()));
  if (request.dirty_rate_period_s() > 60) {
    return absl::InvalidArgumentError("dirty_rate_period_s: at most 60");
  }
  if (request.rate_window_ms() > 60000) {
    return absl::InvalidArgumentError("rate_window_ms: at most 60000");
  }
  if (request.enlightenment_max_age_s() > 86400) {
    return absl::InvalidArgumentError("enlightenment_max_age_s: at most 86400");
  }
  CONVOY_ASSIGN_OR_RETURN(HostFacts host, hypervisor_->DescribeHost());
  CONVOY_ASSIGN_OR_RETURN(auto domains, hypervisor_->ListDomains());
  const std::set<std::string> wanted(request.vms().begin(), request.vms().end());
  for (const auto& name : wanted) {
    const bool exists = std::any_of(domains.begin(), domains.end(),
                                    [&](const DomainFacts& d) { return d.name == name; });
    if (!exists) return absl::NotFoundError(absl::StrCat("no VM named '", name, "' on this host"));
  }
  auto selected = [&](const DomainFacts& d) { return wanted.empty() || wanted.contains(d.name); };

  // Dirty rates: start every calculation, then wait once for all of them.
  std::set<std::string> measuring;
  std::map<std::string, std::string> dirty_errors;
  if (request.dirty_rate_period_s() > 0) {
    for (const auto& d : domains) {
      if (!selected(d) || d.state != "running") continue;
      Status started = hypervisor_->StartDirtyRateCalc(
          d.name, static_cast<int>(request.dirty_rate_period_s()), mode);
      if (started.ok()) {
        measuring.insert(d.name);
      } else {
        dirty_errors[d.name] = std::string(started.message());
      }
    }
  }
  const auto start = std::chrono::steady_clock::now();
  if (request.rate_window_ms() > 0) {
    // A first sample now, the report's sample after the window.
    for (const auto& d : domains) {
      if (!selected(d)) continue;
      v1::VmReport scratch;
      FillRates(d, &scratch);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(request.rate_window_ms()));
    CONVOY_ASSIGN_OR_RETURN(domains, hypervisor_->ListDomains());
  }
  std::map<std::string, DirtyRateSample> dirty;
  if (!measuring.empty()) {
    const auto period = std::chrono::seconds(request.dirty_rate_period_s());
    std::this_thread::sleep_until(start + period);
    const auto give_up = start + period + std::chrono::seconds(5);
    while (!measuring.empty() && std::chrono::steady_clock::now() < give_up) {
      for (auto it = measuring.begin(); it != measuring.end();) {
        auto sample = hypervisor_->GetDirtyRate(*it);
        if (!sample.ok()) {
          dirty_errors[*it] = std::string(sample.status().message());
          it = measuring.erase(it);
        } else if (sample->status == DirtyRateSample::Status::kMeasured) {
          dirty[*it] = *sample;
          it = measuring.erase(it);
        } else {
          ++it;
        }
      }
      if (!measuring.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  if (enlightenment_ != nullptr && request.enlightenment_max_age_s() > 0) {
    std::vector<std::string> running;
    for (const auto& d : domains) {
      if (selected(d) && d.state == "running") running.push_back(d.name);
    }
    RefreshEnlightenment(running, request.enlightenment_max_age_s());
  }

  v1::HostReport report;
  report.set_name(host_name_);
  report.set_hostname(host.hostname);
  report.set_host_uuid(host.host_uuid);
  report.set_libvirt_uri(libvirt_uri_);
  report.set_cpus(host.cpus);
  report.set_memory_mib(host.memory_mib);
  report.set_free_memory_mib(host.free_memory_mib);
  report.set_agent_version(CONVOY_VERSION);
  for (const auto& d : domains) {
    if (!selected(d)) continue;
    auto* vm = report.add_vms();
    vm->set_name(d.name);
    vm->set_uuid(d.uuid);
    vm->set_state(d.state);
    vm->set_vcpus(d.vcpus);
    vm->set_memory_mib(d.memory_mib);
    vm->set_max_memory_mib(d.max_memory_mib);
    vm->set_migrating(d.migrating_out);
    FillRates(d, vm);
    auto* rate = vm->mutable_dirty_rate();
    rate->set_mode(request.dirty_rate_mode().empty() ? "page-sampling" : request.dirty_rate_mode());
    if (auto it = dirty.find(d.name); it != dirty.end()) {
      rate->set_status("measured");
      rate->set_mibps(it->second.mibps);
      rate->set_period_s(it->second.period_s);
    } else if (measuring.contains(d.name)) {
      rate->set_status("measuring");
    } else if (auto e = dirty_errors.find(d.name); e != dirty_errors.end()) {
      rate->set_status("unsupported: " + e->second);
    } else {
      rate->set_status("not-measured");
    }
    if (enlightenment_ != nullptr) {
      if (auto last = enlightenment_->Last(d.name)) *vm->mutable_enlightenment() = *std::move(last);
    }
  }
  return report;
}

}  // namespace convoy::agent
