// Which convoyd replica leads, when several share one etcd (deploy/ha/): a lease-based election
// on one key. The leader holds `key` = "ADDRESS LEASE" attached to its lease and renews the lease
// every ttl/3; the others poll the key and take it once it is free (the leader stopped, or its
// lease expired ttl seconds after its last renewal). Only the leader executes operations; the
// others serve reads from the store and forward the rest to the address the key names
// (controller_service.cc).
//
// The key's value doubles as the store's write fence (EtcdStateStore::SetWriteFence): a replica
// that lost the key can no longer write, even in the moment before it notices.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "convoy/store/etcd_client.h"

namespace convoy::controller {

// What the API needs to know about leadership (nullptr in a single controller: it leads).
class Leadership {
 public:
  virtual ~Leadership() = default;
  virtual bool IsLeader() const = 0;
  // The leader's API address as last seen; empty while there is none.
  virtual std::string LeaderAddress() const = 0;
};

struct LeaderElectionOptions {
  std::string key;      // the full etcd key, e.g. "/convoy/leader"
  std::string address;  // this replica's API address, as followers and agents reach it
  int lease_ttl_s = 5;  // how long a dead leader keeps the key
  int poll_ms = 500;    // how often a follower looks at the key
};

class LeaderElection final : public Leadership {
 public:
  LeaderElection(std::shared_ptr<store::EtcdClient> etcd, LeaderElectionOptions options);
  // Stop()s.
  ~LeaderElection() override;

  // Campaigns on its own thread. `on_elected(fence_value)` runs on that thread once this
  // replica holds the key (the value to fence the store with); `on_lost()` once it lost it
  // after having held it (a renewal refused, or none succeeded for a whole ttl, or the key
  // changed hands): the replica must stop acting as leader at once. Call once.
  void Start(std::function<void(const std::string& fence_value)> on_elected,
             std::function<void()> on_lost);
  // Ends the thread; a leader revokes its lease so that another replica takes over at once.
  void Stop();

  bool IsLeader() const override { return leader_.load(); }
  std::string LeaderAddress() const override;

 private:
  void Run();
  // One round: renew or grant the lease, then campaign (follower) or check the key (leader).
  void Round();
  void Lose(const std::string& why);

  std::shared_ptr<store::EtcdClient> etcd_;
  const LeaderElectionOptions options_;
  std::function<void(const std::string&)> on_elected_;
  std::function<void()> on_lost_;

  int64_t lease_ = 0;  // 0: none; only the thread touches it
  std::chrono::steady_clock::time_point renewed_;
  std::chrono::steady_clock::time_point next_renewal_;
  std::string value_;  // "ADDRESS LEASE" while campaigning with `lease_`
  std::atomic<bool> leader_{false};

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;       // guarded by mu_
  std::string leader_address_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace convoy::controller
