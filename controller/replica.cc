#include "controller/replica.h"

#include "absl/strings/str_cat.h"
#include "convoy/store/sqlite_state_store.h"

namespace convoy::controller {

void AddReplicaFlags(CLI::App& app, ReplicaFlags* flags) {
  app.add_option("--etcd", flags->etcd,
                 "etcd endpoints (http[s]://host:port,...): keep the state in etcd and run as one "
                 "of several replicas, the elected leader executing (default: SQLite, --state)");
  app.add_option("--etcd-prefix", flags->etcd_prefix, "Key prefix of this Convoy's state in etcd");
  app.add_option("--etcd-ca", flags->etcd_ca, "CA of etcd's certificate (https endpoints)");
  app.add_option("--etcd-cert", flags->etcd_cert, "Client certificate for etcd (PEM)");
  app.add_option("--etcd-key", flags->etcd_key, "Key of --etcd-cert (PEM)");
  app.add_option("--leader-lease-s", flags->leader_lease_s,
                 "Lease of the leader key: a dead leader is replaced after this long")
      ->check(CLI::Range(2, 300));
  app.add_option("--advertise", flags->advertise,
                 "This replica's API address as the other replicas and the agents reach it "
                 "(default: --listen)");
}

StatusOr<StateBackend> OpenStateBackend(const ReplicaFlags& flags, const std::string& sqlite_path) {
  StateBackend backend;
  if (flags.etcd.empty()) {
    CONVOY_ASSIGN_OR_RETURN(auto sqlite, store::SqliteStateStore::Open(sqlite_path));
    backend.store = std::move(sqlite);
    return backend;
  }
  store::EtcdOptions options;
  CONVOY_ASSIGN_OR_RETURN(options.endpoints, store::ParseEtcdEndpoints(flags.etcd));
  options.ca_file = flags.etcd_ca;
  options.cert_file = flags.etcd_cert;
  options.key_file = flags.etcd_key;
  CONVOY_ASSIGN_OR_RETURN(auto client, store::EtcdClient::Connect(options));
  backend.etcd = std::move(client);
  CONVOY_ASSIGN_OR_RETURN(auto etcd_store,
                          store::EtcdStateStore::Open(backend.etcd, flags.etcd_prefix));
  backend.leader_key = flags.etcd_prefix + "leader";
  // No value a leader writes starts with a space: nothing is written before the election.
  etcd_store->SetWriteFence(backend.leader_key, " not elected");
  backend.etcd_store = etcd_store.get();
  backend.store = std::move(etcd_store);
  return backend;
}

}  // namespace convoy::controller
