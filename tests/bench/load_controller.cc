// Load on a real convoyd (issue 9): 1,000 simulated hosts with 10 VMs each, all in this process.
// One gRPC server plays every agent (each host has its own loopback address, 127.1.X.Y, told
// apart by the call's authority); 1,000 heartbeat clients, each on its own connection, call in
// every 2 s; convoyd describes every host at each refresh. Measured: heartbeat latency and
// failures, the inventory kept whole, Plan's latency on the full inventory, and one evacuation
// (simulated migrations of 2 s) followed by 100 concurrent Watch streams. Prints a table.
//
//   load_controller CONVOYD [--hosts N] [--vms-per-host N] [--watchers N] [--steady-s S]
// Bounded in time; it starts and stops convoyd itself, and talks to loopback addresses only.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convoy/v1/agent.grpc.pb.h"
#include "convoy/v1/controller.grpc.pb.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/spawn.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Options {
  std::string convoyd;
  int hosts = 1000;
  int vms_per_host = 10;
  int watchers = 100;
  int steady_s = 30;
  int heartbeat_ms = 2000;
};

std::string HostName(int i) { return absl::StrCat("sim", i); }
std::string HostIp(int i) { return absl::StrCat("127.1.", i / 250, ".", i % 250 + 1); }

// Latencies in ms; quantiles on demand.
class Latencies {
 public:
  void Add(double ms) {
    std::lock_guard<std::mutex> lock(mu_);
    ms_.push_back(ms);
  }
  double Quantile(double q) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ms_.empty()) return 0;
    std::sort(ms_.begin(), ms_.end());
    return ms_[std::min(ms_.size() - 1, static_cast<size_t>(q * static_cast<double>(ms_.size())))];
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return ms_.size();
  }

 private:
  std::mutex mu_;
  std::vector<double> ms_;
};

// Every simulated agent's Agent API. VMs move when their simulated migration completes.
class SimAgents final : public convoy::v1::Agent::Service {
 public:
  SimAgents(int hosts, int vms_per_host, int port) : port_(port), vms_(hosts) {
    for (int h = 0; h < hosts; ++h) {
      for (int v = 0; v < vms_per_host; ++v) vms_[h].push_back(absl::StrCat("vm", h, "-", v));
    }
  }

  grpc::Status Describe(grpc::ServerContext* context, const convoy::v1::DescribeRequest*,
                        convoy::v1::HostReport* report) override {
    ++describes;
    const int h = HostOf(context);
    if (h < 0) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown simulated host");
    Settle();
    report->set_name(HostName(h));
    report->set_hostname(HostName(h));
    report->set_cpus(64);
    report->set_memory_mib(262144);
    report->set_free_memory_mib(131072);
    report->set_libvirt_uri("qemu:///system");
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& name : vms_[h]) {
      auto* vm = report->add_vms();
      vm->set_name(name);
      vm->set_state("running");
      vm->set_vcpus(2);
      vm->set_memory_mib(4096);
      vm->set_max_memory_mib(4096);
      vm->mutable_dirty_rate()->set_status("measured");
      vm->mutable_dirty_rate()->set_mibps(8);
      vm->mutable_dirty_rate()->set_period_s(1);
    }
    return grpc::Status::OK;
  }

  grpc::Status StartMigration(grpc::ServerContext* context,
                              const convoy::v1::StartMigrationRequest* request,
                              convoy::v1::MigrationProgress* out) override {
    const int from = HostOf(context);
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = migrations_.try_emplace(request->id());
    if (fresh) {
      it->second = {request->vm(), from, request->destination().host(), UnixNow(), false};
      ++migrations_started;
    }
    Fill(request->id(), it->second, out);
    return grpc::Status::OK;
  }

  grpc::Status GetMigration(grpc::ServerContext*, const convoy::v1::MigrationRef* ref,
                            convoy::v1::MigrationProgress* out) override {
    Settle();
    std::lock_guard<std::mutex> lock(mu_);
    auto it = migrations_.find(ref->id());
    if (it == migrations_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, ref->id());
    Fill(ref->id(), it->second, out);
    return grpc::Status::OK;
  }

  std::atomic<long> describes{0};
  std::atomic<long> migrations_started{0};

 private:
  static constexpr double kMigrationS = 2.0;
  struct Migration {
    std::string vm;
    int from = -1;
    std::string to;
    double started = 0;
    bool moved = false;
  };

  int HostOf(grpc::ServerContext* context) const {
    const std::string authority(context->ExperimentalGetAuthority().data(),
                                context->ExperimentalGetAuthority().size());
    // "127.1.X.Y:PORT"
    int x = 0, y = 0, port = 0;
    if (std::sscanf(authority.c_str(), "127.1.%d.%d:%d", &x, &y, &port) != 3) return -1;
    const int h = x * 250 + y - 1;
    return h >= 0 && h < static_cast<int>(vms_.size()) ? h : -1;
  }

  // Migrations that ran their time: their VM is on its destination now.
  void Settle() {
    std::lock_guard<std::mutex> lock(mu_);
    const double now = UnixNow();
    for (auto& [id, m] : migrations_) {
      if (m.moved || now - m.started < kMigrationS || m.from < 0) continue;
      auto& src = vms_[m.from];
      src.erase(std::remove(src.begin(), src.end(), m.vm), src.end());
      int to = -1;
      std::sscanf(m.to.c_str(), "sim%d", &to);
      if (to >= 0 && to < static_cast<int>(vms_.size())) vms_[to].push_back(m.vm);
      m.moved = true;
    }
  }

  static void Fill(const std::string& id, const Migration& m, convoy::v1::MigrationProgress* out) {
    out->set_id(id);
    out->set_vm(m.vm);
    out->set_destination_host(m.to);
    out->set_mode("pre-copy");
    const double elapsed = UnixNow() - m.started;
    out->set_state(m.moved ? "completed" : "running");
    out->set_elapsed_s(std::min(elapsed, kMigrationS));
    out->set_started_at_unix_s(m.started);
    out->set_data_total_mib(4096);
    out->set_data_processed_mib(4096 * std::min(1.0, elapsed / kMigrationS));
    out->set_data_remaining_mib(4096 - out->data_processed_mib());
    out->set_bandwidth_mibps(2048);
    out->set_iteration(1);
  }

  const int port_;
  std::mutex mu_;
  std::vector<std::vector<std::string>> vms_;
  std::map<std::string, Migration> migrations_;
};

// 1,000 agents heartbeating, each on its own connection.
class Heartbeats {
 public:
  Heartbeats(const std::string& controller, int hosts, int agent_port, int interval_ms)
      : interval_ms_(interval_ms) {
    for (int i = 0; i < hosts; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per agent
      stubs_.push_back(convoy::v1::Controller::NewStub(
          grpc::CreateCustomChannel(controller, grpc::InsecureChannelCredentials(), args)));
      convoy::v1::AgentHello hello;
      hello.set_name(HostName(i));
      hello.set_address(absl::StrCat(HostIp(i), ":", agent_port));
      hello.set_libvirt_uri(absl::StrCat("qemu+tcp://", HostIp(i), "/system"));
      hello.set_migration_address(HostIp(i));
      hello.mutable_host()->set_switch_(absl::StrCat("rack", i / 40));
      hello.mutable_host()->set_nic_gbps(10);
      hello.mutable_host()->set_cpu_overcommit(2);
      hellos_.push_back(hello);
    }
  }
  ~Heartbeats() { Stop(); }

  void Start(int threads) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, t, threads] { Run(t, threads); });
    }
  }
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  Latencies latency_ms;
  std::atomic<long> ok{0};
  std::atomic<long> failed{0};

 private:
  void Run(int t, int threads) {
    const int n = static_cast<int>(stubs_.size());
    auto next = Clock::now();
    while (!stop_) {
      // This thread's agents, spread over the interval.
      for (int i = t; i < n && !stop_; i += threads) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 5s);
        convoy::v1::HeartbeatReply reply;
        const auto t0 = Clock::now();
        const grpc::Status s = stubs_[i]->Heartbeat(&context, hellos_[i], &reply);
        latency_ms.Add(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        (s.ok() ? ok : failed)++;
        next += std::chrono::milliseconds(interval_ms_) * threads / n;
        std::this_thread::sleep_until(next);
      }
    }
  }

  const int interval_ms_;
  std::vector<std::unique_ptr<convoy::v1::Controller::Stub>> stubs_;
  std::vector<convoy::v1::AgentHello> hellos_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
};

struct Inventory {
  int up = 0;
  int vms = 0;
  double ms = 0;
};

Inventory ReadInventory(convoy::v1::Controller::Stub* stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  convoy::v1::InventoryResponse inventory;
  Inventory out;
  const auto t0 = Clock::now();
  if (!stub->Inventory(&context, convoy::v1::InventoryRequest(), &inventory).ok()) return out;
  out.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  for (const auto& a : inventory.agents()) out.up += a.health() == "up";
  out.vms = inventory.cluster().vms_size();
  return out;
}

// `count` hosts from `first` on, one in ten: spread over the racks, as a maintenance of a few
// hosts per rack (the live inventory knows no links between racks' switches, so a rack emptied
// whole could not be evacuated).
convoy::v1::ControllerPlanRequest Evacuate(int first, int count, int hosts) {
  convoy::v1::ControllerPlanRequest r;
  for (int i = 0; i < count; ++i) {
    r.mutable_request()->add_evacuate(HostName((first + 10 * i) % hosts));
  }
  r.mutable_request()->set_power_off(false);
  return r;
}

void Row(const std::string& what, const std::string& figure, const std::string& note = "") {
  std::printf("%-44s %-22s %s\n", what.c_str(), figure.c_str(), note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: load_controller CONVOYD [--hosts N] [--vms-per-host N] [--watchers N] "
                 "[--steady-s S]\n");
    return 2;
  }
  o.convoyd = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--hosts") o.hosts = std::clamp(value, 1, 60000);
    if (flag == "--vms-per-host") o.vms_per_host = std::clamp(value, 1, 100);
    if (flag == "--watchers") o.watchers = std::clamp(value, 1, 1000);
    if (flag == "--steady-s") o.steady_s = std::clamp(value, 5, 600);
  }
  const std::string dir = absl::StrCat("/tmp/convoy-load-", getpid());
  std::filesystem::create_directories(dir);
  const int agent_port = convoy::test_support::FreeLoopbackPort();
  const int api_port = convoy::test_support::FreeLoopbackPort();
  const std::string controller = absl::StrCat("127.0.0.1:", api_port);

  SimAgents agents(o.hosts, o.vms_per_host, agent_port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("0.0.0.0:", agent_port), grpc::InsecureServerCredentials());
  builder.RegisterService(&agents);
  auto agent_server = builder.BuildAndStart();

  std::vector<std::string> args = {o.convoyd,
                                   "--insecure",
                                   "--listen",
                                   controller,
                                   "--state",
                                   dir + "/state.db",
                                   "--metrics-listen",
                                   "off",
                                   "--heartbeat-interval-ms",
                                   std::to_string(o.heartbeat_ms),
                                   "--heartbeat-timeout-ms",
                                   std::to_string(3 * o.heartbeat_ms),
                                   "--replan-interval-s",
                                   "0"};
  const std::string log = dir + "/convoyd.log";
  const pid_t convoyd = convoy::test_support::SpawnWithLog(args, log);
  if (convoyd < 0) {
    std::fprintf(stderr, "cannot start %s\n", o.convoyd.c_str());
    return 1;
  }
  auto stub = convoy::v1::Controller::NewStub(
      grpc::CreateChannel(controller, grpc::InsecureChannelCredentials()));
  int rc = 0;
  std::printf("convoyd load: %d hosts x %d VMs, heartbeats every %d ms, %d watchers\n\n", o.hosts,
              o.vms_per_host, o.heartbeat_ms, o.watchers);
  Row("what", "figure", "");
  {
    Heartbeats heartbeats(controller, o.hosts, agent_port, o.heartbeat_ms);
    const auto t0 = Clock::now();
    heartbeats.Start(16);
    // Registration: every host up and every VM reported.
    Inventory inv;
    while (Clock::now() - t0 < 180s) {
      inv = ReadInventory(stub.get());
      if (inv.up == o.hosts && inv.vms == o.hosts * o.vms_per_host) break;
      std::this_thread::sleep_for(500ms);
    }
    const double register_s = std::chrono::duration<double>(Clock::now() - t0).count();
    Row("registration: hosts up / VMs reported", absl::StrFormat("%d / %d", inv.up, inv.vms),
        absl::StrFormat("after %.1f s", register_s));
    if (inv.up != o.hosts || inv.vms != o.hosts * o.vms_per_host) rc = 1;

    // Steady state: the inventory stays whole while heartbeats and refreshes go on; every
    // heartbeat from now on must be answered.
    const long failed_before = heartbeats.failed.load();
    const long ok_before = heartbeats.ok.load();
    int min_up = o.hosts;
    double worst_inventory_ms = 0;
    const long describes_before = agents.describes.load();
    const auto steady0 = Clock::now();
    while (Clock::now() - steady0 < std::chrono::seconds(o.steady_s)) {
      inv = ReadInventory(stub.get());
      min_up = std::min(min_up, inv.up);
      worst_inventory_ms = std::max(worst_inventory_ms, inv.ms);
      std::this_thread::sleep_for(1s);
    }
    const double steady_s = std::chrono::duration<double>(Clock::now() - steady0).count();
    Row("steady: fewest hosts up at any check", absl::StrFormat("%d of %d", min_up, o.hosts),
        absl::StrFormat("%d s", o.steady_s));
    if (min_up != o.hosts) rc = 1;
    const long steady_failed = heartbeats.failed.load() - failed_before;
    Row("steady: heartbeats answered / failed",
        absl::StrFormat("%ld / %ld", heartbeats.ok.load() - ok_before, steady_failed),
        absl::StrFormat("%.0f per second",
                        static_cast<double>(heartbeats.ok.load() - ok_before) / steady_s));
    if (steady_failed > 0) rc = 1;
    Row("heartbeat latency p50 / p99 / max",
        absl::StrFormat("%.1f / %.1f / %.1f ms", heartbeats.latency_ms.Quantile(0.5),
                        heartbeats.latency_ms.Quantile(0.99), heartbeats.latency_ms.Quantile(1.0)));
    Row("reports: Describe calls per second",
        absl::StrFormat(
            "%.0f", static_cast<double>(agents.describes.load() - describes_before) / steady_s));
    Row("Inventory call, slowest", absl::StrFormat("%.0f ms", worst_inventory_ms));

    // Plan on the full inventory (convoyd measures dirty rates first, --plan-dirty-rate-s 1).
    for (int count : {10, 100}) {
      Latencies plan_ms;
      for (int k = 0; k < 3; ++k) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 120s);
        convoy::v1::PlanPreview preview;
        const auto p0 = Clock::now();
        const grpc::Status s = stub->Plan(&context, Evacuate(k, count, o.hosts), &preview);
        plan_ms.Add(std::chrono::duration<double, std::milli>(Clock::now() - p0).count());
        if (!s.ok() || !preview.plan().feasible()) {
          std::fprintf(stderr, "plan failed: %s %s\n", s.error_message().c_str(),
                       preview.plan().reasons_size() ? preview.plan().reasons(0).c_str() : "");
          rc = 1;
        }
      }
      Row(absl::StrFormat("Plan: evacuate %d hosts (%d VMs), median of 3", count,
                          count * o.vms_per_host),
          absl::StrFormat("%.0f ms", plan_ms.Quantile(0.5)),
          absl::StrFormat("max %.0f ms", plan_ms.Quantile(1.0)));
    }

    // One evacuation, watched by many.
    convoy::v1::Operation op;
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + 120s);
      convoy::v1::SubmitRequest submit;
      *submit.mutable_request() = Evacuate(5, 4, o.hosts);
      submit.mutable_request()->mutable_request()->set_strategy("parallel");
      const grpc::Status s = stub->Submit(&context, submit, &op);
      if (!s.ok()) {
        std::fprintf(stderr, "submit failed: %s\n", s.error_message().c_str());
        rc = 1;
      }
    }
    std::vector<std::thread> watchers;
    std::vector<long> received(o.watchers, 0);
    std::vector<double> last_at(o.watchers, 0);
    Latencies lag_ms;
    const auto w0 = Clock::now();
    for (int w = 0; w < o.watchers; ++w) {
      watchers.emplace_back([&, w] {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 300s);
        convoy::v1::WatchOperationRequest request;
        request.set_id(op.id());
        request.set_interval_ms(1000);
        auto reader = stub->Watch(&context, request);
        convoy::v1::Event e;
        while (reader->Read(&e)) {
          if (e.kind() == "progress") continue;  // not persisted: not counted
          ++received[w];
          lag_ms.Add(1000 * (UnixNow() - e.at_unix_s()));
          last_at[w] = UnixNow();
        }
        reader->Finish();
      });
    }
    for (auto& t : watchers) t.join();
    const double watched_s = std::chrono::duration<double>(Clock::now() - w0).count();
    grpc::ClientContext context;
    convoy::v1::OperationRef ref;
    ref.set_id(op.id());
    convoy::v1::Operation ended;
    stub->GetOperation(&context, ref, &ended);
    const long fewest = *std::min_element(received.begin(), received.end());
    const long most = *std::max_element(received.begin(), received.end());
    Row(absl::StrFormat("evacuation of 4 hosts (%d VMs)", 4 * o.vms_per_host),
        absl::StrFormat("%s in %.1f s", ended.state(), watched_s),
        absl::StrFormat("%ld migrations started", agents.migrations_started.load()));
    if (ended.state() != "succeeded") rc = 1;
    Row(absl::StrFormat("Watch: events per watcher (%d watchers)", o.watchers),
        absl::StrFormat("%ld..%ld", fewest, most), "every watcher saw every event");
    if (fewest != most || fewest == 0) rc = 1;
    Row("Watch: event lag p50 / p99 / max",
        absl::StrFormat("%.0f / %.0f / %.0f ms", lag_ms.Quantile(0.5), lag_ms.Quantile(0.99),
                        lag_ms.Quantile(1.0)));
    heartbeats.Stop();
  }
  kill(convoyd, SIGTERM);
  waitpid(convoyd, nullptr, 0);
  agent_server->Shutdown();
  std::printf("\n%s (convoyd log: %s)\n", rc == 0 ? "load: all checks held" : "load: FAILED",
              log.c_str());
  return rc;
}
