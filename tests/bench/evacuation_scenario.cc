#include "tests/bench/evacuation_scenario.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace convoy::bench {
namespace {

constexpr int kHostsPerRack = 40;

}  // namespace

v1::Scenario MakeEvacuationScenario(int vms, int hosts) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dirty(0, 60), used(512, 4096), traffic(0, 300);
  v1::Scenario s;
  for (int h = 0; h < hosts; ++h) {
    auto* host = s.add_hosts();
    host->set_name(absl::StrCat("h", h));
    host->set_switch_(absl::StrCat("rack", h / kHostsPerRack));
    host->set_nic_gbps(10);
    host->set_cpus(64);
    host->set_memory_gib(512);
    host->set_boot_s(120);
    host->set_shutdown_s(30);
    host->mutable_power()->set_idle_w(150);
    host->mutable_power()->set_max_w(400);
  }
  for (int r = 0; r < (hosts + kHostsPerRack - 1) / kHostsPerRack; ++r) {
    auto* link = s.add_links();
    link->set_a(absl::StrCat("rack", r));
    link->set_b("core");
    link->set_gbps(40);
    link->set_members(4);
  }
  for (int v = 0; v < vms; ++v) {
    auto* vm = s.add_vms();
    vm->set_name(absl::StrCat("vm", v));
    vm->set_host(absl::StrCat("h", v / kVmsPerHost));
    vm->set_vcpus(2);
    vm->set_memory_gib(4);
    vm->set_used_mib(used(rng));
    vm->set_dirty_mibps(dirty(rng));
    vm->set_wws_mib(256);
    vm->set_net_out_mbps(traffic(rng));
    vm->set_net_in_mbps(traffic(rng));
  }
  for (int h = 0; h < (vms + kVmsPerHost - 1) / kVmsPerHost; ++h) {
    s.mutable_request()->add_evacuate(absl::StrCat("h", h));
  }
  return s;
}

}  // namespace convoy::bench
