#include "convoy/store/sqlite_state_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace convoy::store {
namespace {

// Schema steps: kSchemaSteps[v] upgrades a file from version v to v + 1 (version 0: an empty
// file). A new version appends a step; released steps never change.
constexpr const char* kSchemaSteps[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE operations (
  id TEXT NOT NULL PRIMARY KEY,
  state TEXT NOT NULL,
  created_unix_s REAL NOT NULL,
  started_unix_s REAL NOT NULL,
  finished_unix_s REAL NOT NULL,
  error TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX operations_by_created ON operations (created_unix_s);
CREATE TABLE actions (
  operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  kind TEXT NOT NULL,
  vm TEXT NOT NULL,
  state TEXT NOT NULL,
  error TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (operation_id, id)
);
CREATE UNIQUE INDEX actions_by_ordinal ON actions (operation_id, ordinal);
CREATE TABLE events (
  operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at_unix_s REAL NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (operation_id, seq)
) WITHOUT ROWID;
CREATE TABLE plan_previews (
  id TEXT NOT NULL PRIMARY KEY,
  created_unix_s REAL NOT NULL,
  strategy TEXT NOT NULL,
  feasible INTEGER NOT NULL,
  makespan_s REAL NOT NULL,
  body BLOB NOT NULL
);
)sql",
};
static_assert(std::size(kSchemaSteps) == SqliteStateStore::kSchemaVersion);

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
      return absl::StatusCode::kDataLoss;
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

// The connection's last error, as a Status naming the file and what was being done.
Status SqlError(sqlite3* db, const std::string& path, int rc, absl::string_view what) {
  std::string message = absl::StrCat("state store ", path, ": ", what, ": ",
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if ((rc & 0xff) == SQLITE_NOTADB) absl::StrAppend(&message, " (is it a Convoy state file?)");
  if ((rc & 0xff) == SQLITE_CANTOPEN) {
    absl::StrAppend(&message, " (can this user create and write the file?)");
  }
  return Status(CodeFor(rc), message);
}

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A prepared statement; parameters are bound, never spliced into the SQL. A failed bind is
// remembered and reported by Step.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status Prepare(const char* sql, absl::string_view what) {
    what_ = std::string(what);
    const int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) return SqlError(db_, path_, rc, what_);
    return absl::OkStatus();
  }

  void Text(int i, const std::string& s) {
    Check(sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT));
  }
  void Blob(int i, const std::string& s) {
    Check(sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT));
  }
  void Real(int i, double v) { Check(sqlite3_bind_double(stmt_, i, v)); }
  void Int(int i, int64_t v) { Check(sqlite3_bind_int64(stmt_, i, v)); }

  // True with a row, false when done. rc() is SQLite's code of the last step.
  StatusOr<bool> Step() {
    if (bind_rc_ != SQLITE_OK) return SqlError(db_, path_, bind_rc_, what_);
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW) return true;
    if (rc_ == SQLITE_DONE) return false;
    return SqlError(db_, path_, rc_, what_);
  }
  // Runs a statement that returns no rows.
  Status Run() {
    auto row = Step();
    return row.ok() ? absl::OkStatus() : row.status();
  }
  int rc() const { return rc_; }

  int64_t ColumnInt(int i) { return sqlite3_column_int64(stmt_, i); }
  std::string ColumnText(int i) {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
  }
  // Parses a BLOB column into `message`; DATA_LOSS naming `row` when it does not parse.
  Status ColumnProto(int i, google::protobuf::Message& message, absl::string_view row) {
    const bool is_blob = sqlite3_column_type(stmt_, i) == SQLITE_BLOB;
    const void* p = sqlite3_column_blob(stmt_, i);
    const int n = sqlite3_column_bytes(stmt_, i);
    if (!is_blob || !message.ParseFromArray(p, n)) {
      return absl::DataLossError(absl::StrCat("state store ", path_, ": ", row,
                                              ": the body is not a valid ", message.GetTypeName()));
    }
    return absl::OkStatus();
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
  int bind_rc_ = SQLITE_OK;
  int rc_ = SQLITE_OK;
};

// Runs SQL without parameters (schema, pragmas, transaction control).
Status Exec(sqlite3* db, const std::string& path, const char* sql, absl::string_view what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(db, path, rc, what);
  return absl::OkStatus();
}

// A pragma's single value as text.
StatusOr<std::string> PragmaText(sqlite3* db, const std::string& path, const char* sql) {
  Statement s(db, path);
  CONVOY_RETURN_IF_ERROR(s.Prepare(sql, sql));
  CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError(absl::StrCat("state store ", path, ": ", sql, ": no value"));
  return s.ColumnText(0);
}

StatusOr<int64_t> PragmaInt(sqlite3* db, const std::string& path, const char* sql) {
  Statement s(db, path);
  CONVOY_RETURN_IF_ERROR(s.Prepare(sql, sql));
  CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError(absl::StrCat("state store ", path, ": ", sql, ": no value"));
  return s.ColumnInt(0);
}

// BEGIN IMMEDIATE (the write lock at once, so no upgrade can fail half way); rolls back unless
// committed. SQLite may already have rolled back after an error: then there is nothing to do.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Transaction() {
    if (open_ && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin(absl::string_view what) {
    CONVOY_RETURN_IF_ERROR(
        Exec(db_, path_, "BEGIN IMMEDIATE", absl::StrCat(what, ": begin transaction")));
    open_ = true;
    return absl::OkStatus();
  }
  Status Commit(absl::string_view what) {
    CONVOY_RETURN_IF_ERROR(Exec(db_, path_, "COMMIT", absl::StrCat(what, ": commit")));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool open_ = false;
};

// A read transaction, so that several SELECTs see one state of the file even while another
// connection (an operator's sqlite3) writes. Best effort: without it the reads still work.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) {
    open_ = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~ReadTransaction() {
    if (open_ && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    }
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  sqlite3* db_;
  bool open_ = false;
};

std::string Serialize(const google::protobuf::Message& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

Status CheckActionIds(const v1::Operation& op) {
  for (const auto& a : op.actions()) {
    if (a.id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("put operation ", op.id(), ": an action has an empty id"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("state store: the path is empty");
  const std::string cannot_open = absl::StrCat("cannot open state store ", path, ": ");
  std::error_code ec;
  const std::filesystem::path fs_path(path);
  const std::filesystem::path dir = fs_path.parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(cannot_open, "the directory ", dir.string(),
                     " does not exist (it is not created: create it first)"));
  }
  if (std::filesystem::is_directory(fs_path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(cannot_open, "it is a directory"));
  }
  // SQLite would take a short file for an empty database and overwrite it: look first.
  if (std::filesystem::is_regular_file(fs_path, ec) &&
      std::filesystem::file_size(fs_path, ec) > 0) {
    static constexpr char kMagic[] = "SQLite format 3";  // with its '\0', the first 16 bytes
    char head[sizeof(kMagic)] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(head, sizeof(head));
    if (!in || std::memcmp(head, kMagic, sizeof(kMagic)) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          cannot_open, "the file is not a SQLite database (is it a Convoy state file?)"));
    }
  }

  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status error = SqlError(db, path, rc, "cannot open");
    sqlite3_close_v2(db);
    return error;
  }
  if (sqlite3_db_readonly(db, "main") == 1) {  // SQLite falls back to reading a protected file
    sqlite3_close_v2(db);
    return absl::FailedPreconditionError(
        absl::StrCat(cannot_open, "the file is read-only for this user"));
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<SqliteStateStore> store(new SqliteStateStore(path, db));
  {
    std::lock_guard<std::mutex> lock(store->mu_);
    CONVOY_RETURN_IF_ERROR(store->Initialize());
  }
  return store;
}

SqliteStateStore::~SqliteStateStore() { sqlite3_close_v2(db_); }

Status SqliteStateStore::Initialize() {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Reading the version reads the file's header: a file that is not a database fails here,
  // before anything is written to it.
  CONVOY_ASSIGN_OR_RETURN(int64_t version, PragmaInt(db_, path_, "PRAGMA user_version"));
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state store ", path_, ": schema version ", version, " is newer than this convoyd's (",
        kSchemaVersion, "): the file was written by a newer convoyd; run that one, or use ",
        "another file"));
  }
  CONVOY_RETURN_IF_ERROR(Exec(db_, path_, "PRAGMA foreign_keys = ON", "enable foreign keys"));
  CONVOY_ASSIGN_OR_RETURN(int64_t foreign_keys, PragmaInt(db_, path_, "PRAGMA foreign_keys"));
  if (foreign_keys != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("state store ", path_, ": this SQLite does not enforce foreign keys"));
  }
  CONVOY_ASSIGN_OR_RETURN(std::string mode, PragmaText(db_, path_, "PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "state store ", path_, ": cannot use write-ahead logging (journal mode is ", mode, ")"));
  }
  CONVOY_RETURN_IF_ERROR(Exec(db_, path_, "PRAGMA synchronous = FULL", "set synchronous = FULL"));

  // Create or upgrade the schema, re-reading the version under the write lock (another
  // convoyd may have created it meanwhile).
  Transaction tx(db_, path_);
  CONVOY_RETURN_IF_ERROR(tx.Begin("initialize the schema"));
  CONVOY_ASSIGN_OR_RETURN(version, PragmaInt(db_, path_, "PRAGMA user_version"));
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("state store ", path_, ": schema version ",
                                                      version, " is newer than this convoyd's (",
                                                      kSchemaVersion, ")"));
  }
  if (version == kSchemaVersion) return tx.Commit("initialize the schema");
  if (version == 0) {
    CONVOY_ASSIGN_OR_RETURN(int64_t tables,
                            PragmaInt(db_, path_, "SELECT count(*) FROM sqlite_master"));
    if (tables > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("state store ", path_,
                       ": the file is a SQLite database but not a Convoy state store (it has "
                       "tables and no schema version); use another file"));
    }
  }
  for (int64_t v = version; v < kSchemaVersion; ++v) {
    CONVOY_RETURN_IF_ERROR(
        Exec(db_, path_, kSchemaSteps[v], absl::StrCat("upgrade the schema from version ", v)));
  }
  // PRAGMA takes no bound parameters; the value is this build's constant.
  const std::string set_version = absl::StrCat("PRAGMA user_version = ", kSchemaVersion);
  CONVOY_RETURN_IF_ERROR(Exec(db_, path_, set_version.c_str(), "set the schema version"));
  return tx.Commit("initialize the schema");
}

Status SqliteStateStore::PutActionLocked(const std::string& operation_id,
                                         const v1::Action& action) {
  const std::string what = absl::StrCat("put action ", action.id(), " of ", operation_id);
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(s.Prepare(
      "INSERT INTO actions (operation_id, id, ordinal, kind, vm, state, error, body) "
      "VALUES (?1, ?2, "
      "(SELECT coalesce(max(ordinal), 0) + 1 FROM actions WHERE operation_id = ?1), "
      "?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (operation_id, id) DO UPDATE SET kind = excluded.kind, vm = excluded.vm, "
      "state = excluded.state, error = excluded.error, body = excluded.body",
      what));
  s.Text(1, operation_id);
  s.Text(2, action.id());
  s.Text(3, action.kind());
  s.Text(4, action.vm());
  s.Text(5, action.state());
  s.Text(6, action.error());
  s.Blob(7, Serialize(action));
  Status status = s.Run();
  if (s.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::NotFoundError(
        absl::StrCat("put action ", action.id(), ": no operation '", operation_id, "'"));
  }
  return status;
}

Status SqliteStateStore::LoadActionsLocked(v1::Operation& op) {
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(
      s.Prepare("SELECT id, body FROM actions WHERE operation_id = ?1 ORDER BY ordinal",
                absl::StrCat("read the actions of ", op.id())));
  s.Text(1, op.id());
  while (true) {
    CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    CONVOY_RETURN_IF_ERROR(s.ColumnProto(
        1, *op.add_actions(),
        absl::StrCat("actions row (operation_id '", op.id(), "', id '", s.ColumnText(0), "')")));
  }
}

Status SqliteStateStore::PutOperation(const v1::Operation& op) {
  if (op.id().empty()) return absl::InvalidArgumentError("put operation: the id is empty");
  CONVOY_RETURN_IF_ERROR(CheckActionIds(op));
  v1::Operation header = op;
  header.clear_actions();
  const std::string what = absl::StrCat("put operation ", op.id());

  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_, path_);
  CONVOY_RETURN_IF_ERROR(tx.Begin(what));
  {
    Statement s(db_, path_);
    CONVOY_RETURN_IF_ERROR(s.Prepare(
        "INSERT INTO operations (id, state, created_unix_s, started_unix_s, finished_unix_s, "
        "error, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
        "created_unix_s = excluded.created_unix_s, started_unix_s = excluded.started_unix_s, "
        "finished_unix_s = excluded.finished_unix_s, error = excluded.error, "
        "body = excluded.body",
        what));
    s.Text(1, op.id());
    s.Text(2, op.state());
    s.Real(3, op.created_unix_s());
    s.Real(4, op.started_unix_s());
    s.Real(5, op.finished_unix_s());
    s.Text(6, op.error());
    s.Blob(7, Serialize(header));
    CONVOY_RETURN_IF_ERROR(s.Run());
  }
  for (const auto& a : op.actions()) CONVOY_RETURN_IF_ERROR(PutActionLocked(op.id(), a));
  return tx.Commit(what);
}

Status SqliteStateStore::PutAction(const std::string& operation_id, const v1::Action& action) {
  CONVOY_RETURN_IF_ERROR(CheckActionKey(operation_id, action));
  std::lock_guard<std::mutex> lock(mu_);
  return PutActionLocked(operation_id, action);
}

StatusOr<v1::Operation> SqliteStateStore::GetOperation(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("get operation: the id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  ReadTransaction read(db_);  // the operation and its actions as of one instant
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(
      s.Prepare("SELECT body FROM operations WHERE id = ?1", absl::StrCat("get operation ", id)));
  s.Text(1, id);
  CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no operation '", id, "'"));
  v1::Operation op;
  CONVOY_RETURN_IF_ERROR(s.ColumnProto(0, op, absl::StrCat("operations row '", id, "'")));
  op.set_id(id);
  CONVOY_RETURN_IF_ERROR(LoadActionsLocked(op));
  return op;
}

StatusOr<std::vector<v1::Operation>> SqliteStateStore::ListOperations(bool include_finished) {
  std::lock_guard<std::mutex> lock(mu_);
  ReadTransaction read(db_);
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(
      s.Prepare("SELECT id, body FROM operations "
                "WHERE ?1 OR state IN ('planned', 'running', 'cancelling') "
                "ORDER BY created_unix_s DESC, id ASC",
                "list operations"));
  s.Int(1, include_finished ? 1 : 0);
  std::vector<v1::Operation> out;
  while (true) {
    CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const std::string id = s.ColumnText(0);
    v1::Operation op;
    CONVOY_RETURN_IF_ERROR(s.ColumnProto(1, op, absl::StrCat("operations row '", id, "'")));
    op.set_id(id);
    CONVOY_RETURN_IF_ERROR(LoadActionsLocked(op));
    out.push_back(std::move(op));
  }
  return out;
}

StatusOr<uint64_t> SqliteStateStore::AppendEvent(v1::Event event) {
  if (event.operation_id().empty()) {
    return absl::InvalidArgumentError("append event: the operation id is empty");
  }
  const std::string what = absl::StrCat("append event to ", event.operation_id());
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_, path_);
  CONVOY_RETURN_IF_ERROR(tx.Begin(what));
  int64_t last = 0;
  {
    Statement s(db_, path_);
    CONVOY_RETURN_IF_ERROR(
        s.Prepare("SELECT (SELECT count(*) FROM operations WHERE id = ?1), "
                  "(SELECT coalesce(max(seq), 0) FROM events WHERE operation_id = ?1)",
                  what));
    s.Text(1, event.operation_id());
    CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.ColumnInt(0) == 0) {
      return absl::NotFoundError(
          absl::StrCat("append event: no operation '", event.operation_id(), "'"));
    }
    last = s.ColumnInt(1);
  }
  const uint64_t seq = static_cast<uint64_t>(last) + 1;
  event.set_seq(seq);
  {
    Statement s(db_, path_);
    CONVOY_RETURN_IF_ERROR(
        s.Prepare("INSERT INTO events (operation_id, seq, at_unix_s, kind, message, body) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  what));
    s.Text(1, event.operation_id());
    s.Int(2, static_cast<int64_t>(seq));
    s.Real(3, event.at_unix_s());
    s.Text(4, event.kind());
    s.Text(5, event.message());
    s.Blob(6, Serialize(event));
    CONVOY_RETURN_IF_ERROR(s.Run());
  }
  CONVOY_RETURN_IF_ERROR(tx.Commit(what));
  return seq;
}

StatusOr<std::vector<v1::Event>> SqliteStateStore::EventsAfter(const std::string& operation_id,
                                                               uint64_t after_seq, size_t limit) {
  if (operation_id.empty()) return absl::InvalidArgumentError("events: the operation id is empty");
  const std::string what = absl::StrCat("read the events of ", operation_id);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::Event> out;
  {
    Statement s(db_, path_);
    CONVOY_RETURN_IF_ERROR(
        s.Prepare("SELECT seq, body FROM events WHERE operation_id = ?1 AND seq > ?2 "
                  "ORDER BY seq LIMIT ?3",
                  what));
    s.Text(1, operation_id);
    // Seqs are below 2^63; a larger after_seq selects nothing, as would the unsigned compare.
    constexpr uint64_t kMaxSeq = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    s.Int(2, static_cast<int64_t>(after_seq > kMaxSeq ? kMaxSeq : after_seq));
    s.Int(3, limit == 0 || limit > kMaxSeq ? -1 : static_cast<int64_t>(limit));
    while (true) {
      CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const int64_t seq = s.ColumnInt(0);
      v1::Event event;
      CONVOY_RETURN_IF_ERROR(s.ColumnProto(
          1, event, absl::StrCat("events row (operation_id '", operation_id, "', seq ", seq, ")")));
      event.set_operation_id(operation_id);
      event.set_seq(static_cast<uint64_t>(seq));
      out.push_back(std::move(event));
    }
  }
  if (out.empty()) {
    Statement s(db_, path_);
    CONVOY_RETURN_IF_ERROR(s.Prepare("SELECT 1 FROM operations WHERE id = ?1", what));
    s.Text(1, operation_id);
    CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError(absl::StrCat("events: no operation '", operation_id, "'"));
  }
  return out;
}

Status SqliteStateStore::PutPlanPreview(const v1::PlanPreview& preview) {
  if (preview.plan_id().empty()) {
    return absl::InvalidArgumentError("put plan preview: the plan id is empty");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(s.Prepare(
      "INSERT INTO plan_previews (id, created_unix_s, strategy, feasible, makespan_s, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (id) DO UPDATE SET created_unix_s = excluded.created_unix_s, "
      "strategy = excluded.strategy, feasible = excluded.feasible, "
      "makespan_s = excluded.makespan_s, body = excluded.body",
      absl::StrCat("put plan preview ", preview.plan_id())));
  s.Text(1, preview.plan_id());
  s.Real(2, NowUnixS());
  s.Text(3, preview.plan().strategy());
  s.Int(4, preview.plan().feasible() ? 1 : 0);
  s.Real(5, preview.plan().makespan_s());
  s.Blob(6, Serialize(preview));
  return s.Run();
}

StatusOr<v1::PlanPreview> SqliteStateStore::GetPlanPreview(const std::string& plan_id) {
  if (plan_id.empty()) return absl::InvalidArgumentError("get plan preview: the plan id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  Statement s(db_, path_);
  CONVOY_RETURN_IF_ERROR(s.Prepare("SELECT body FROM plan_previews WHERE id = ?1",
                                   absl::StrCat("get plan preview ", plan_id)));
  s.Text(1, plan_id);
  CONVOY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no plan '", plan_id, "'"));
  v1::PlanPreview preview;
  CONVOY_RETURN_IF_ERROR(
      s.ColumnProto(0, preview, absl::StrCat("plan_previews row '", plan_id, "'")));
  preview.set_plan_id(plan_id);
  return preview;
}

}  // namespace convoy::store
