// convoyd's choice of state store, and its part in a group of replicas: with --etcd, the state is
// in etcd (EtcdStateStore) and the replica campaigns for leadership (leader_election.h); without,
// it is one controller with its SQLite file.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "convoy/store/etcd_client.h"
#include "convoy/store/etcd_state_store.h"
#include "convoy/store/state_store.h"

namespace convoy::controller {

struct ReplicaFlags {
  std::string etcd;  // endpoints; empty: SQLite
  std::string etcd_prefix = "/convoy/";
  std::string etcd_ca;
  std::string etcd_cert;
  std::string etcd_key;
  int leader_lease_s = 5;
  std::string advertise;  // this replica's API address for the others; empty: --listen
};

// Adds --etcd, --etcd-prefix, --etcd-ca, --etcd-cert, --etcd-key, --leader-lease-s, --advertise.
void AddReplicaFlags(CLI::App& app, ReplicaFlags* flags);

struct StateBackend {
  std::unique_ptr<store::StateStore> store;
  // With etcd: the same store, its client (shared with the election) and the leader key.
  store::EtcdStateStore* etcd_store = nullptr;
  std::shared_ptr<store::EtcdClient> etcd;
  std::string leader_key;
};

// SQLite at `sqlite_path`, or the etcd store under the prefix, fenced (no write succeeds) until
// this replica is elected. The error names what failed.
StatusOr<StateBackend> OpenStateBackend(const ReplicaFlags& flags, const std::string& sqlite_path);

}  // namespace convoy::controller
