#include "cli/evacuate_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/operation_commands.h"
#include "cli/plan_command.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"
#include "convoy/report/render.h"

namespace convoy::cli {
namespace {

// The scenario the controller planned on (controller/live_scenario.cc does the same): the
// snapshot's hosts, links and VMs, with the request's apps attached to their VMs.
StatusOr<v1::Scenario> SnapshotScenario(const v1::PlanPreview& preview,
                                        const v1::ControllerPlanRequest& request) {
  v1::Scenario scenario;
  *scenario.mutable_hosts() = preview.cluster().hosts();
  *scenario.mutable_links() = preview.cluster().links();
  *scenario.mutable_vms() = preview.cluster().vms();
  std::map<std::string, v1::Vm*> by_name;
  for (auto& vm : *scenario.mutable_vms()) by_name[vm.name()] = &vm;
  for (const auto& app : request.apps()) {
    for (const auto& t : app.traffic()) {
      for (const std::string& vm : {t.a(), t.b()}) {
        auto it = by_name.find(vm);
        if (it == by_name.end()) return absl::InvalidArgumentError("app VM not in the snapshot");
        it->second->set_app(app.name());
      }
    }
    *scenario.add_apps() = app;
  }
  *scenario.mutable_request() = request.request();
  CONVOY_RETURN_IF_ERROR(model::ValidateScenario(scenario));
  return scenario;
}

// The other strategies' plans for comparison, planned here on the same snapshot. Empty when the
// snapshot cannot be planned locally (it is only a comparison).
std::vector<v1::Plan> Baselines(const v1::PlanPreview& preview,
                                const v1::ControllerPlanRequest& request) {
  std::vector<v1::Plan> baselines;
  auto scenario = SnapshotScenario(preview, request);
  if (!scenario.ok()) return baselines;
  auto cluster = model::ClusterModel::Build(*scenario);
  if (!cluster.ok()) return baselines;
  for (const char* strategy : {"convoy", "sequential", "parallel"}) {
    if (strategy == preview.plan().strategy()) continue;
    auto plan = plan::MakePlanWithStrategy(*cluster, scenario->request(), strategy);
    if (!plan.ok()) return {};
    baselines.push_back(*std::move(plan));
  }
  return baselines;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

struct EvacuateArgs {
  RequestArgs request;
  bool yes = false;
  std::string format = "table";
  std::string svg;
  ControllerOptions controller;
};

int RunEvacuate(const EvacuateArgs& args) {
  auto request = BuildPlanRequest(args.request);
  if (!request.ok()) {
    std::cerr << "convoy: " << request.status().message() << "\n";
    return kExitError;
  }
  ControllerClient client(args.controller);
  v1::PlanPreview preview;
  if (!CallPlan(&client, *request, &preview)) return kExitError;
  const int printed = PrintPreview(preview, *request, args.format, "");
  if (printed != kExitOk) return printed;

  if (!args.yes) {
    if (!StdinIsTerminal()) {
      std::cerr << "convoy: not executing plan " << preview.plan_id()
                << ": there is no terminal to confirm on; pass --yes to execute without asking\n";
      return kExitError;
    }
    std::optional<std::string> answer;
    {
      InterruptGuard guard;
      answer = AskLine("Execute this plan? [y/N] ");
    }
    if (!answer || !IsYes(*answer)) {
      std::cerr << "convoy: not executed; nothing moved\n";
      return kExitDeclined;
    }
  }

  grpc::ClientContext context;
  client.SetDeadline(&context);
  v1::SubmitRequest submit;
  submit.set_plan_id(preview.plan_id());
  v1::Operation op;
  grpc::Status status = client.stub()->Submit(&context, submit, &op);
  if (!status.ok()) {
    std::cerr << "convoy: " << client.Describe(status, "submit " + preview.plan_id()) << "\n";
    return kExitError;
  }
  std::cerr << "convoy: operation " << op.id() << " started (convoy watch " << op.id() << ")\n";
  FollowOptions follow;
  follow.svg_file = args.svg;
  follow.json = args.format == "json";
  return FollowOperation(&client, op.id(), follow);
}

}  // namespace

void AddRequestOptions(CLI::App* command, RequestArgs* args, bool with_strategy) {
  command->add_option("--to", args->to, "Hosts the VMs may go to (default: any other host)")
      ->delimiter(',');
  command->add_option("--mode", args->mode, "auto | pre-copy | post-copy | enlightened");
  if (with_strategy) {
    command->add_option("--strategy,-s", args->strategy,
                        "convoy | sequential | parallel | comma-exact | comma-heuristic | "
                        "solive (default: convoy)");
  }
  command
      ->add_option("--deadline", args->deadline_s,
                   "The whole plan must end within this many seconds (0: none)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--max-online", args->max_online_hosts,
                      "At most this many hosts powered on at any instant (0: no cap)");
  command
      ->add_option("--power-budget", args->power_budget_w,
                   "The hosts together never draw more than this, W (0: no cap)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--urgency", args->urgency_pct,
                   "Share of a link reserved for an urgent migration, percent")
      ->check(CLI::Range(0.0, 100.0));
  command
      ->add_option(
          "--reservation", args->reservation,
          "Bandwidth reservation on the hosts' Open vSwitch (SOLive): auto (adaptive where "
          "a source can reserve) | none | adaptive | fixed (--urgency held throughout)")
      ->check(CLI::IsMember({"auto", "none", "adaptive", "fixed"}));
  command
      ->add_option("--downtime-ms", args->downtime_ms,
                   "Longest acceptable pause of a VM, ms (default: 300)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--keep-on", args->keep_on, "Do not shut the evacuated hosts down");
  command->add_option("--apps", args->apps_file,
                      "YAML or JSON file whose `apps:` give the applications' traffic");
  command->add_flag("--probe", args->probe, "Measure the bandwidths between the hosts first");
}

StatusOr<std::vector<v1::App>> LoadApps(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--apps: cannot open ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = model::ParseScenario(text.str());
  if (!scenario.ok()) {
    const std::string message(scenario.status().message());
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
  }
  return std::vector<v1::App>(scenario->apps().begin(), scenario->apps().end());
}

StatusOr<v1::ControllerPlanRequest> BuildPlanRequest(const RequestArgs& args) {
  if (!args.mode.empty() && !model::IsKnownMode(args.mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode: unknown mode '", args.mode, "' (one of ", model::kModes, ")"));
  }
  if (!args.strategy.empty() && !model::IsKnownStrategy(args.strategy)) {
    return absl::InvalidArgumentError(absl::StrCat("--strategy: unknown strategy '", args.strategy,
                                                   "' (one of ", model::kStrategies, ")"));
  }
  v1::ControllerPlanRequest request;
  v1::EvacuationRequest* r = request.mutable_request();
  for (const auto& host : args.hosts) r->add_evacuate(host);
  for (const auto& host : args.to) r->add_to(host);
  r->set_mode(args.mode);
  r->set_strategy(args.strategy);
  r->set_deadline_s(args.deadline_s);
  r->set_max_online_hosts(args.max_online_hosts);
  r->set_power_budget_w(args.power_budget_w);
  r->set_urgency_pct(args.urgency_pct);
  r->set_reservation(args.reservation);
  r->set_downtime_ms(args.downtime_ms);
  if (args.keep_on) r->set_power_off(false);
  if (!args.apps_file.empty()) {
    CONVOY_ASSIGN_OR_RETURN(auto apps, LoadApps(args.apps_file));
    for (auto& app : apps) *request.add_apps() = std::move(app);
  }
  request.set_probe_bandwidth(args.probe);
  return request;
}

bool CallPlan(ControllerClient* client, const v1::ControllerPlanRequest& request,
              v1::PlanPreview* preview) {
  grpc::ClientContext context;
  // Probing measures each evacuated host against the others (a few seconds each).
  client->SetDeadline(
      &context, request.probe_bandwidth() ? 60.0 + 10.0 * request.request().evacuate_size() : 0.0);
  grpc::Status status = client->stub()->Plan(&context, request, preview);
  if (!status.ok()) {
    std::cerr << "convoy: " << client->Describe(status, "plan") << "\n";
    return false;
  }
  return true;
}

int PrintPreview(const v1::PlanPreview& preview, const v1::ControllerPlanRequest& request,
                 const std::string& format, const std::string& output) {
  const v1::Plan& plan = preview.plan();
  std::string text;
  if (format == "json") {
    text = report::RenderJson(plan);
  } else if (format == "svg") {
    text = report::RenderSvg(plan);
  } else {
    text = absl::StrCat("Plan ", preview.plan_id(), " on the live inventory (",
                        preview.cluster().hosts_size(), " hosts, ", preview.cluster().vms_size(),
                        " VMs)\n\n", report::RenderTable(plan, Baselines(preview, request)));
  }
  if (!WriteOutput(output, text)) {
    std::cerr << "convoy: cannot write " << output << "\n";
    return kExitError;
  }
  if (format != "table") std::cerr << "convoy: plan id " << preview.plan_id() << "\n";
  if (!plan.feasible()) {
    std::cerr << "convoy: the plan is infeasible:\n";
    for (const auto& reason : plan.reasons()) std::cerr << "  - " << reason << "\n";
    return kExitInfeasible;
  }
  return kExitOk;
}

void AddEvacuateCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<EvacuateArgs>();
  auto* evacuate = app->add_subcommand(
      "evacuate",
      "Empty hosts: plan on the controller's live inventory, show the plan, ask, execute it\n"
      "and follow it to the end (like convoy watch).\n"
      "Exit codes: 0 the operation succeeded; 1 not confirmed, nothing moved; 2 error (usage,\n"
      "controller not reachable, request refused); 3 the plan is infeasible (reasons on\n"
      "stderr); 4 the operation failed or was cancelled; 130 stopped watching (it goes on).");
  evacuate->add_option("hosts", args->request.hosts, "The hosts to evacuate")->required();
  AddRequestOptions(evacuate, &args->request, true);
  evacuate->add_flag("--yes,-y", args->yes, "Execute without asking");
  evacuate
      ->add_option("--format,-f", args->format,
                   "table: plan table, live view and summary; json: the plan's JSON, events "
                   "as JSON lines, the final operation")
      ->check(CLI::IsMember({"table", "json"}));
  evacuate->add_option("--svg", args->svg,
                       "Write the Gantt chart of what actually happened here at the end");
  AddControllerOptions(evacuate, &args->controller);
  evacuate->callback([args, exit_code] { *exit_code = RunEvacuate(*args); });
}

}  // namespace convoy::cli
