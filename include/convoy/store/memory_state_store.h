// A StateStore kept in memory (state_store.h has the contract): for unit tests of the
// executor and of anything else that needs a store but not durability. Nothing survives the
// object. Thread-safe: one mutex guards everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "convoy/store/state_store.h"

namespace convoy::store {

class MemoryStateStore final : public StateStore {
 public:
  MemoryStateStore() = default;
  MemoryStateStore(const MemoryStateStore&) = delete;
  MemoryStateStore& operator=(const MemoryStateStore&) = delete;

  Status PutOperation(const v1::Operation& op) override;
  Status PutAction(const std::string& operation_id, const v1::Action& action) override;
  StatusOr<v1::Operation> GetOperation(const std::string& id) override;
  StatusOr<std::vector<v1::Operation>> ListOperations(bool include_finished) override;
  StatusOr<uint64_t> AppendEvent(v1::Event event) override;
  StatusOr<std::vector<v1::Event>> EventsAfter(const std::string& operation_id, uint64_t after_seq,
                                               size_t limit) override;
  Status PutPlanPreview(const v1::PlanPreview& preview) override;
  StatusOr<v1::PlanPreview> GetPlanPreview(const std::string& plan_id) override;

 private:
  struct StoredOperation {
    v1::Operation header;                        // without actions
    std::vector<v1::Action> actions;             // in the order first stored
    std::map<std::string, size_t> action_index;  // action id -> index in `actions`
    std::vector<v1::Event> events;               // events[i].seq() == i + 1
  };

  // Requires mu_.
  static void PutActionLocked(StoredOperation& stored, const v1::Action& action);
  static v1::Operation Assemble(const StoredOperation& stored);

  std::mutex mu_;
  std::map<std::string, StoredOperation> operations_;
  std::map<std::string, v1::PlanPreview> previews_;
};

}  // namespace convoy::store
