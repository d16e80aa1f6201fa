// A small client of etcd's v3 gRPC API (src/store/etcd/rpc.proto): key ranges, transactions and
// leases, over one or more endpoints of one etcd cluster. What EtcdStateStore and the
// controller's leader election are built on.
//
// Contract:
// - Thread-safe; every call is bounded by `timeout_ms`.
// - An endpoint that is unreachable (UNAVAILABLE, or a deadline passed) is left for the next one,
//   and the call is tried again there, so one etcd member down is not an error while a majority
//   is up. A call whose answer was lost may have been applied: callers make their writes
//   conditional (Txn compares) so that trying again is harmless.
// - Errors name the endpoint, what was being done and etcd's message; nothing throws.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "store/etcd/rpc.grpc.pb.h"

namespace convoy::store {

struct EtcdOptions {
  // etcd's client URLs: "http://host:port", "https://host:port" or "host:port" (plaintext).
  std::vector<std::string> endpoints;
  // For https endpoints: the CA that signed etcd's certificate, and this client's certificate and
  // key when etcd asks for one (--client-cert-auth). Files in PEM.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  int timeout_ms = 5000;
};

// "http://a:2379,http://b:2379" -> its endpoints. INVALID_ARGUMENT naming an empty list, an
// entry without a port or with a scheme other than http/https, or https and http mixed.
StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& list);

// The key just past every key that starts with `prefix` (a RangeRequest's range_end for a
// prefix). Empty `prefix` gives "\0" (every key).
std::string PrefixEnd(const std::string& prefix);

class EtcdClient {
 public:
  // Checks the options and makes the channels; connects lazily. INVALID_ARGUMENT for bad
  // endpoints or unreadable TLS files (naming them).
  static StatusOr<std::unique_ptr<EtcdClient>> Connect(EtcdOptions options);

  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);

  // A lease of `ttl_s` seconds; its id.
  StatusOr<int64_t> LeaseGrant(int64_t ttl_s);
  Status LeaseRevoke(int64_t id);
  // Renews the lease; its TTL again, s. NOT_FOUND when it has expired or was revoked.
  StatusOr<int64_t> LeaseKeepAlive(int64_t id);

  // The endpoint calls go to now (logs).
  std::string endpoint() const;

 private:
  struct Endpoint {
    std::string url;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  };
  explicit EtcdClient(int timeout_ms) : timeout_ms_(timeout_ms) {}

  // Calls `rpc` on the current endpoint, moving on to the next while they are unreachable.
  template <typename Response, typename Rpc>
  StatusOr<Response> Call(const char* what, Rpc rpc);

  int timeout_ms_;
  std::vector<Endpoint> endpoints_;
  std::atomic<size_t> current_{0};
};

}  // namespace convoy::store
