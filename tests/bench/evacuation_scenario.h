// The benchmarks' datacenter: `hosts` hosts in racks of 40 (10 Gb/s NICs, 64 CPUs, 512 GiB,
// boot 120 s, shutdown 30 s, 150-400 W), each rack switch joined to one core switch by a
// 4 x 10 Gb/s aggregate; `vms` VMs (2 vCPUs, 4 GiB, seeded random used memory, dirty rate and
// traffic) 10 to a host on the first hosts, which the request evacuates. Same seed, same
// scenario.
#pragma once

#include "convoy/v1/request.pb.h"

namespace convoy::bench {

constexpr int kVmsPerHost = 10;  // on each evacuated host

v1::Scenario MakeEvacuationScenario(int vms, int hosts);

}  // namespace convoy::bench
