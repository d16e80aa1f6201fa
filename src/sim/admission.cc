#include "src/sim/admission.h"

#include <algorithm>
#include <limits>
#include <map>

namespace convoy::sim {
namespace {

// Planned shares are computed to the Mb/s: allow rounding, as the controller does.
constexpr double kFitSlack = 1.02;

}  // namespace

Admission::Admission(const DispatchPolicy& policy, const model::ClusterModel& model)
    : policy_(policy),
      load_mbps_(model.resources().size(), 0),
      flows_(model.resources().size(), 0),
      per_source_(model.hosts().size(), 0) {
  for (const auto& r : model.resources()) capacity_mbps_.push_back(r.capacity_mbps);
}

bool Admission::Fits(const std::vector<AdmissionItem>& unit) const {
  int actions = 0, migrations = 0;
  std::map<int, int> per_source;
  std::map<int, double> per_resource;
  for (const auto& item : unit) {
    ++actions;
    if (!item.migration) continue;
    ++migrations;
    ++per_source[item.src];
    if (policy_.admit_by_bandwidth && item.path != nullptr) {
      for (int r : *item.path) per_resource[r] += item.mbps;
    }
  }
  if (policy_.max_actions > 0 && actions_ + actions > policy_.max_actions) return false;
  if (migrations == 0) return true;
  if (policy_.max_migrations > 0 && migrations_ + migrations > policy_.max_migrations) {
    return false;
  }
  for (const auto& [src, n] : per_source) {
    if (policy_.max_per_source > 0 && per_source_[src] + n > policy_.max_per_source) {
      return false;
    }
  }
  for (const auto& [r, mbps] : per_resource) {
    if (flows_[r] == 0) continue;
    if (load_mbps_[r] + mbps > capacity_mbps_[r] * kFitSlack) return false;
  }
  return true;
}

bool Admission::MayStart(const AdmissionItem& item) const {
  if (policy_.max_actions > 0 && actions_ >= policy_.max_actions) return false;
  if (!item.migration) return true;
  if (policy_.max_migrations > 0 && migrations_ >= policy_.max_migrations) return false;
  if (policy_.max_per_source > 0 && per_source_[item.src] >= policy_.max_per_source) return false;
  if (policy_.admit_by_bandwidth && item.path != nullptr) {
    for (int r : *item.path) {
      if (flows_[r] > 0 && load_mbps_[r] + item.mbps > capacity_mbps_[r] * kFitSlack) return false;
    }
  }
  return true;
}

int Admission::ActionSlots() const {
  if (policy_.max_actions <= 0) return std::numeric_limits<int>::max();
  return std::max(policy_.max_actions - actions_, 0);
}

int Admission::MigrationSlots() const {
  const int slots = policy_.max_migrations > 0 ? std::max(policy_.max_migrations - migrations_, 0)
                                               : std::numeric_limits<int>::max();
  return std::min(slots, ActionSlots());
}

void Admission::Start(const std::vector<AdmissionItem>& unit) {
  for (const auto& item : unit) {
    ++actions_;
    if (!item.migration) continue;
    ++migrations_;
    ++per_source_[item.src];
    if (item.path == nullptr) continue;
    for (int r : *item.path) {
      load_mbps_[r] += item.mbps;
      ++flows_[r];
    }
  }
}

void Admission::Finish(const AdmissionItem& item) {
  --actions_;
  if (!item.migration) return;
  --migrations_;
  --per_source_[item.src];
  if (item.path == nullptr) return;
  for (int r : *item.path) {
    load_mbps_[r] -= item.mbps;
    --flows_[r];
  }
}

}  // namespace convoy::sim
