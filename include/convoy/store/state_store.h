// The controller's persistence: operations, their actions and events, and plan previews.
// convoyd writes every step here before it acts on it, so a restarted controller finds what it
// was doing (Operations::Resume) and watchers can replay an operation's whole history.
//
// Two implementations share this contract (tests/unit/state_store_test.cc runs the same tests
// on both): SqliteStateStore (sqlite_state_store.h), durable, what convoyd uses; and
// MemoryStateStore (memory_state_store.h), for unit tests of the executor.
//
// Contract common to every method:
// - Thread-safe: any method may be called from any thread at any time.
// - Values are copied in and out; nothing returned aliases the store.
// - Ids (operation, action, plan) must be non-empty: INVALID_ARGUMENT otherwise.
// - Errors are Status values naming what was being done (and, for SQLite, the file and SQLite's
//   message); nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::store {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts the operation or replaces its own fields (state, times, error, `request`, `plan`,
  // `measured`, ...). Its `actions` are then stored one by one exactly as PutAction does: new
  // ones are appended, known ones (same id) replaced in place; actions stored before and absent
  // from `op` are kept. So PutOperation(op without actions) updates only the operation's header.
  // Atomic: either the operation and all its actions are stored, or nothing is.
  virtual Status PutOperation(const v1::Operation& op) = 0;

  // Inserts or replaces one action of an operation already stored. A new action goes after the
  // operation's existing actions; a replaced one keeps its place. NOT_FOUND (naming the
  // operation id) when the operation is unknown.
  virtual Status PutAction(const std::string& operation_id, const v1::Action& action) = 0;

  // The operation with all its actions, in the order they were first stored. NOT_FOUND naming
  // the id when it is unknown.
  virtual StatusOr<v1::Operation> GetOperation(const std::string& id) = 0;

  // Operations (each with its actions), newest first by created_unix_s; equal created_unix_s in
  // ascending id order. Only the unfinished ones (state planned | running | cancelling, see
  // IsUnfinishedOperationState) unless `include_finished`.
  virtual StatusOr<std::vector<v1::Operation>> ListOperations(bool include_finished) = 0;

  // Appends an event to its operation (event.operation_id, which must be stored: NOT_FOUND
  // otherwise). The store assigns its seq, ignoring the one given: 1 for an operation's first
  // event, then 2, 3, ... with no gaps, even under concurrent calls. Returns the seq, which the
  // stored copy carries too.
  virtual StatusOr<uint64_t> AppendEvent(v1::Event event) = 0;

  // The events of an operation with seq > after_seq, in seq order, at most `limit` of them
  // (0: no limit). Empty when there are none yet; NOT_FOUND when the operation is unknown.
  virtual StatusOr<std::vector<v1::Event>> EventsAfter(const std::string& operation_id,
                                                       uint64_t after_seq, size_t limit) = 0;

  // Inserts or replaces a preview, keyed by its plan_id.
  virtual Status PutPlanPreview(const v1::PlanPreview& preview) = 0;
  // NOT_FOUND naming the plan id when it is unknown.
  virtual StatusOr<v1::PlanPreview> GetPlanPreview(const std::string& plan_id) = 0;
};

// Whether an operation in `state` has not ended: planned, running or cancelling.
// INVALID_ARGUMENT when PutAction's operation id or the action's id is empty.
inline Status CheckActionKey(const std::string& operation_id, const v1::Action& action) {
  if (operation_id.empty()) {
    return absl::InvalidArgumentError("put action: the operation id is empty");
  }
  if (action.id().empty()) {
    return absl::InvalidArgumentError(
        "put action of operation " + operation_id + ": the action id is empty");
  }
  return absl::OkStatus();
}

inline bool IsUnfinishedOperationState(std::string_view state) {
  return state == "planned" || state == "running" || state == "cancelling";
}

}  // namespace convoy::store
