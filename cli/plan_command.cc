#include "cli/plan_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"
#include "convoy/report/render.h"

namespace convoy::cli {
namespace {

int Fail(const Status& status) {
  std::cerr << "convoy: " << status.message() << "\n";
  return kExitError;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int RunPlan(const PlanArgs& args) {
  auto scenario = model::LoadScenarioFile(args.file);
  if (!scenario.ok()) return Fail(scenario.status());
  auto cluster = model::ClusterModel::Build(*scenario);
  if (!cluster.ok()) return Fail(cluster.status());
  std::string strategy = !args.strategy.empty() ? args.strategy : scenario->request().strategy();
  if (strategy.empty()) strategy = "convoy";
  auto plan = plan::MakePlanWithStrategy(*cluster, scenario->request(), strategy);
  if (!plan.ok()) return Fail(plan.status());

  std::string text;
  if (args.format == "json") {
    text = report::RenderJson(*plan);
  } else if (args.format == "svg") {
    text = report::RenderSvg(*plan);
  } else if (args.format == "table") {
    std::vector<v1::Plan> baselines;
    for (const char* baseline : {"convoy", "sequential", "parallel"}) {
      if (baseline == strategy) continue;
      auto other = plan::MakePlanWithStrategy(*cluster, scenario->request(), baseline);
      if (!other.ok()) return Fail(other.status());
      baselines.push_back(*std::move(other));
    }
    text = report::RenderTable(*plan, baselines);
  } else {
    std::cerr << "convoy: --format: unknown format '" << args.format
              << "' (one of table, json, svg)\n";
    return kExitError;
  }
  if (!WriteOutput(args.output, text)) {
    std::cerr << "convoy: cannot write " << args.output << "\n";
    return kExitError;
  }
  if (!plan->feasible()) {
    std::cerr << "convoy: the plan is infeasible:\n";
    for (const auto& reason : plan->reasons()) std::cerr << "  - " << reason << "\n";
    return kExitInfeasible;
  }
  return kExitOk;
}

int RunValidate(const std::string& file) {
  auto scenario = model::LoadScenarioFile(file);
  if (!scenario.ok()) return Fail(scenario.status());
  std::cout << file << ": valid: " << scenario->hosts_size() << " hosts, " << scenario->links_size()
            << " links, " << scenario->vms_size() << " VMs, " << scenario->apps_size()
            << " apps, request to evacuate " << scenario->request().evacuate_size()
            << " hosts and move " << scenario->request().moves_size() << " VMs\n";
  return kExitOk;
}

}  // namespace convoy::cli
