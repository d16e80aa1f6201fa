// libFuzzer target: the controller's plan request path (Controller.Plan and Submit) on a fixed
// live inventory: the request as JSON or YAML (the proto JSON mapping), its size check, the
// check against the inventory, the live scenario with the request's apps, validation, the model
// and the plan. Any input must end in a Status or a plan.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/live_scenario.h"
#include "controller/request_limits.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/proto_yaml.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"

namespace {

constexpr double kNow = 1.7e9;

// Four hosts on one switch, six VMs (a three-tier app and three others), all agents up: what the
// demo's testbed reports.
const convoy::v1::InventoryResponse& Inventory() {
  static const convoy::v1::InventoryResponse inventory = [] {
    convoy::v1::InventoryResponse out;
    for (int i = 1; i <= 4; ++i) {
      auto* h = out.mutable_cluster()->add_hosts();
      h->set_name("h" + std::to_string(i));
      h->set_switch_("cvtb0");
      h->set_nic_gbps(1);
      h->set_cpus(8);
      h->set_memory_gib(16);
      auto* a = out.add_agents();
      a->set_name(h->name());
      a->set_health("up");
      a->set_last_heartbeat_unix_s(kNow);
    }
    const char* vms[][2] = {{"web", "h1"}, {"app", "h1"}, {"db", "h1"},
                            {"mem", "h2"}, {"net", "h2"}, {"cpu", "h2"}};
    for (const auto& [name, host] : vms) {
      auto* v = out.mutable_cluster()->add_vms();
      v->set_name(name);
      v->set_host(host);
      v->set_vcpus(1);
      v->set_memory_gib(0.125);
      v->set_dirty_mibps(2);
    }
    return out;
  }();
  return inventory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  convoy::v1::ControllerPlanRequest request;
  if (!convoy::model::ParseYamlInto(text, &request).ok()) return 0;
  if (!convoy::controller::CheckRequestSize(request).ok()) return 0;
  const auto& r = request.request();
  if (!r.strategy().empty() && !convoy::model::IsKnownStrategy(r.strategy())) return 0;
  if (!r.mode().empty() && !convoy::model::IsKnownMode(r.mode())) return 0;
  if (!convoy::controller::CheckRequestAgainstInventory(Inventory(), r, kNow).ok()) return 0;
  auto scenario = convoy::controller::LiveScenario(Inventory().cluster(), request);
  if (!scenario.ok()) return 0;
  if (!convoy::model::ValidateScenario(*scenario).ok()) return 0;
  auto model = convoy::model::ClusterModel::Build(*scenario);
  if (!model.ok()) return 0;
  (void)convoy::plan::MakePlanWithStrategy(*model, r,
                                           r.strategy().empty() ? "convoy" : r.strategy(), {});
  return 0;
}
