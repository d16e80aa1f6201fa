// The caps of a DispatchPolicy over what is running. Pure; internal to src/sim.
#pragma once

#include <vector>

#include "convoy/model/cluster_model.h"
#include "convoy/sim/simulator.h"

namespace convoy::sim {

// An action as the caps see it.
struct AdmissionItem {
  bool migration = false;
  int src = -1;                            // a migration's source host
  double mbps = 0;                         // its planned bandwidth
  const std::vector<int>* path = nullptr;  // the resources its flow crosses
};

class Admission {
 public:
  Admission(const DispatchPolicy& policy, const model::ClusterModel& model);

  // Whether `unit` (one action, or the members of a COMMA group, which start together) may
  // start next to what runs now. A resource with no migration running admits any unit, so a
  // plan wider than a link cannot deadlock.
  bool Fits(const std::vector<AdmissionItem>& unit) const;
  // Whether `item` alone could start next to what runs (caps and, when the policy admits by
  // bandwidth, its path): a quick filter before the controller's rules are asked about it.
  bool MayStart(const AdmissionItem& item) const;
  // How many more actions, and of them migrations, the counting caps let start now (a large
  // number without caps; a per-source cap is MayStart's to check).
  int ActionSlots() const;
  int MigrationSlots() const;
  void Start(const std::vector<AdmissionItem>& unit);
  void Finish(const AdmissionItem& item);

  int running_actions() const { return actions_; }
  int running_migrations() const { return migrations_; }

 private:
  const DispatchPolicy& policy_;
  std::vector<double> capacity_mbps_;
  std::vector<double> load_mbps_;
  std::vector<int> flows_;
  std::vector<int> per_source_;
  int actions_ = 0;
  int migrations_ = 0;
};

}  // namespace convoy::sim
