#include "convoy/store/etcd_state_store.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "store/etcd/records.pb.h"

namespace convoy::store {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::KeyValue;
using etcdserverpb::RangeResponse;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

constexpr int kSchemaVersion = 1;
// Optimistic transactions are tried again while other writers win; this many times at most.
constexpr int kMaxAttempts = 1000;

std::string Escape(const std::string& id) {
  std::string out;
  for (unsigned char c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == ':' || c == '-';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string Seq(uint64_t seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
  return digits;
}

void AddRange(TxnRequest* txn, const std::string& key, const std::string& range_end = "",
              bool count_only = false, int64_t limit = 0, int64_t revision = 0) {
  auto* r = txn->add_success()->mutable_request_range();
  r->set_key(key);
  r->set_range_end(range_end);
  r->set_count_only(count_only);
  r->set_limit(limit);
  r->set_revision(revision);
}

void AddPut(TxnRequest* txn, const std::string& key, const std::string& value) {
  auto* p = txn->add_success()->mutable_request_put();
  p->set_key(key);
  p->set_value(value);
}

void AddCompare(TxnRequest* txn, const std::string& key, Compare::CompareTarget target,
                Compare::CompareResult result, int64_t revision) {
  Compare* c = txn->add_compare();
  c->set_key(key);
  c->set_target(target);
  c->set_result(result);
  if (target == Compare::MOD) c->set_mod_revision(revision);
  if (target == Compare::CREATE) c->set_create_revision(revision);
}

// The key exists / has not changed since it was read at mod_revision (0: was absent).
void RequireExists(TxnRequest* txn, const std::string& key) {
  AddCompare(txn, key, Compare::CREATE, Compare::GREATER, 0);
}
void RequireUnchanged(TxnRequest* txn, const std::string& key, int64_t mod_revision) {
  AddCompare(txn, key, Compare::MOD, Compare::EQUAL, mod_revision);
}

const RangeResponse& RangeAt(const TxnResponse& response, int i) {
  return response.responses(i).response_range();
}

template <typename Message>
Status Parse(const KeyValue& kv, Message* out) {
  if (!out->ParseFromString(kv.value())) {
    return absl::DataLossError(absl::StrCat("etcd state store: the value of ", kv.key(),
                                            " is not a valid ", out->GetTypeName()));
  }
  return absl::OkStatus();
}

// The decimal counter at `kv` (0 when the key is absent).
StatusOr<uint64_t> Counter(const RangeResponse& range) {
  if (range.kvs_size() == 0) return 0;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(range.kvs(0).value(), &n)) {
    return absl::DataLossError(
        absl::StrCat("etcd state store: ", range.kvs(0).key(), " is not a counter"));
  }
  return n;
}

int64_t ModRevision(const RangeResponse& range) {
  return range.kvs_size() == 0 ? 0 : range.kvs(0).mod_revision();
}

Status TooManyAttempts(const std::string& what) {
  return absl::AbortedError(absl::StrCat("etcd state store: ", what, ": other writers won ",
                                         kMaxAttempts, " times in a row"));
}

}  // namespace

StatusOr<std::unique_ptr<EtcdStateStore>> EtcdStateStore::Open(std::shared_ptr<EtcdClient> client,
                                                               std::string prefix) {
  if (client == nullptr) return absl::InvalidArgumentError("etcd state store: no client");
  if (prefix.empty()) return absl::InvalidArgumentError("etcd state store: the prefix is empty");
  std::unique_ptr<EtcdStateStore> store(new EtcdStateStore(std::move(client), prefix));
  const std::string schema_key = prefix + "schema";
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TxnRequest read;
    AddRange(&read, schema_key);
    AddRange(&read, prefix, PrefixEnd(prefix), /*count_only=*/true);
    CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, store->client_->Txn(read));
    const RangeResponse& schema = RangeAt(seen, 0);
    if (schema.kvs_size() > 0) {
      int version = 0;
      if (!absl::SimpleAtoi(schema.kvs(0).value(), &version) || version <= 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("etcd state store: ", schema_key, " holds '", schema.kvs(0).value(),
                         "', not a Convoy schema version: is the prefix another application's?"));
      }
      if (version > kSchemaVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat("etcd state store: ", prefix, " has schema version ", version,
                         ", newer than this ", "convoyd's ", kSchemaVersion, ": upgrade convoyd"));
      }
      return store;
    }
    if (RangeAt(seen, 1).count() > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("etcd state store: ", prefix, " holds ", RangeAt(seen, 1).count(),
                       " keys but no schema key: another application's data?"));
    }
    TxnRequest create;
    AddCompare(&create, schema_key, Compare::CREATE, Compare::EQUAL, 0);
    AddPut(&create, schema_key, std::to_string(kSchemaVersion));
    CONVOY_ASSIGN_OR_RETURN(TxnResponse created, store->client_->Txn(create));
    if (created.succeeded()) return store;
  }
  return TooManyAttempts("open");
}

void EtcdStateStore::SetWriteFence(std::string key, std::string value) {
  std::lock_guard<std::mutex> lock(mu_);
  fence_ = {std::move(key), std::move(value)};
}

EtcdStateStore::Fence EtcdStateStore::fence() {
  std::lock_guard<std::mutex> lock(mu_);
  return fence_;
}

std::string EtcdStateStore::OperationKey(const std::string& id) const {
  return absl::StrCat(prefix_, "op/", Escape(id));
}
std::string EtcdStateStore::ActionPrefix(const std::string& id) const {
  return absl::StrCat(prefix_, "act/", Escape(id), "/");
}
std::string EtcdStateStore::ActionCounterKey(const std::string& id) const {
  return absl::StrCat(prefix_, "actn/", Escape(id));
}
std::string EtcdStateStore::EventPrefix(const std::string& id) const {
  return absl::StrCat(prefix_, "ev/", Escape(id), "/");
}
std::string EtcdStateStore::EventCounterKey(const std::string& id) const {
  return absl::StrCat(prefix_, "evn/", Escape(id));
}

StatusOr<TxnResponse> EtcdStateStore::Write(TxnRequest txn, const char* what) {
  const Fence f = fence();
  if (!f.key.empty()) {
    Compare* c = txn.add_compare();
    c->set_key(f.key);
    c->set_target(Compare::VALUE);
    c->set_result(Compare::EQUAL);
    c->set_value(f.value);
    txn.add_failure()->mutable_request_range()->set_key(f.key);
  }
  CONVOY_ASSIGN_OR_RETURN(TxnResponse response, client_->Txn(txn));
  if (!response.succeeded() && !f.key.empty()) {
    const RangeResponse& holder = RangeAt(response, 0);
    if (holder.kvs_size() == 0 || holder.kvs(0).value() != f.value) {
      return absl::FailedPreconditionError(absl::StrCat(
          "etcd state store: ", what, ": this controller is no longer the leader (", f.key,
          holder.kvs_size() == 0 ? " is free" : " is held by " + holder.kvs(0).value(), ")"));
    }
  }
  return response;
}

Status EtcdStateStore::PutOperation(const v1::Operation& op) {
  if (op.id().empty()) return absl::InvalidArgumentError("put operation: the id is empty");
  // Each action id once, at the place of its first occurrence, with its last content (as
  // PutAction one by one would leave it).
  std::vector<std::string> order;
  std::map<std::string, const v1::Action*> latest;
  for (const auto& a : op.actions()) {
    if (a.id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("put operation ", op.id(), ": an action has an empty id"));
    }
    if (latest.emplace(a.id(), &a).second) {
      order.push_back(a.id());
    } else {
      latest[a.id()] = &a;
    }
  }
  v1::Operation header = op;
  header.clear_actions();
  const std::string header_value = header.SerializeAsString();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TxnRequest txn;
    if (!order.empty()) {
      TxnRequest read;
      AddRange(&read, ActionPrefix(op.id()), PrefixEnd(ActionPrefix(op.id())));
      AddRange(&read, ActionCounterKey(op.id()));
      CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, client_->Txn(read));
      std::map<std::string, uint64_t> known;  // action key -> its place
      for (const auto& kv : RangeAt(seen, 0).kvs()) {
        etcd::StoredAction stored;
        CONVOY_RETURN_IF_ERROR(Parse(kv, &stored));
        known[kv.key()] = stored.order();
      }
      CONVOY_ASSIGN_OR_RETURN(uint64_t next, Counter(RangeAt(seen, 1)));
      RequireUnchanged(&txn, ActionCounterKey(op.id()), ModRevision(RangeAt(seen, 1)));
      const uint64_t first_new = next;
      for (const auto& id : order) {
        const std::string key = ActionPrefix(op.id()) + Escape(id);
        etcd::StoredAction stored;
        auto it = known.find(key);
        stored.set_order(it != known.end() ? it->second : next++);
        *stored.mutable_action() = *latest[id];
        AddPut(&txn, key, stored.SerializeAsString());
      }
      if (next != first_new) AddPut(&txn, ActionCounterKey(op.id()), std::to_string(next));
    }
    AddPut(&txn, OperationKey(op.id()), header_value);
    CONVOY_ASSIGN_OR_RETURN(TxnResponse written,
                            Write(std::move(txn), ("put operation " + op.id()).c_str()));
    if (written.succeeded()) return absl::OkStatus();
  }
  return TooManyAttempts("put operation " + op.id());
}

Status EtcdStateStore::PutAction(const std::string& operation_id, const v1::Action& action) {
  CONVOY_RETURN_IF_ERROR(CheckActionKey(operation_id, action));
  const std::string op_key = OperationKey(operation_id);
  const std::string key = ActionPrefix(operation_id) + Escape(action.id());
  const std::string counter_key = ActionCounterKey(operation_id);
  const std::string what = absl::StrCat("put action ", action.id());
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TxnRequest read;
    AddRange(&read, op_key, "", /*count_only=*/true);
    AddRange(&read, key);
    AddRange(&read, counter_key);
    CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, client_->Txn(read));
    if (RangeAt(seen, 0).count() == 0) {
      return absl::NotFoundError(absl::StrCat(what, ": no operation '", operation_id, "'"));
    }
    TxnRequest txn;
    RequireExists(&txn, op_key);
    etcd::StoredAction stored;
    *stored.mutable_action() = action;
    if (RangeAt(seen, 1).kvs_size() > 0) {
      etcd::StoredAction before;
      CONVOY_RETURN_IF_ERROR(Parse(RangeAt(seen, 1).kvs(0), &before));
      stored.set_order(before.order());
      RequireUnchanged(&txn, key, ModRevision(RangeAt(seen, 1)));
    } else {
      CONVOY_ASSIGN_OR_RETURN(uint64_t next, Counter(RangeAt(seen, 2)));
      stored.set_order(next);
      RequireUnchanged(&txn, key, 0);
      RequireUnchanged(&txn, counter_key, ModRevision(RangeAt(seen, 2)));
      AddPut(&txn, counter_key, std::to_string(next + 1));
    }
    AddPut(&txn, key, stored.SerializeAsString());
    CONVOY_ASSIGN_OR_RETURN(TxnResponse written, Write(std::move(txn), what.c_str()));
    if (written.succeeded()) return absl::OkStatus();
  }
  return TooManyAttempts(what);
}

StatusOr<v1::Operation> EtcdStateStore::Read(const std::string& id, int64_t revision) {
  TxnRequest read;
  AddRange(&read, OperationKey(id), "", false, 0, revision);
  AddRange(&read, ActionPrefix(id), PrefixEnd(ActionPrefix(id)), false, 0, revision);
  CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, client_->Txn(read));
  if (RangeAt(seen, 0).kvs_size() == 0) {
    return absl::NotFoundError(absl::StrCat("no operation '", id, "'"));
  }
  v1::Operation op;
  CONVOY_RETURN_IF_ERROR(Parse(RangeAt(seen, 0).kvs(0), &op));
  std::vector<etcd::StoredAction> actions(RangeAt(seen, 1).kvs_size());
  for (int i = 0; i < RangeAt(seen, 1).kvs_size(); ++i) {
    CONVOY_RETURN_IF_ERROR(Parse(RangeAt(seen, 1).kvs(i), &actions[i]));
  }
  std::sort(actions.begin(), actions.end(),
            [](const auto& a, const auto& b) { return a.order() < b.order(); });
  for (auto& a : actions) *op.add_actions() = std::move(*a.mutable_action());
  return op;
}

StatusOr<v1::Operation> EtcdStateStore::GetOperation(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("get operation: the id is empty");
  return Read(id, 0);
}

StatusOr<std::vector<v1::Operation>> EtcdStateStore::ListOperations(bool include_finished) {
  etcdserverpb::RangeRequest headers;
  headers.set_key(prefix_ + "op/");
  headers.set_range_end(PrefixEnd(prefix_ + "op/"));
  CONVOY_ASSIGN_OR_RETURN(RangeResponse listed, client_->Range(headers));
  std::vector<v1::Operation> out;
  for (const auto& kv : listed.kvs()) {  // ascending key, so ascending (escaped) id
    v1::Operation header;
    CONVOY_RETURN_IF_ERROR(Parse(kv, &header));
    if (!include_finished && !IsUnfinishedOperationState(header.state())) continue;
    // Every operation as it was at the revision the list was read at.
    CONVOY_ASSIGN_OR_RETURN(v1::Operation op, Read(header.id(), listed.header().revision()));
    out.push_back(std::move(op));
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::Operation& a, const v1::Operation& b) {
    if (a.created_unix_s() != b.created_unix_s()) return a.created_unix_s() > b.created_unix_s();
    return a.id() < b.id();
  });
  return out;
}

StatusOr<uint64_t> EtcdStateStore::AppendEvent(v1::Event event) {
  const std::string& id = event.operation_id();
  if (id.empty()) return absl::InvalidArgumentError("append event: the operation id is empty");
  const std::string op_key = OperationKey(id);
  const std::string counter_key = EventCounterKey(id);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TxnRequest read;
    AddRange(&read, op_key, "", /*count_only=*/true);
    AddRange(&read, counter_key);
    CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, client_->Txn(read));
    if (RangeAt(seen, 0).count() == 0) {
      return absl::NotFoundError(absl::StrCat("append event: no operation '", id, "'"));
    }
    CONVOY_ASSIGN_OR_RETURN(uint64_t last, Counter(RangeAt(seen, 1)));
    const uint64_t seq = last + 1;
    event.set_seq(seq);
    TxnRequest txn;
    RequireExists(&txn, op_key);
    RequireUnchanged(&txn, counter_key, ModRevision(RangeAt(seen, 1)));
    AddPut(&txn, counter_key, std::to_string(seq));
    AddPut(&txn, EventPrefix(id) + Seq(seq), event.SerializeAsString());
    CONVOY_ASSIGN_OR_RETURN(TxnResponse written, Write(std::move(txn), "append event"));
    if (written.succeeded()) return seq;
  }
  return TooManyAttempts("append event");
}

StatusOr<std::vector<v1::Event>> EtcdStateStore::EventsAfter(const std::string& operation_id,
                                                             uint64_t after_seq, size_t limit) {
  if (operation_id.empty()) return absl::InvalidArgumentError("events: the operation id is empty");
  TxnRequest read;
  AddRange(&read, OperationKey(operation_id), "", /*count_only=*/true);
  const std::string events = EventPrefix(operation_id);
  AddRange(&read, events + Seq(after_seq + 1), PrefixEnd(events), false,
           static_cast<int64_t>(limit));
  CONVOY_ASSIGN_OR_RETURN(TxnResponse seen, client_->Txn(read));
  if (RangeAt(seen, 0).count() == 0) {
    return absl::NotFoundError(absl::StrCat("events: no operation '", operation_id, "'"));
  }
  if (after_seq == UINT64_MAX) return std::vector<v1::Event>();
  std::vector<v1::Event> out(RangeAt(seen, 1).kvs_size());
  for (int i = 0; i < RangeAt(seen, 1).kvs_size(); ++i) {
    CONVOY_RETURN_IF_ERROR(Parse(RangeAt(seen, 1).kvs(i), &out[i]));
  }
  return out;
}

Status EtcdStateStore::PutPlanPreview(const v1::PlanPreview& preview) {
  if (preview.plan_id().empty()) {
    return absl::InvalidArgumentError("put plan preview: the plan id is empty");
  }
  TxnRequest txn;
  AddPut(&txn, absl::StrCat(prefix_, "plan/", Escape(preview.plan_id())),
         preview.SerializeAsString());
  CONVOY_ASSIGN_OR_RETURN(TxnResponse written, Write(std::move(txn), "put plan preview"));
  if (!written.succeeded()) return absl::AbortedError("put plan preview: not written");
  return absl::OkStatus();
}

StatusOr<v1::PlanPreview> EtcdStateStore::GetPlanPreview(const std::string& plan_id) {
  if (plan_id.empty()) return absl::InvalidArgumentError("get plan preview: the plan id is empty");
  etcdserverpb::RangeRequest request;
  request.set_key(absl::StrCat(prefix_, "plan/", Escape(plan_id)));
  CONVOY_ASSIGN_OR_RETURN(RangeResponse found, client_->Range(request));
  if (found.kvs_size() == 0) return absl::NotFoundError(absl::StrCat("no plan '", plan_id, "'"));
  v1::PlanPreview preview;
  CONVOY_RETURN_IF_ERROR(Parse(found.kvs(0), &preview));
  return preview;
}

}  // namespace convoy::store
