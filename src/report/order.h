// Display order of a plan's migrations and power actions, shared by the renderers.
#pragma once

#include <algorithm>
#include <vector>

#include "convoy/v1/plan.pb.h"

namespace convoy::report::internal {

// The plan's migrations sorted by start_s, then vm name (stable for equal keys).
inline std::vector<const v1::Migration*> SortedMigrations(const v1::Plan& plan) {
  std::vector<const v1::Migration*> sorted;
  sorted.reserve(plan.migrations_size());
  for (const v1::Migration& migration : plan.migrations()) sorted.push_back(&migration);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const v1::Migration* a, const v1::Migration* b) {
                     if (a->start_s() != b->start_s()) return a->start_s() < b->start_s();
                     return a->vm() < b->vm();
                   });
  return sorted;
}

// The plan's power actions sorted by start_s, then host name (stable for equal keys).
inline std::vector<const v1::PowerAction*> SortedPower(const v1::Plan& plan) {
  std::vector<const v1::PowerAction*> sorted;
  sorted.reserve(plan.power_size());
  for (const v1::PowerAction& action : plan.power()) sorted.push_back(&action);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const v1::PowerAction* a, const v1::PowerAction* b) {
                     if (a->start_s() != b->start_s()) return a->start_s() < b->start_s();
                     return a->host() < b->host();
                   });
  return sorted;
}

}  // namespace convoy::report::internal
