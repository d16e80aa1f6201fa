// A StateStore in a SQLite file (state_store.h has the contract): what convoyd keeps its
// operations in (--state). Durable: every Put and AppendEvent is on disk (WAL, synchronous=FULL)
// before it returns, because the controller writes each step before it acts on it.
//
// Thread-safety: one SQLite connection, guarded by one mutex; calls are serialized. One
// convoyd at a time should write a file; operators may read it while it runs (WAL lets readers
// and the writer proceed together), e.g.
//   sqlite3 -readonly state.db "select id, state, created_unix_s from operations"
//   sqlite3 -readonly state.db "select ordinal, id, kind, vm, state, error from actions
//                               where operation_id = 'op-...' order by ordinal"
//
// Schema (version kSchemaVersion, kept in PRAGMA user_version): each table has a `body` BLOB,
// the serialized proto (the source of truth), plus plain columns copied from it for queries:
//   operations(id PK, state, created_unix_s, started_unix_s, finished_unix_s, error,
//              body = convoy.v1.Operation without its actions)
//   actions(operation_id -> operations, id, ordinal (order first stored, from 1), kind, vm,
//           state, error, body = convoy.v1.Action; PK(operation_id, id))
//   events(operation_id -> operations, seq, at_unix_s, kind, message, body = convoy.v1.Event;
//          PK(operation_id, seq))
//   plan_previews(id PK, created_unix_s (when stored), strategy, feasible, makespan_s,
//                 body = convoy.v1.PlanPreview)
//
// Errors: the Status message names the file, what was being done, and SQLite's message. A body
// that does not parse is DATA_LOSS naming its table and row. Open refuses (FAILED_PRECONDITION)
// a file that is not a SQLite database, a database that is not a Convoy state store, a schema
// newer than this build's, and a path whose directory does not exist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "convoy/store/state_store.h"

struct sqlite3;

namespace convoy::store {

class SqliteStateStore final : public StateStore {
 public:
  // The schema version this build writes; Open upgrades older files and refuses newer ones.
  static constexpr int kSchemaVersion = 1;
  // How long a call waits for another connection's lock (an operator's sqlite3 writing) before
  // it fails with UNAVAILABLE, ms.
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens the state file at `path`, creating it (not its directory) when missing, and creating
  // or upgrading its schema. `path` is a file name (not ":memory:" nor a URI).
  static StatusOr<std::unique_ptr<SqliteStateStore>> Open(const std::string& path);

  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  const std::string& path() const { return path_; }

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
  SqliteStateStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  // Each requires mu_.
  Status Initialize();
  Status PutActionLocked(const std::string& operation_id, const v1::Action& action);
  // Appends the operation's actions, in order, to `op`.
  Status LoadActionsLocked(v1::Operation& op);

  const std::string path_;
  std::mutex mu_;
  sqlite3* const db_;  // guarded by mu_
};

}  // namespace convoy::store
