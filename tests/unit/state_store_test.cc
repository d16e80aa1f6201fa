// The StateStore contract (state_store.h), run on both implementations, then what only the
// SQLite file does: survive a restart, WAL, refuse files it must not touch, report corruption.
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "convoy/store/etcd_state_store.h"
#include "convoy/store/memory_state_store.h"
#include "convoy/store/sqlite_state_store.h"
#include "convoy/store/state_store.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/support/etcd_cluster.h"

namespace convoy::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/convoy-state-store-XXXXXX";
    const char* made = mkdtemp(pattern.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

v1::Action MakeAction(const std::string& vm, const std::string& state) {
  v1::Action a;
  a.set_id("migrate:" + vm);
  a.set_kind("migrate");
  a.set_vm(vm);
  a.set_host("h1");
  a.set_to("h3");
  a.set_state(state);
  a.add_depends_on("boot:h3");
  a.mutable_planned()->set_vm(vm);
  a.mutable_planned()->set_mode("pre-copy");
  a.mutable_planned()->set_start_s(1.5);
  a.set_predicted_s(12.25);
  return a;
}

v1::Operation MakeOperation(const std::string& id, const std::string& state, double created) {
  v1::Operation op;
  op.set_id(id);
  op.set_state(state);
  op.set_created_unix_s(created);
  op.mutable_request()->mutable_request()->add_evacuate("h1");
  op.mutable_request()->mutable_request()->set_strategy("convoy");
  op.mutable_request()->set_probe_bandwidth(true);
  v1::Plan* plan = op.mutable_plan();
  plan->set_strategy("convoy");
  plan->set_feasible(true);
  plan->set_makespan_s(42.5);
  (*plan->mutable_eviction_s())["h1"] = 40.0;
  plan->add_migrations()->set_vm("web");
  op.mutable_measured()->set_makespan_s(44.0);
  return op;
}

v1::Event MakeEvent(const std::string& operation_id, const std::string& message) {
  v1::Event e;
  e.set_operation_id(operation_id);
  e.set_at_unix_s(1000.5);
  e.set_kind("action");
  e.set_message(message);
  e.set_operation_state("running");
  *e.mutable_action() = MakeAction("web", "running");
  return e;
}

std::vector<std::string> ActionIds(const v1::Operation& op) {
  std::vector<std::string> ids;
  for (const auto& a : op.actions()) ids.push_back(a.id());
  return ids;
}

std::vector<std::string> OperationIds(const std::vector<v1::Operation>& ops) {
  std::vector<std::string> ids;
  for (const auto& op : ops) ids.push_back(op.id());
  return ids;
}

// ---- The contract, on both implementations ------------------------------------------------

struct MemoryStore {
  std::unique_ptr<StateStore> Make() { return std::make_unique<MemoryStateStore>(); }
};

struct SqliteStore {
  TempDir dir;
  std::unique_ptr<StateStore> Make() {
    auto store = SqliteStateStore::Open(dir.File("state.db"));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
};

// A real etcd (one per test process, started on first use) and a fresh prefix per store.
struct EtcdStore {
  std::unique_ptr<StateStore> Make() {
    static std::unique_ptr<test_support::EtcdCluster> etcd;
    static int stores = 0;
    if (etcd == nullptr) {
      auto started = test_support::EtcdCluster::Start(1);
      EXPECT_TRUE(started.ok()) << started.status();
      if (!started.ok()) return nullptr;
      etcd = *std::move(started);
    }
    EtcdOptions options;
    options.endpoints = etcd->endpoints();
    auto client = EtcdClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto store = EtcdStateStore::Open(*std::move(client), absl::StrCat("/test", ++stores, "/"));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
};

template <typename Factory>
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Make();
    ASSERT_NE(store_, nullptr);
  }

  Factory factory_;
  std::unique_ptr<StateStore> store_;
};

using Implementations = ::testing::Types<MemoryStore, SqliteStore, EtcdStore>;
class ImplementationNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryStore>) return "Memory";
    return std::is_same_v<T, SqliteStore> ? "Sqlite" : "Etcd";
  }
};
TYPED_TEST_SUITE(StateStoreTest, Implementations, ImplementationNames);

TYPED_TEST(StateStoreTest, OperationRoundTripsWithActionsPlanRequestAndMeasured) {
  v1::Operation op = MakeOperation("op-1", "planned", 100);
  *op.add_actions() = MakeAction("web", "pending");
  *op.add_actions() = MakeAction("db", "pending");
  v1::Action boot;
  boot.set_id("boot:h3");
  boot.set_kind("boot");
  boot.set_host("h3");
  boot.set_state("pending");
  *op.add_actions() = boot;
  ASSERT_TRUE(this->store_->PutOperation(op).ok());

  auto got = this->store_->GetOperation("op-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(Same(*got, op)) << got->DebugString();
  EXPECT_THAT(ActionIds(*got), ElementsAre("migrate:web", "migrate:db", "boot:h3"));
}

TYPED_TEST(StateStoreTest, ActionsKeepTheOrderTheyWereFirstStoredIn) {
  v1::Operation op = MakeOperation("op-1", "planned", 100);
  *op.add_actions() = MakeAction("a", "pending");
  *op.add_actions() = MakeAction("b", "pending");
  *op.add_actions() = MakeAction("c", "pending");
  ASSERT_TRUE(this->store_->PutOperation(op).ok());

  // Replaced in place; a new one goes last.
  v1::Action b = MakeAction("b", "running");
  b.set_agent_migration_id("op-1.b");
  ASSERT_TRUE(this->store_->PutAction("op-1", b).ok());
  ASSERT_TRUE(this->store_->PutAction("op-1", MakeAction("d", "pending")).ok());

  // The header alone: the actions stay.
  v1::Operation header = op;
  header.clear_actions();
  header.set_state("running");
  header.set_started_unix_s(101);
  ASSERT_TRUE(this->store_->PutOperation(header).ok());

  // Some actions again (one changed) and a new one.
  v1::Operation partial = header;
  *partial.add_actions() = MakeAction("c", "done");
  *partial.add_actions() = MakeAction("e", "pending");
  ASSERT_TRUE(this->store_->PutOperation(partial).ok());

  auto got = this->store_->GetOperation("op-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), "running");
  EXPECT_EQ(got->started_unix_s(), 101);
  EXPECT_THAT(ActionIds(*got),
              ElementsAre("migrate:a", "migrate:b", "migrate:c", "migrate:d", "migrate:e"));
  EXPECT_TRUE(Same(got->actions(1), b));
  EXPECT_EQ(got->actions(2).state(), "done");
  EXPECT_EQ(got->actions(0).state(), "pending");
}

TYPED_TEST(StateStoreTest, UnknownIdsAreNotFoundAndNamed) {
  auto op = this->store_->GetOperation("op-nope");
  EXPECT_EQ(op.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(op.status().message(), HasSubstr("op-nope"));

  Status put = this->store_->PutAction("op-ghost", MakeAction("web", "pending"));
  EXPECT_EQ(put.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(put.message(), HasSubstr("op-ghost"));

  auto seq = this->store_->AppendEvent(MakeEvent("op-ghost", "x"));
  EXPECT_EQ(seq.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(seq.status().message(), HasSubstr("op-ghost"));

  auto events = this->store_->EventsAfter("op-ghost", 0, 0);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(events.status().message(), HasSubstr("op-ghost"));

  auto preview = this->store_->GetPlanPreview("plan-nope");
  EXPECT_EQ(preview.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(preview.status().message(), HasSubstr("plan-nope"));

  // Nothing was created on the way.
  auto all = this->store_->ListOperations(true);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TYPED_TEST(StateStoreTest, EmptyIdsAreInvalid) {
  EXPECT_EQ(this->store_->PutOperation(v1::Operation()).code(), absl::StatusCode::kInvalidArgument);
  v1::Operation op = MakeOperation("op-1", "planned", 1);
  op.add_actions()->set_kind("boot");  // no id
  EXPECT_EQ(this->store_->PutOperation(op).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->GetOperation("op-1").status().code(), absl::StatusCode::kNotFound)
      << "a refused operation is not stored";
  op.clear_actions();
  ASSERT_TRUE(this->store_->PutOperation(op).ok());
  EXPECT_EQ(this->store_->PutAction("op-1", v1::Action()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->PutAction("", MakeAction("web", "pending")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->AppendEvent(v1::Event()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->PutPlanPreview(v1::PlanPreview()).code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StateStoreTest, ListsNewestFirstAndOnlyUnfinishedUnlessAsked) {
  v1::Operation planned = MakeOperation("op-planned", "planned", 10);
  *planned.add_actions() = MakeAction("web", "pending");
  ASSERT_TRUE(this->store_->PutOperation(planned).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-succeeded", "succeeded", 20)).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-running", "running", 30)).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-failed", "failed", 40)).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-cancelling", "cancelling", 25)).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-cancelled", "cancelled", 5)).ok());
  // Same creation time: ascending id.
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-b-tie", "running", 30)).ok());

  auto unfinished = this->store_->ListOperations(false);
  ASSERT_TRUE(unfinished.ok()) << unfinished.status();
  EXPECT_THAT(OperationIds(*unfinished),
              ElementsAre("op-b-tie", "op-running", "op-cancelling", "op-planned"));
  // With their actions.
  EXPECT_THAT(ActionIds(unfinished->back()), ElementsAre("migrate:web"));

  auto all = this->store_->ListOperations(true);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(OperationIds(*all),
              ElementsAre("op-failed", "op-b-tie", "op-running", "op-cancelling", "op-succeeded",
                          "op-planned", "op-cancelled"));

  // A state change moves it out of the unfinished list.
  v1::Operation done = MakeOperation("op-running", "succeeded", 30);
  ASSERT_TRUE(this->store_->PutOperation(done).ok());
  unfinished = this->store_->ListOperations(false);
  ASSERT_TRUE(unfinished.ok());
  EXPECT_THAT(OperationIds(*unfinished), ElementsAre("op-b-tie", "op-cancelling", "op-planned"));
}

TYPED_TEST(StateStoreTest, EventsGetContiguousSeqsPerOperation) {
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-1", "running", 1)).ok());
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-2", "running", 2)).ok());

  auto empty = this->store_->EventsAfter("op-1", 0, 0);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());

  v1::Event first = MakeEvent("op-1", "first");
  first.set_seq(99);  // ignored
  EXPECT_EQ(*this->store_->AppendEvent(first), 1u);
  EXPECT_EQ(*this->store_->AppendEvent(MakeEvent("op-1", "second")), 2u);
  EXPECT_EQ(*this->store_->AppendEvent(MakeEvent("op-2", "other")), 1u);
  EXPECT_EQ(*this->store_->AppendEvent(MakeEvent("op-1", "third")), 3u);

  auto all = this->store_->EventsAfter("op-1", 0, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].seq(), i + 1);
  EXPECT_EQ((*all)[0].message(), "first");
  EXPECT_EQ((*all)[2].message(), "third");
  v1::Event expected = MakeEvent("op-1", "first");
  expected.set_seq(1);
  EXPECT_TRUE(Same((*all)[0], expected)) << (*all)[0].DebugString();

  auto after1 = this->store_->EventsAfter("op-1", 1, 1);
  ASSERT_TRUE(after1.ok());
  ASSERT_EQ(after1->size(), 1u);
  EXPECT_EQ((*after1)[0].seq(), 2u);

  auto after1_all = this->store_->EventsAfter("op-1", 1, 0);
  ASSERT_TRUE(after1_all.ok());
  EXPECT_EQ(after1_all->size(), 2u);

  auto after_last = this->store_->EventsAfter("op-1", 3, 0);
  ASSERT_TRUE(after_last.ok());
  EXPECT_TRUE(after_last->empty());

  auto far = this->store_->EventsAfter("op-1", UINT64_MAX, 10);
  ASSERT_TRUE(far.ok()) << far.status();
  EXPECT_TRUE(far->empty());

  auto other = this->store_->EventsAfter("op-2", 0, 100);
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].message(), "other");
}

TYPED_TEST(StateStoreTest, ConcurrentAppendEventsGetUniqueContiguousSeqs) {
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-1", "running", 1)).ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &seqs] {
      for (int i = 0; i < kPerThread; ++i) {
        auto seq = this->store_->AppendEvent(MakeEvent("op-1", absl::StrCat(t, "/", i)));
        ASSERT_TRUE(seq.ok()) << seq.status();
        seqs[t].push_back(*seq);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<uint64_t> unique;
  for (const auto& per_thread : seqs) {
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    unique.insert(per_thread.begin(), per_thread.end());
  }
  ASSERT_EQ(unique.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*unique.begin(), 1u);
  EXPECT_EQ(*unique.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));

  auto events = this->store_->EventsAfter("op-1", 0, 0);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq(), i + 1);
}

TYPED_TEST(StateStoreTest, ConcurrentPutActionsAreAllKept) {
  ASSERT_TRUE(this->store_->PutOperation(MakeOperation("op-1", "running", 1)).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(
            this->store_->PutAction("op-1", MakeAction(absl::StrCat("vm", t, "-", i), "pending"))
                .ok());
        ASSERT_TRUE(this->store_->GetOperation("op-1").ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto op = this->store_->GetOperation("op-1");
  ASSERT_TRUE(op.ok());
  std::set<std::string> ids;
  for (const auto& a : op->actions()) ids.insert(a.id());
  EXPECT_EQ(ids.size(), 40u);
}

TYPED_TEST(StateStoreTest, PlanPreviewsRoundTripAndReplace) {
  v1::PlanPreview preview;
  preview.set_plan_id("plan-1");
  preview.mutable_plan()->set_strategy("convoy");
  preview.mutable_plan()->set_feasible(true);
  preview.mutable_plan()->set_makespan_s(12);
  preview.mutable_cluster()->add_hosts()->set_name("h1");
  ASSERT_TRUE(this->store_->PutPlanPreview(preview).ok());
  auto got = this->store_->GetPlanPreview("plan-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(Same(*got, preview));

  preview.mutable_plan()->set_feasible(false);
  preview.mutable_plan()->add_reasons("h1 is down");
  ASSERT_TRUE(this->store_->PutPlanPreview(preview).ok());
  got = this->store_->GetPlanPreview("plan-1");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(Same(*got, preview));
}

// ---- SQLite only ----------------------------------------------------------------------------

// Runs one SQL statement on the file with SQLite itself, as an operator's sqlite3 would; returns
// the first column of every row as text.
std::vector<std::string> Query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    ADD_FAILURE() << "open " << path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.push_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("state.db"); }

  std::unique_ptr<SqliteStateStore> OpenOrDie() {
    auto store = SqliteStateStore::Open(Path());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  TempDir dir_;
};

TEST_F(SqliteStateStoreTest, EverythingSurvivesARestart) {
  v1::Operation op = MakeOperation("op-1", "running", 100);
  *op.add_actions() = MakeAction("web", "running");
  *op.add_actions() = MakeAction("db", "pending");
  v1::PlanPreview preview;
  preview.set_plan_id("plan-1");
  preview.mutable_plan()->set_makespan_s(3);
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutOperation(op).ok());
    ASSERT_TRUE(store->PutOperation(MakeOperation("op-old", "succeeded", 50)).ok());
    ASSERT_TRUE(store->PutAction("op-1", MakeAction("cache", "pending")).ok());
    ASSERT_TRUE(store->AppendEvent(MakeEvent("op-1", "one")).ok());
    ASSERT_TRUE(store->AppendEvent(MakeEvent("op-1", "two")).ok());
    ASSERT_TRUE(store->PutPlanPreview(preview).ok());
  }  // the controller dies

  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto got = store->GetOperation("op-1");
  ASSERT_TRUE(got.ok()) << got.status();
  *op.add_actions() = MakeAction("cache", "pending");
  EXPECT_TRUE(Same(*got, op)) << got->DebugString();

  auto unfinished = store->ListOperations(false);
  ASSERT_TRUE(unfinished.ok());
  EXPECT_THAT(OperationIds(*unfinished), ElementsAre("op-1"));

  // Seqs and action order continue where they were.
  EXPECT_EQ(*store->AppendEvent(MakeEvent("op-1", "three")), 3u);
  auto events = store->EventsAfter("op-1", 0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].message(), "two");
  ASSERT_TRUE(store->PutAction("op-1", MakeAction("queue", "pending")).ok());
  ASSERT_TRUE(store->PutAction("op-1", MakeAction("web", "done")).ok());
  got = store->GetOperation("op-1");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(ActionIds(*got),
              ElementsAre("migrate:web", "migrate:db", "migrate:cache", "migrate:queue"));
  EXPECT_EQ(got->actions(0).state(), "done");

  auto stored_preview = store->GetPlanPreview("plan-1");
  ASSERT_TRUE(stored_preview.ok());
  EXPECT_TRUE(Same(*stored_preview, preview));
}

TEST_F(SqliteStateStoreTest, UsesWalAndAnOperatorCanQueryTheFile) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(Path()));
  v1::Operation op = MakeOperation("op-1", "running", 100);
  *op.add_actions() = MakeAction("web", "running");
  *op.add_actions() = MakeAction("db", "failed");
  ASSERT_TRUE(store->PutOperation(op).ok());
  ASSERT_TRUE(store->AppendEvent(MakeEvent("op-1", "web started")).ok());

  // Read by another connection while the store is open (the WAL is not checkpointed yet).
  EXPECT_THAT(Query(Path(), "PRAGMA journal_mode"), ElementsAre("wal"));
  EXPECT_THAT(Query(Path(), "PRAGMA user_version"),
              ElementsAre(std::to_string(SqliteStateStore::kSchemaVersion)));
  EXPECT_THAT(Query(Path(), "SELECT state FROM operations WHERE id = 'op-1'"),
              ElementsAre("running"));
  EXPECT_THAT(Query(Path(),
                    "SELECT id || ' ' || state FROM actions WHERE operation_id = 'op-1' "
                    "ORDER BY ordinal"),
              ElementsAre("migrate:web running", "migrate:db failed"));
  EXPECT_THAT(Query(Path(), "SELECT seq || ' ' || message FROM events"),
              ElementsAre("1 web started"));
}

TEST_F(SqliteStateStoreTest, RefusesANewerSchema) {
  Query(Path(), absl::StrCat("PRAGMA user_version = ", SqliteStateStore::kSchemaVersion + 1));
  auto store = SqliteStateStore::Open(Path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
  EXPECT_THAT(store.status().message(), HasSubstr(Path()));
  // Untouched: still the newer version, and not switched to WAL.
  EXPECT_THAT(Query(Path(), "PRAGMA user_version"),
              ElementsAre(std::to_string(SqliteStateStore::kSchemaVersion + 1)));
  EXPECT_THAT(Query(Path(), "PRAGMA journal_mode"), ElementsAre("delete"));
}

TEST_F(SqliteStateStoreTest, RefusesAFileThatIsNotADatabaseAndLeavesItAlone) {
  std::string log;
  for (int i = 0; i < 200; ++i) log += "this is not a database, just some log lines\n";
  // SQLite itself would take a file shorter than its header for an empty database.
  for (const std::string& garbage : {log, std::string("x\n")}) {
    {
      std::ofstream out(Path(), std::ios::binary | std::ios::trunc);
      out << garbage;
    }
    auto store = SqliteStateStore::Open(Path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(store.status().message(), HasSubstr(Path()));
    EXPECT_THAT(store.status().message(), HasSubstr("not a SQLite database"));
    std::ifstream in(Path(), std::ios::binary);
    std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(after, garbage);
  }
}

TEST_F(SqliteStateStoreTest, AnEmptyFileBecomesAStore) {
  { std::ofstream out(Path()); }  // touch
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->PutOperation(MakeOperation("op-1", "planned", 1)).ok());
}

TEST_F(SqliteStateStoreTest, RefusesAReadOnlyFile) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  std::filesystem::permissions(Path(), std::filesystem::perms::owner_read |
                                           std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
  std::filesystem::permissions(
      dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                       std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                       std::filesystem::perms::others_exec);
  // Root writes read-only files: the check runs as an unprivileged user in a child process.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    auto store = SqliteStateStore::Open(Path());
    if (store.ok()) _exit(1);
    const bool clear = store.status().code() == absl::StatusCode::kFailedPrecondition &&
                       std::string(store.status().message()).find("read-only") != std::string::npos;
    _exit(clear ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: opened a read-only file; 2: the error is not FAILED_PRECONDITION naming read-only; "
         "3: could not drop privileges";
}

TEST_F(SqliteStateStoreTest, RefusesAnotherApplicationsDatabase) {
  Query(Path(), "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  auto store = SqliteStateStore::Open(Path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("not a Convoy state store"));
}

TEST_F(SqliteStateStoreTest, RefusesAPathInAMissingDirectory) {
  const std::string path = dir_.File("missing/state.db");
  auto store = SqliteStateStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(dir_.File("missing")));
  EXPECT_THAT(store.status().message(), HasSubstr("does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("missing")));

  auto directory = SqliteStateStore::Open(dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("directory"));
}

TEST_F(SqliteStateStoreTest, ACorruptBodyIsDataLossNamingTheRow) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    v1::Operation op = MakeOperation("op-1", "running", 100);
    *op.add_actions() = MakeAction("web", "running");
    ASSERT_TRUE(store->PutOperation(op).ok());
    ASSERT_TRUE(store->PutOperation(MakeOperation("op-2", "running", 50)).ok());
    ASSERT_TRUE(store->AppendEvent(MakeEvent("op-2", "fine")).ok());
    ASSERT_TRUE(store->AppendEvent(MakeEvent("op-2", "broken")).ok());
    v1::PlanPreview preview;
    preview.set_plan_id("plan-1");
    ASSERT_TRUE(store->PutPlanPreview(preview).ok());
  }
  // Field number 0 is never valid in the wire format.
  Query(Path(), "UPDATE operations SET body = x'0001ff' WHERE id = 'op-1'");
  Query(Path(), "UPDATE actions SET body = x'0001ff' WHERE operation_id = 'op-1'");
  Query(Path(), "UPDATE events SET body = x'0001ff' WHERE operation_id = 'op-2' AND seq = 2");
  Query(Path(), "UPDATE plan_previews SET body = 'text, not a blob'");

  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto op = store->GetOperation("op-1");
  EXPECT_EQ(op.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(op.status().message(), HasSubstr("operations row 'op-1'"));

  auto list = store->ListOperations(true);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kDataLoss);

  // The header repaired, the action is still corrupt.
  ASSERT_TRUE(store->PutOperation(MakeOperation("op-1", "running", 100)).ok());
  op = store->GetOperation("op-1");
  EXPECT_EQ(op.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(op.status().message(),
              HasSubstr("actions row (operation_id 'op-1', id 'migrate:web')"));

  auto events = store->EventsAfter("op-2", 0, 0);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(events.status().message(), HasSubstr("events row (operation_id 'op-2', seq 2)"));
  auto first = store->EventsAfter("op-2", 0, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)[0].message(), "fine");

  auto preview = store->GetPlanPreview("plan-1");
  EXPECT_EQ(preview.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(preview.status().message(), HasSubstr("plan_previews row 'plan-1'"));
}

TEST_F(SqliteStateStoreTest, AFailedPutOperationStoresNothing) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutOperation(MakeOperation("op-1", "planned", 1)).ok());
  // Make the second action's insert fail inside the transaction: a trigger refuses it.
  Query(Path(),
        "CREATE TRIGGER refuse BEFORE INSERT ON actions WHEN NEW.vm = 'bad' "
        "BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  v1::Operation op = MakeOperation("op-1", "running", 1);
  *op.add_actions() = MakeAction("good", "pending");
  *op.add_actions() = MakeAction("bad", "pending");
  Status put = store->PutOperation(op);
  ASSERT_FALSE(put.ok());
  EXPECT_THAT(put.message(), HasSubstr("refused by test"));
  EXPECT_THAT(put.message(), HasSubstr(Path()));
  auto got = store->GetOperation("op-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), "planned");
  EXPECT_EQ(got->actions_size(), 0);
  // The store still works afterwards.
  op.mutable_actions()->RemoveLast();
  ASSERT_TRUE(store->PutOperation(op).ok());
  got = store->GetOperation("op-1");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(ActionIds(*got), ElementsAre("migrate:good"));
}

}  // namespace
}  // namespace convoy::store
