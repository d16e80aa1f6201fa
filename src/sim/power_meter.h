// Peak power of one run's hosts, read from SimGrid's energy plugin. Internal to src/sim.
//
// A host's draw changes only when something happens to it (a VM's load arrives or leaves, a
// boot starts or ends, it turns off). Whoever makes such a change touches the host; the meter's
// actor wakes, lets the models settle (1 ms of simulated time, so that the CPU load is the new
// one), reads the plugin's current consumption of the touched hosts and keeps the highest total.
#pragma once

#include <vector>

#include <simgrid/s4u.hpp>

namespace convoy::sim {

class PowerMeter {
 public:
  explicit PowerMeter(std::vector<simgrid::s4u::Host*> hosts);

  // Starts the meter's actor on `where`; every host counts as touched.
  void Start(simgrid::s4u::Host* where);
  // Reads what was touched last and ends the meter's actor (SimGrid's thread contexts, used
  // under AddressSanitizer, hang on killing an actor that waits: so nothing is a daemon). Blocks
  // the caller for the settling time. Call from an actor.
  void Stop();
  // Host `h`'s draw may have changed now. Call from an actor.
  void Touch(int h);
  // The highest total draw seen so far, W.
  double peak_w() const { return peak_w_; }

 private:
  void Loop();

  std::vector<simgrid::s4u::Host*> hosts_;
  std::vector<double> watts_;
  std::vector<char> touched_;
  std::vector<double> touched_at_;
  std::vector<int> pending_;
  double total_w_ = 0;
  double peak_w_ = 0;
  bool stop_ = false;
  simgrid::s4u::MutexPtr mutex_;
  simgrid::s4u::ConditionVariablePtr wake_;
};

}  // namespace convoy::sim
