// libFuzzer target: the scenario parser (YAML and JSON, proto_yaml) and everything the Planning
// API does with what it parsed: ValidateScenario, ClusterModel::Build, MakePlan. Any input must
// end in a Status or a plan, never a crash, a sanitizer report or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto scenario = convoy::model::ParseScenario(text);
  if (!scenario.ok()) return 0;
  if (!convoy::model::ValidateScenario(*scenario).ok()) return 0;
  auto model = convoy::model::ClusterModel::Build(*scenario);
  if (!model.ok()) return 0;
  // Planning is what the API does next; bounded so that a fuzzed giant stays fast.
  if (scenario->vms_size() > 64 || scenario->hosts_size() > 64) return 0;
  (void)convoy::plan::MakePlan(*model, scenario->request());
  return 0;
}
