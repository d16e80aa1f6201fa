// Simulate: checks the runs, forks, and in the child runs every plan in one SimGrid engine.
#include "convoy/sim/simulator.h"

#include <simgrid/plugins/energy.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <simgrid/s4u.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/sim/dispatcher.h"
#include "src/sim/flow.h"
#include "src/sim/migration.h"
#include "src/sim/platform.h"
#include "src/sim/run_context.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

Status CheckOptions(const SimOptions& o) {
  if (!(o.variation_pct >= 0 && o.variation_pct < 100)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("variation: %g%% is not in [0, 100)", o.variation_pct));
  }
  if (!(o.goodput_fraction > 0 && o.goodput_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("goodput fraction %g is not in (0, 1]", o.goodput_fraction));
  }
  if (!(o.predictor.downtime_ms > 0) || o.predictor.max_rounds == 0 ||
      !(o.predictor.switchover_ms >= 0)) {
    return absl::InvalidArgumentError(
        "the downtime limit and the round cap must be positive, the switch-over not negative");
  }
  if (!(o.migration_timeout_s >= 0)) {
    return absl::InvalidArgumentError("the migration timeout must not be negative");
  }
  return absl::OkStatus();
}

// Every name a plan uses must be in the model, every mode known; each VM moves from where it is.
Status CheckRun(const model::ClusterModel& model, const StrategyRun& run) {
  const std::string where = absl::StrCat("strategy ", run.strategy, ": ");
  if (!run.policy.mode.empty() && !IsSimulatedMode(run.policy.mode)) {
    return absl::InvalidArgumentError(absl::StrCat(where, "unknown mode '", run.policy.mode, "'"));
  }
  for (const auto& m : run.plan.migrations()) {
    auto vm = model.FindVm(m.vm());
    auto from = model.FindHost(m.from());
    auto to = model.FindHost(m.to());
    if (!vm || !from || !to) {
      return absl::InvalidArgumentError(absl::StrCat(where, "migration of '", m.vm(), "' from '",
                                                     m.from(), "' to '", m.to(),
                                                     "' names a VM or host the scenario lacks"));
    }
    if (model.vms()[*vm].host != *from) {
      return absl::InvalidArgumentError(absl::StrCat(where, "VM ", m.vm(), " runs on ",
                                                     model.hosts()[model.vms()[*vm].host].name,
                                                     ", not on ", m.from()));
    }
    if (*from == *to) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "VM ", m.vm(), " migrates to the host it is on"));
    }
    if (run.policy.mode.empty() && !IsSimulatedMode(m.mode())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "VM ", m.vm(), ": unknown mode '", m.mode(), "'"));
    }
  }
  for (const auto& p : run.plan.power()) {
    if (!model.FindHost(p.host()) || (p.action() != "boot" && p.action() != "shutdown")) {
      return absl::InvalidArgumentError(absl::StrCat(where, "power action '", p.action(), "' of '",
                                                     p.host(),
                                                     "' is not one of boot, "
                                                     "shutdown of a host of the scenario"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::pair<int, int>> Pairs(const model::ClusterModel& model, const v1::Plan& plan) {
  std::vector<std::pair<int, int>> pairs;
  for (const auto& m : plan.migrations()) {
    pairs.push_back({*model.FindHost(m.from()), *model.FindHost(m.to())});
  }
  return pairs;
}

// The engine's settings: the flow model shares links max-min fairly at the planner's goodput,
// without ACK cross-traffic (NIC directions are separate links); links have no latency (a
// datacenter's is negligible next to seconds-long transfers), so flows that cross different
// numbers of links still share fairly.
std::vector<std::string> EngineArgs(const SimOptions& options) {
  std::vector<std::string> args = {
      "convoy-simulate",
      getenv("CONVOY_SIM_LOG") ? "--log=root.thres:info" : "--log=root.thres:critical",
      "--cfg=network/crosstraffic:0",
      absl::StrFormat("--cfg=network/bandwidth-factor:%.6f", options.goodput_fraction),
      // Actors are small loops; 10,000 migrations at once must fit in memory.
      "--cfg=contexts/stack-size:256",
  };
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer cannot follow SimGrid's own stack switching (it warns of false positives);
  // with one system thread per actor (still one running at a time) it checks everything.
  args.push_back("--cfg=contexts/factory:thread");
#endif
  return args;
}

// Runs in the child: the whole simulation, then the report (or an error) as the reply.
std::string SimulateHere(const model::ClusterModel& model, const std::vector<StrategyRun>& runs,
                         const SimOptions& options) {
  std::vector<std::string> args = EngineArgs(options);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  sg4::Engine engine(&argc, argv.data());
  sg_host_energy_plugin_init();
  sg4::NetZone* root = sg4::create_full_zone("datacenter");
  std::vector<std::unique_ptr<RunContext>> contexts;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    auto platform =
        Platform::Build(model, Pairs(model, runs[r].plan), root, absl::StrCat("s", r, "/"));
    if (!platform.ok()) return absl::StrCat("E", platform.status().message());
    contexts.push_back(std::make_unique<RunContext>(model, options, *std::move(platform)));
  }
  root->seal();
  InitKernelAccess(options.goodput_fraction);
  std::vector<std::unique_ptr<Dispatcher>> dispatchers;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    dispatchers.push_back(std::make_unique<Dispatcher>(contexts[r].get(), runs[r]));
    Dispatcher* d = dispatchers.back().get();
    sg4::Actor::create("dispatcher", contexts[r]->platform().control(), [d] { d->Main(); });
  }
  engine.run();
  v1::SimulationReport report;
  report.set_seed(options.seed);
  report.set_variation_pct(options.variation_pct);
  for (const auto& d : dispatchers) *report.add_results() = d->Result();
  return absl::StrCat("R", report.SerializeAsString());
}

bool WriteAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string data;
  char buf[65536];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace

StatusOr<v1::SimulationReport> Simulate(const model::ClusterModel& model,
                                        const std::vector<StrategyRun>& runs,
                                        const SimOptions& options) {
  CONVOY_RETURN_IF_ERROR(CheckOptions(options));
  for (const auto& run : runs) CONVOY_RETURN_IF_ERROR(CheckRun(model, run));
  int fds[2];
  if (pipe(fds) != 0) {
    return absl::InternalError(absl::StrCat("cannot create a pipe: ", std::strerror(errno)));
  }
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(absl::StrCat("cannot fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    close(fds[0]);
    const bool written = WriteAll(fds[1], SimulateHere(model, runs, options));
    // No destructors, no exit handlers: SimGrid's global state dies with the process.
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  const std::string reply = ReadAll(fds[0]);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return absl::InternalError(absl::StrCat("the simulation process died of signal ",
                                            WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                                            ")"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || reply.empty()) {
    return absl::InternalError("the simulation process failed without a report");
  }
  if (reply[0] == 'E') return absl::InvalidArgumentError(reply.substr(1));
  v1::SimulationReport report;
  if (reply[0] != 'R' || !report.ParseFromString(reply.substr(1))) {
    return absl::InternalError("the simulation process sent a report that does not parse");
  }
  return report;
}

}  // namespace convoy::sim
