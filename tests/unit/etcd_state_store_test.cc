// What only the etcd StateStore does (the shared contract is in state_store_test.cc): survive a
// new client, refuse prefixes it must not touch, fence writes behind a leader key, go on when
// an etcd member dies, and report what etcd refuses. Against real etcd processes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "convoy/store/etcd_client.h"
#include "convoy/store/etcd_state_store.h"
#include "tests/support/etcd_cluster.h"

namespace convoy::store {
namespace {

using ::testing::HasSubstr;

v1::Operation MakeOperation(const std::string& id, int actions) {
  v1::Operation op;
  op.set_id(id);
  op.set_state("running");
  op.set_created_unix_s(100);
  for (int i = 0; i < actions; ++i) {
    v1::Action* a = op.add_actions();
    a->set_id(absl::StrCat("migrate:vm", i));
    a->set_kind("migrate");
    a->set_state("pending");
  }
  return op;
}

class EtcdStateStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = test_support::EtcdCluster::Start(1);
    ASSERT_TRUE(started.ok()) << started.status();
    etcd_ = started->release();
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }

  static std::shared_ptr<EtcdClient> Client(const std::vector<std::string>& endpoints) {
    EtcdOptions options;
    options.endpoints = endpoints;
    options.timeout_ms = 3000;
    auto client = EtcdClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::shared_ptr<EtcdClient>(*std::move(client)) : nullptr;
  }
  static std::shared_ptr<EtcdClient> Client() { return Client(etcd_->endpoints()); }

  static void Put(const std::string& key, const std::string& value) {
    etcdserverpb::PutRequest put;
    put.set_key(key);
    put.set_value(value);
    ASSERT_TRUE(Client()->Put(put).ok());
  }

  static test_support::EtcdCluster* etcd_;
};
test_support::EtcdCluster* EtcdStateStoreTest::etcd_ = nullptr;

TEST_F(EtcdStateStoreTest, EverythingSurvivesANewClient) {
  {
    auto store = EtcdStateStore::Open(Client(), "/survive/");
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutOperation(MakeOperation("op-1", 3)).ok());
    v1::Event e;
    e.set_operation_id("op-1");
    ASSERT_TRUE((*store)->AppendEvent(e).ok());
  }
  auto again = EtcdStateStore::Open(Client(), "/survive/");
  ASSERT_TRUE(again.ok()) << again.status();
  auto op = (*again)->GetOperation("op-1");
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_EQ(op->actions_size(), 3);
  EXPECT_EQ(op->actions(2).id(), "migrate:vm2");
  v1::Event e;
  e.set_operation_id("op-1");
  EXPECT_EQ(*(*again)->AppendEvent(e), 2u) << "the seqs go on where they were";
}

TEST_F(EtcdStateStoreTest, IdsThatShareAPrefixOrHoldSlashesStayApart) {
  auto store = EtcdStateStore::Open(Client(), "/ids/");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutOperation(MakeOperation("op", 1)).ok());
  ASSERT_TRUE((*store)->PutOperation(MakeOperation("op/x", 2)).ok());
  ASSERT_TRUE((*store)->PutOperation(MakeOperation("op%2Fx", 3)).ok());
  EXPECT_EQ((*store)->GetOperation("op")->actions_size(), 1);
  EXPECT_EQ((*store)->GetOperation("op/x")->actions_size(), 2);
  EXPECT_EQ((*store)->GetOperation("op%2Fx")->actions_size(), 3);
}

TEST_F(EtcdStateStoreTest, RefusesANewerSchemaAndAnotherApplicationsKeys) {
  Put("/newer/schema", "2");
  auto newer = EtcdStateStore::Open(Client(), "/newer/");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(newer.status().message(), HasSubstr("schema version 2"));

  Put("/foreign/config", "something");
  auto foreign = EtcdStateStore::Open(Client(), "/foreign/");
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(), HasSubstr("no schema key"));

  Put("/garbled/schema", "banana");
  auto garbled = EtcdStateStore::Open(Client(), "/garbled/");
  ASSERT_FALSE(garbled.ok());
  EXPECT_THAT(garbled.status().message(), HasSubstr("not a Convoy schema version"));
}

TEST_F(EtcdStateStoreTest, AFencedStoreWritesOnlyWhileTheFenceKeyHoldsItsValue) {
  auto store = EtcdStateStore::Open(Client(), "/fenced/");
  ASSERT_TRUE(store.ok());
  Put("/fenced/leader", "me 1");
  (*store)->SetWriteFence("/fenced/leader", "me 1");
  ASSERT_TRUE((*store)->PutOperation(MakeOperation("op-1", 2)).ok());
  v1::Event e;
  e.set_operation_id("op-1");
  ASSERT_TRUE((*store)->AppendEvent(e).ok());

  Put("/fenced/leader", "other 2");  // another controller leads now
  v1::Action a = MakeOperation("op-1", 1).actions(0);
  a.set_state("running");
  const Status put = (*store)->PutAction("op-1", a);
  EXPECT_EQ(put.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(put.message(), HasSubstr("no longer the leader"));
  EXPECT_THAT(put.message(), HasSubstr("held by other 2"));
  EXPECT_EQ((*store)->AppendEvent(e).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->PutOperation(MakeOperation("op-2", 0)).code(),
            absl::StatusCode::kFailedPrecondition);
  // Nothing was written; reads go on.
  auto op = (*store)->GetOperation("op-1");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->actions(0).state(), "pending");
  EXPECT_EQ((*store)->GetOperation("op-2").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EtcdStateStoreTest, AnOperationLargerThanEtcdTakesIsRefusedWholeWithEtcdsReason) {
  auto store = EtcdStateStore::Open(Client(), "/large/");
  ASSERT_TRUE(store.ok());
  const Status put = (*store)->PutOperation(MakeOperation("op-1", 300));  // > 128 txn ops
  ASSERT_FALSE(put.ok());
  EXPECT_THAT(put.message(), HasSubstr("too many operations in txn request"));
  EXPECT_EQ((*store)->GetOperation("op-1").status().code(), absl::StatusCode::kNotFound);
}

TEST(EtcdEndpointsTest, ParsesListsAndNamesWhatIsWrong) {
  auto ok = ParseEtcdEndpoints("http://a:2379, http://b:2379,c:1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 3u);
  EXPECT_THAT(ParseEtcdEndpoints("").status().message(), HasSubstr("no endpoint"));
  EXPECT_THAT(ParseEtcdEndpoints("ftp://a:1").status().message(), HasSubstr("http or https"));
  EXPECT_THAT(ParseEtcdEndpoints("http://a").status().message(), HasSubstr("host:port"));
  EXPECT_THAT(ParseEtcdEndpoints("http://a:1,https://b:2").status().message(),
              HasSubstr("all https or none"));
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
}

TEST(EtcdClusterTest, TheStoreGoesOnWhenOneOfThreeMembersDies) {
  auto cluster = test_support::EtcdCluster::Start(3);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EtcdOptions options;
  options.endpoints = (*cluster)->endpoints();
  // Room for the two survivors to elect a raft leader when the dead member led, on a loaded
  // machine (an election takes one to a few seconds there).
  options.timeout_ms = 20000;
  auto client = EtcdClient::Connect(options);
  ASSERT_TRUE(client.ok());
  auto store = EtcdStateStore::Open(std::shared_ptr<EtcdClient>(*std::move(client)), "/ha/");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->PutOperation(MakeOperation("op-1", 2)).ok());
  (*cluster)->Kill(0);  // the member the client talks to first
  v1::Action a = MakeOperation("op-1", 1).actions(0);
  a.set_state("done");
  const Status put = (*store)->PutAction("op-1", a);
  ASSERT_TRUE(put.ok()) << put;
  auto op = (*store)->GetOperation("op-1");
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->actions(0).state(), "done");
  ASSERT_TRUE((*cluster)->Restart(0).ok());
}

}  // namespace
}  // namespace convoy::store
