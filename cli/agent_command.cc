#include "cli/agent_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "cli/controller_client.h"
#include "cli/plan_command.h"
#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::cli {
namespace {

struct Common {
  std::string agent = "127.0.0.1:7700";
  double timeout_s = 30;
  // An agent serves only the controller (OU=controller certificates): the controller's
  // certificate, from $CONVOY_AGENT_TLS_CERT and $CONVOY_AGENT_TLS_KEY by default (the testbed's
  // tls/env sets them).
  ControllerOptions tls = [] {
    ControllerOptions o;
    o.tls_cert = ControllerOptions::EnvOr("CONVOY_AGENT_TLS_CERT");
    o.tls_key = ControllerOptions::EnvOr("CONVOY_AGENT_TLS_KEY");
    o.token_file.clear();
    return o;
  }();
};

std::unique_ptr<v1::Agent::Stub> Connect(const Common& c) {
  return v1::Agent::NewStub(grpc::CreateChannel(c.agent, ClientCredentials(c.tls)));
}

void Deadline(grpc::ClientContext* context, double seconds) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
}

int Fail(const grpc::Status& status) {
  std::cerr << "convoy: agent: " << status.error_message() << " (" << status.error_code() << ")\n";
  return kExitError;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
}

// A staged migration's figures: what is in Redis, what the destination took, the eviction.
std::string StagedPart(const v1::MigrationProgress& p) {
  if (!p.has_staging()) return "";
  const auto& s = p.staging();
  return absl::StrFormat(" staged=%.1fMiB gathered=%.1fMiB%s", s.staged_mib(), s.gathered_mib(),
                         s.evicted() ? absl::StrFormat(" evicted=%.2fs", s.eviction_s()) : "");
}

std::string Line(const v1::MigrationProgress& p) {
  return absl::StrFormat(
      "%-9s %s iteration=%u processed=%.1fMiB remaining=%.1fMiB bandwidth=%.1fMiB/s "
      "dirty=%.1fMiB/s elapsed=%.1fs%s%s%s",
      p.state(), p.id(), p.iteration(), p.data_processed_mib(), p.data_remaining_mib(),
      p.bandwidth_mibps(), p.dirty_rate_mibps(), p.elapsed_s(),
      p.reserved_mbps() > 0 ? absl::StrFormat(" reserved=%.0fMb/s", p.reserved_mbps()) : "",
      p.downtime_ms() > 0 ? absl::StrFormat(" downtime=%.0fms", p.downtime_ms()) : "",
      StagedPart(p), p.error().empty() ? "" : " error: " + p.error());
}

// Follows a migration to its end; exit 0 only if it completed.
int Follow(v1::Agent::Stub* stub, const std::string& id, bool quiet) {
  grpc::ClientContext context;
  v1::WatchRequest request;
  request.set_id(id);
  request.set_interval_ms(1000);
  auto reader = stub->WatchMigration(&context, request);
  v1::MigrationProgress progress;
  v1::MigrationProgress last;
  while (reader->Read(&progress)) {
    if (!quiet) std::cout << Line(progress) << "\n" << std::flush;
    last = progress;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status);
  if (quiet) std::cout << Line(last) << "\n";
  return last.state() == "completed" ? kExitOk : 1;
}

}  // namespace

void AddAgentCommands(CLI::App* app, int* exit_code) {
  auto* agent = app->add_subcommand("agent", "Talk to one convoy-agent directly");
  agent->require_subcommand(1);
  auto common = std::make_shared<Common>();
  agent->add_option("--agent,-a", common->agent, "The agent's address (host:port)");
  agent->add_option("--timeout-s", common->timeout_s, "Deadline of each call");
  agent->add_option("--tls-ca", common->tls.tls_ca, "CA of the agent's certificate ($CONVOY_TLS_CA)");
  agent->add_option("--tls-cert", common->tls.tls_cert,
                    "A controller's certificate (OU=controller; $CONVOY_AGENT_TLS_CERT)");
  agent->add_option("--tls-key", common->tls.tls_key,
                    "The key of --tls-cert ($CONVOY_AGENT_TLS_KEY)");
  agent->add_flag("--insecure", common->tls.insecure,
                  "Plaintext: for an agent run with --insecure ($CONVOY_INSECURE=1)");

  auto* d = agent->add_subcommand("describe", "The host and its VMs, as JSON");
  auto rate_ms = std::make_shared<uint32_t>(0);
  auto dirty_s = std::make_shared<uint32_t>(0);
  auto dirty_mode = std::make_shared<std::string>();
  auto vms = std::make_shared<std::vector<std::string>>();
  d->add_option("--rates-ms", *rate_ms, "Sample tap counters this far apart for rates");
  d->add_option("--dirty-s", *dirty_s, "Measure dirty rates over this many seconds");
  d->add_option("--dirty-mode", *dirty_mode, "page-sampling | dirty-bitmap | dirty-ring");
  d->add_option("--vm", *vms, "Only these VMs");
  d->callback([=] {
    v1::DescribeRequest request;
    request.set_rate_window_ms(*rate_ms);
    request.set_dirty_rate_period_s(*dirty_s);
    request.set_dirty_rate_mode(*dirty_mode);
    for (const auto& vm : *vms) request.add_vms(vm);
    grpc::ClientContext context;
    Deadline(&context, common->timeout_s + *dirty_s + *rate_ms / 1000.0);
    v1::HostReport report;
    grpc::Status status = Connect(*common)->Describe(&context, request, &report);
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    PrintJson(report);
    *exit_code = kExitOk;
  });

  auto vm = std::make_shared<std::string>();
  auto dest_host = std::make_shared<std::string>();
  auto dest_uri = std::make_shared<std::string>();
  auto dest_address = std::make_shared<std::string>();
  auto mode = std::make_shared<std::string>("pre-copy");
  auto bandwidth = std::make_shared<double>(0);
  auto postcopy_bandwidth = std::make_shared<double>(0);
  auto precopy_s = std::make_shared<double>(0);
  auto downtime = std::make_shared<double>(0);
  auto timeout = std::make_shared<double>(0);
  auto postcopy_after = std::make_shared<uint32_t>(0);
  auto parallel = std::make_shared<uint32_t>(0);
  auto auto_converge = std::make_shared<bool>(false);
  auto persist = std::make_shared<bool>(false);
  auto wait = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto reservation = std::make_shared<std::string>("none");
  auto urgency = std::make_shared<double>(75);
  auto stage_via = std::make_shared<std::vector<std::string>>();
  auto dest_agent = std::make_shared<std::string>();
  auto* m = agent->add_subcommand("migrate", "Start a live migration (peer-to-peer)");
  m->add_option("vm", *vm, "The VM")->required();
  m->add_option("--dest-uri", *dest_uri, "The destination's libvirt URI")->required();
  m->add_option("--dest-address", *dest_address, "Where the migration stream goes (IP)");
  m->add_option("--dest-host", *dest_host, "The destination host's name");
  m->add_option("--mode", *mode, "pre-copy | post-copy | pre-then-post | enlightened");
  m->add_option("--bandwidth", *bandwidth, "MiB/s (0: unlimited)");
  m->add_option("--postcopy-bandwidth", *postcopy_bandwidth,
                "MiB/s once in post-copy (0: unlimited)");
  m->add_option("--downtime-ms", *downtime, "Downtime limit");
  m->add_option("--timeout-s", *timeout, "Abort (pre-copy) or switch (pre-then-post) after");
  m->add_option("--postcopy-after", *postcopy_after, "Switch after this many iterations");
  m->add_option("--precopy-s", *precopy_s, "Enlightened: pre-copy this long before the switch");
  m->add_option("--parallel", *parallel, "Parallel connections");
  m->add_flag("--auto-converge", *auto_converge, "Throttle the guest if it does not converge");
  m->add_flag("--persist", *persist, "Define the VM on the destination");
  m->add_flag("--wait", *wait, "Follow it to the end; exit 0 only if it completed");
  m->add_flag("--quiet", *quiet, "With --wait, print only the last line");
  m->add_option("--reservation", *reservation,
                "Bandwidth reservation on the source's Open vSwitch: none | adaptive | fixed")
      ->check(CLI::IsMember({"none", "adaptive", "fixed"}));
  m->add_option("--urgency", *urgency, "The reservation's urgency, percent of the uplink")
      ->check(CLI::Range(1.0, 100.0));
  m->add_option("--stage-via", *stage_via,
                "Stage the stream through these Redis intermediaries (host:port, comma-separated)")
      ->delimiter(',');
  m->add_option("--dest-agent", *dest_agent,
                "The destination agent's API (host:port): it holds the incoming side of a "
                "reservation and gathers a staged stream");
  m->callback([=] {
    v1::StartMigrationRequest request;
    request.set_vm(*vm);
    request.mutable_destination()->set_host(*dest_host);
    request.mutable_destination()->set_libvirt_uri(*dest_uri);
    request.mutable_destination()->set_migration_address(*dest_address);
    request.set_mode(*mode);
    request.set_bandwidth_mibps(*bandwidth);
    request.set_postcopy_bandwidth_mibps(*postcopy_bandwidth);
    request.set_downtime_ms(*downtime);
    request.set_timeout_s(*timeout);
    request.set_postcopy_after_iterations(*postcopy_after);
    request.set_precopy_s(*precopy_s);
    request.set_parallel_connections(*parallel);
    request.set_auto_converge(*auto_converge);
    request.set_persist_destination(*persist);
    request.mutable_destination()->set_agent_address(*dest_agent);
    if (*reservation != "none") {
      request.mutable_reservation()->set_policy(*reservation);
      request.mutable_reservation()->set_urgency_pct(*urgency);
    }
    if (!stage_via->empty()) {
      for (const auto& address : *stage_via) request.mutable_staging()->add_intermediaries(address);
      request.mutable_staging()->set_destination_agent(*dest_agent);
    }
    auto stub = Connect(*common);
    grpc::ClientContext context;
    Deadline(&context, common->timeout_s);
    v1::MigrationProgress progress;
    grpc::Status status = stub->StartMigration(&context, request, &progress);
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    if (!*wait) {
      std::cout << Line(progress) << "\n";
      *exit_code = kExitOk;
      return;
    }
    *exit_code = Follow(stub.get(), progress.id(), *quiet);
  });

  auto id = std::make_shared<std::string>();
  auto* w = agent->add_subcommand("watch", "Follow a migration to its end");
  w->add_option("id", *id)->required();
  w->callback([=] { *exit_code = Follow(Connect(*common).get(), *id, false); });

  auto all = std::make_shared<bool>(false);
  auto* l = agent->add_subcommand("list", "Migrations (running; --all: finished too)");
  l->add_flag("--all", *all);
  l->callback([=] {
    v1::ListMigrationsRequest request;
    request.set_include_finished(*all);
    grpc::ClientContext context;
    Deadline(&context, common->timeout_s);
    v1::ListMigrationsResponse response;
    grpc::Status status = Connect(*common)->ListMigrations(&context, request, &response);
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    for (const auto& p : response.migrations()) std::cout << Line(p) << "\n";
    *exit_code = kExitOk;
  });

  auto speed = std::make_shared<double>(0);
  auto* s = agent->add_subcommand("speed", "Change a migration's bandwidth limit (MiB/s)");
  s->add_option("id", *id)->required();
  s->add_option("mibps", *speed)->required();
  s->callback([=] {
    v1::SetSpeedRequest request;
    request.set_id(*id);
    request.set_bandwidth_mibps(*speed);
    grpc::ClientContext context;
    Deadline(&context, common->timeout_s);
    v1::MigrationProgress progress;
    grpc::Status status = Connect(*common)->SetMigrationSpeed(&context, request, &progress);
    *exit_code = status.ok() ? kExitOk : Fail(status);
    if (status.ok()) std::cout << Line(progress) << "\n";
  });

  for (const char* verb : {"postcopy", "abort"}) {
    auto* c = agent->add_subcommand(verb, std::string(verb) == "abort"
                                              ? "Abort a pre-copy migration"
                                              : "Switch a migration to post-copy");
    c->add_option("id", *id)->required();
    const bool abort = std::string(verb) == "abort";
    c->callback([=] {
      v1::MigrationRef ref;
      ref.set_id(*id);
      grpc::ClientContext context;
      Deadline(&context, common->timeout_s);
      v1::MigrationProgress progress;
      auto stub = Connect(*common);
      grpc::Status status = abort ? stub->AbortMigration(&context, ref, &progress)
                                  : stub->SwitchToPostCopy(&context, ref, &progress);
      *exit_code = status.ok() ? kExitOk : Fail(status);
      if (status.ok()) std::cout << Line(progress) << "\n";
    });
  }

  auto target = std::make_shared<std::string>();
  auto max_mib = std::make_shared<uint64_t>(64);
  auto max_s = std::make_shared<double>(3);
  auto* p = agent->add_subcommand("probe", "Measure the bandwidth from this agent to another");
  p->add_option("target", *target, "The other agent's probe endpoint (host:port)")->required();
  p->add_option("--max-mib", *max_mib, "Send at most this much");
  p->add_option("--max-s", *max_s, "For at most this long");
  p->callback([=] {
    v1::ProbeRequest request;
    request.set_target(*target);
    request.set_max_bytes(*max_mib << 20);
    request.set_max_seconds(*max_s);
    grpc::ClientContext context;
    Deadline(&context, common->timeout_s + *max_s);
    v1::ProbeResult result;
    grpc::Status status = Connect(*common)->ProbeBandwidth(&context, request, &result);
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    std::cout << absl::StrFormat("%.1f Mb/s (%d bytes in %.2f s)\n", result.mbps(), result.bytes(),
                                 result.seconds());
    *exit_code = kExitOk;
  });
}

}  // namespace convoy::cli
