// A StateStore kept in etcd (state_store.h has the contract; tests/unit/state_store_test.cc runs
// the same tests on it against a real etcd): what several convoyd replicas share.
//
// Keys, under `prefix` (ids escaped: every byte but [A-Za-z0-9._:-] as %XX, so one id's keys
// never share a prefix with another's):
//   schema                     "1" (a newer one is refused)
//   op/ID                      the operation without its actions (binary v1.Operation)
//   act/ID/ACTION              one action and its place (StoredAction, etcd/records.proto)
//   actn/ID                    the next action place
//   ev/ID/SEQ (20 digits)      one event
//   evn/ID                     the last event seq
//   plan/PLAN                  a plan preview
// Every write is one etcd transaction, made conditional on what it read (optimistic
// concurrency, tried again when another writer came between), so it is atomic and contiguous
// event seqs hold across replicas. With a write fence set (SetWriteFence), a transaction also
// requires the fence key to hold the fence value: a controller that lost its leadership can no
// longer write (FAILED_PRECONDITION), even before it notices.
//
// Limits: one PutOperation is one transaction of 2 + (actions) operations; etcd refuses more
// than its --max-txn-ops (128 by default; deploy/ sets 4096) or a request over
// --max-request-bytes (1.5 MiB by default), which the store reports as RESOURCE_EXHAUSTED
// or INVALID_ARGUMENT with etcd's message.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "convoy/store/etcd_client.h"
#include "convoy/store/state_store.h"

namespace convoy::store {

class EtcdStateStore final : public StateStore {
 public:
  // Opens the store under `prefix` (non-empty, e.g. "/convoy/"), writing its schema key when
  // the prefix is new. FAILED_PRECONDITION when the prefix holds a newer schema or something
  // that is not a Convoy store; UNAVAILABLE (naming the endpoints) when etcd does not answer.
  static StatusOr<std::unique_ptr<EtcdStateStore>> Open(std::shared_ptr<EtcdClient> client,
                                                        std::string prefix);

  // From now on every write requires `key` (a full etcd key) to hold `value`. Empty key: no
  // fence. Thread-safe.
  void SetWriteFence(std::string key, std::string value);

  Status PutOperation(const v1::Operation& op) override;
  Status PutAction(const std::string& operation_id, const v1::Action& action) override;
  StatusOr<v1::Operation> GetOperation(const std::string& id) override;
  StatusOr<std::vector<v1::Operation>> ListOperations(bool include_finished) override;
  StatusOr<uint64_t> AppendEvent(v1::Event event) override;
  StatusOr<std::vector<v1::Event>> EventsAfter(const std::string& operation_id, uint64_t after_seq,
                                               size_t limit) override;
  Status PutPlanPreview(const v1::PlanPreview& preview) override;
  StatusOr<v1::PlanPreview> GetPlanPreview(const std::string& plan_id) override;

  const std::string& prefix() const { return prefix_; }

 private:
  EtcdStateStore(std::shared_ptr<EtcdClient> client, std::string prefix)
      : client_(std::move(client)), prefix_(std::move(prefix)) {}

  struct Fence {
    std::string key;
    std::string value;
  };
  Fence fence();
  // Runs `txn` with the fence's compare added, and, when it fails, reads the fence key to tell a
  // lost fence (FAILED_PRECONDITION) from a lost race (the answer, not succeeded: try again).
  StatusOr<etcdserverpb::TxnResponse> Write(etcdserverpb::TxnRequest txn, const char* what);
  // The stored operation header (NOT_FOUND naming `what` when absent) and its actions in order,
  // read at `revision` (0: now).
  StatusOr<v1::Operation> Read(const std::string& id, int64_t revision);

  std::string OperationKey(const std::string& id) const;
  std::string ActionPrefix(const std::string& id) const;
  std::string ActionCounterKey(const std::string& id) const;
  std::string EventPrefix(const std::string& id) const;
  std::string EventCounterKey(const std::string& id) const;

  std::shared_ptr<EtcdClient> client_;
  const std::string prefix_;
  std::mutex mu_;
  Fence fence_;  // guarded by mu_
};

}  // namespace convoy::store
