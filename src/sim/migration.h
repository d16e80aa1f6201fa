// One live migration in the simulation: the predictor's round model, with each round's data sent
// as a SimGrid flow so that its duration is what the network gives it. Internal to src/sim.
#pragma once

#include <string>

#include "src/sim/run_context.h"

namespace convoy::sim {

struct MigrationTask {
  int action = -1;  // the dispatcher's index of the action, for the completion event
  int vm = -1;
  int src = -1;
  int dst = -1;
  std::string mode;  // pre-copy | post-copy | enlightened | stop-and-copy
  // Speed limit of the migration stream, B/s (<= 0: none).
  double limit_bytes_per_s = 0;
  // A migration COMMA coordinates (the app's name, empty: none), whose limit and turns the
  // app's pacer sets (see AppPacer): its valid group and the app's planned bandwidth, B/s.
  std::string app;
  int group = 0;
  double app_bytes_per_s = 0;
  // The bandwidth the stop threshold starts from, MiB/s, until a round has been measured (QEMU
  // starts from its speed limit).
  double initial_rate_mibps = 0;
};

// The body of a migration's actor: carries the migration out, moves the VM's load and posts the
// outcome to the dispatcher.
void RunMigration(RunContext* ctx, const MigrationTask& task);

// Whether the simulator knows `mode`.
bool IsSimulatedMode(const std::string& mode);

}  // namespace convoy::sim
