// Deterministic workload variation for the simulator. Internal to src/sim.
//
// One stream per (seed, key), the key naming a VM or a host, so that what a VM or a host draws
// does not depend on the order in which actions happen to run, and two strategies simulated with
// one seed see the same variation. splitmix64, written out so that the figures are the same on
// every standard library.
#pragma once

#include <cstdint>
#include <string_view>

namespace convoy::sim {

class Variation {
 public:
  // Factors in [1 - pct/100, 1 + pct/100]; pct 0 gives exactly 1 every time.
  Variation(uint64_t seed, std::string_view key, double pct);

  double Next();

 private:
  uint64_t state_;
  double spread_;
};

}  // namespace convoy::sim
