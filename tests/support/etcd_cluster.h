// Real etcd servers for tests: `members` etcd processes (Debian etcd-server, `etcd` on PATH or
// $CONVOY_ETCD) on free loopback ports, their data in a fresh directory removed afterwards.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::test_support {

class EtcdCluster {
 public:
  // Starts the members and waits (at most 30 s) until the cluster has a leader and answers.
  // `extra_flags` go to every member (e.g. "--max-txn-ops=4096").
  static StatusOr<std::unique_ptr<EtcdCluster>> Start(int members,
                                                      std::vector<std::string> extra_flags = {});
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "http://127.0.0.1:PORT" of every member.
  std::vector<std::string> endpoints() const;
  // The endpoints joined with commas, as convoyd's --etcd takes them.
  std::string endpoint_list() const;
  // kill -9 of one member, and its restart (same data, same ports).
  void Kill(int member);
  Status Restart(int member);
  const std::string& dir() const { return dir_; }

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };
  EtcdCluster() = default;
  Status Spawn(Member& m, bool initial);
  Status WaitReady(int timeout_s);

  std::string binary_;
  std::string dir_;
  std::string initial_cluster_;
  std::string token_;
  std::vector<std::string> extra_flags_;
  std::vector<Member> members_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace convoy::test_support
