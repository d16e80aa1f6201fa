#include "convoy/store/memory_state_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace convoy::store {

void MemoryStateStore::PutActionLocked(StoredOperation& stored, const v1::Action& action) {
  auto [it, inserted] = stored.action_index.try_emplace(action.id(), stored.actions.size());
  if (inserted) {
    stored.actions.push_back(action);
  } else {
    stored.actions[it->second] = action;
  }
}

v1::Operation MemoryStateStore::Assemble(const StoredOperation& stored) {
  v1::Operation op = stored.header;
  for (const auto& a : stored.actions) *op.add_actions() = a;
  return op;
}

Status MemoryStateStore::PutOperation(const v1::Operation& op) {
  if (op.id().empty()) return absl::InvalidArgumentError("put operation: the id is empty");
  for (const auto& a : op.actions()) {
    if (a.id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("put operation ", op.id(), ": an action has an empty id"));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  StoredOperation& stored = operations_[op.id()];
  stored.header = op;
  stored.header.clear_actions();
  for (const auto& a : op.actions()) PutActionLocked(stored, a);
  return absl::OkStatus();
}

Status MemoryStateStore::PutAction(const std::string& operation_id, const v1::Action& action) {
  CONVOY_RETURN_IF_ERROR(CheckActionKey(operation_id, action));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(operation_id);
  if (it == operations_.end()) {
    return absl::NotFoundError(
        absl::StrCat("put action ", action.id(), ": no operation '", operation_id, "'"));
  }
  PutActionLocked(it->second, action);
  return absl::OkStatus();
}

StatusOr<v1::Operation> MemoryStateStore::GetOperation(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("get operation: the id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(id);
  if (it == operations_.end()) return absl::NotFoundError(absl::StrCat("no operation '", id, "'"));
  return Assemble(it->second);
}

StatusOr<std::vector<v1::Operation>> MemoryStateStore::ListOperations(bool include_finished) {
  std::vector<v1::Operation> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, stored] : operations_) {  // ascending id
      if (include_finished || IsUnfinishedOperationState(stored.header.state())) {
        out.push_back(Assemble(stored));
      }
    }
  }
  // Stable: equal created_unix_s keep the ascending id order.
  std::stable_sort(out.begin(), out.end(), [](const v1::Operation& a, const v1::Operation& b) {
    return a.created_unix_s() > b.created_unix_s();
  });
  return out;
}

StatusOr<uint64_t> MemoryStateStore::AppendEvent(v1::Event event) {
  if (event.operation_id().empty()) {
    return absl::InvalidArgumentError("append event: the operation id is empty");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(event.operation_id());
  if (it == operations_.end()) {
    return absl::NotFoundError(
        absl::StrCat("append event: no operation '", event.operation_id(), "'"));
  }
  auto& events = it->second.events;
  const uint64_t seq = events.size() + 1;
  event.set_seq(seq);
  events.push_back(std::move(event));
  return seq;
}

StatusOr<std::vector<v1::Event>> MemoryStateStore::EventsAfter(const std::string& operation_id,
                                                               uint64_t after_seq, size_t limit) {
  if (operation_id.empty()) return absl::InvalidArgumentError("events: the operation id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(operation_id);
  if (it == operations_.end()) {
    return absl::NotFoundError(absl::StrCat("events: no operation '", operation_id, "'"));
  }
  const auto& events = it->second.events;
  std::vector<v1::Event> out;
  // events[i] has seq i + 1, so the first with seq > after_seq is at index after_seq.
  for (uint64_t i = after_seq; i < events.size(); ++i) {
    if (limit != 0 && out.size() >= limit) break;
    out.push_back(events[i]);
  }
  return out;
}

Status MemoryStateStore::PutPlanPreview(const v1::PlanPreview& preview) {
  if (preview.plan_id().empty()) {
    return absl::InvalidArgumentError("put plan preview: the plan id is empty");
  }
  std::lock_guard<std::mutex> lock(mu_);
  previews_[preview.plan_id()] = preview;
  return absl::OkStatus();
}

StatusOr<v1::PlanPreview> MemoryStateStore::GetPlanPreview(const std::string& plan_id) {
  if (plan_id.empty()) return absl::InvalidArgumentError("get plan preview: the plan id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = previews_.find(plan_id);
  if (it == previews_.end()) return absl::NotFoundError(absl::StrCat("no plan '", plan_id, "'"));
  return it->second;
}

}  // namespace convoy::store
