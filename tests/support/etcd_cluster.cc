#include "tests/support/etcd_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convoy/store/etcd_client.h"
#include "tests/support/spawn.h"

namespace convoy::test_support {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(int members,
                                                          std::vector<std::string> extra_flags) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster());
  const char* binary = std::getenv("CONVOY_ETCD");
  cluster->binary_ = binary != nullptr ? binary : "/usr/bin/etcd";
  if (access(cluster->binary_.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no etcd at ", cluster->binary_, " (scripts/setup installs Debian's etcd-server)"));
  }
  std::string pattern = "/tmp/convoy-etcd-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  cluster->dir_ = pattern;
  cluster->token_ = std::filesystem::path(pattern).filename().string();
  cluster->extra_flags_ = std::move(extra_flags);
  std::vector<std::string> peers;
  for (int i = 0; i < members; ++i) {
    Member m;
    m.name = absl::StrCat("m", i);
    m.client_port = FreeLoopbackPort();
    m.peer_port = FreeLoopbackPort();
    peers.push_back(absl::StrCat(m.name, "=http://127.0.0.1:", m.peer_port));
    cluster->members_.push_back(m);
  }
  cluster->initial_cluster_ = absl::StrJoin(peers, ",");
  for (auto& m : cluster->members_) CONVOY_RETURN_IF_ERROR(cluster->Spawn(m, true));
  CONVOY_RETURN_IF_ERROR(cluster->WaitReady(30));
  return cluster;
}

Status EtcdCluster::Spawn(Member& m, bool initial) {
  const std::string peer = absl::StrCat("http://127.0.0.1:", m.peer_port);
  const std::string client = absl::StrCat("http://127.0.0.1:", m.client_port);
  std::vector<std::string> args = {
      binary_,
      "--name=" + m.name,
      "--data-dir=" + dir_ + "/" + m.name,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--initial-cluster=" + initial_cluster_,
      "--initial-cluster-token=" + token_,
      std::string("--initial-cluster-state=") + (initial ? "new" : "existing"),
      "--log-level=warn",
      "--logger=zap"};
  for (const auto& f : extra_flags_) args.push_back(f);
  m.pid = SpawnWithLog(args, dir_ + "/" + m.name + ".log");
  if (m.pid < 0) return absl::InternalError(absl::StrCat("cannot start ", binary_));
  return absl::OkStatus();
}

Status EtcdCluster::WaitReady(int timeout_s) {
  store::EtcdOptions options;
  options.endpoints = endpoints();
  options.timeout_ms = 1000;
  CONVOY_ASSIGN_OR_RETURN(auto client, store::EtcdClient::Connect(options));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  Status last;
  while (std::chrono::steady_clock::now() < until) {
    // A linearizable read answers only once the cluster has a leader.
    etcdserverpb::RangeRequest probe;
    probe.set_key("convoy-test-probe");
    last = client->Range(probe).status();
    if (last.ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("etcd did not answer within ", timeout_s,
                                                  " s (logs in ", dir_, "): ", last.message()));
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < static_cast<int>(members_.size()); ++i) Kill(i);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const auto& m : members_) out.push_back(absl::StrCat("http://127.0.0.1:", m.client_port));
  return out;
}

std::string EtcdCluster::endpoint_list() const { return absl::StrJoin(endpoints(), ","); }

void EtcdCluster::Kill(int member) {
  Member& m = members_[member];
  if (m.pid <= 0) return;
  kill(m.pid, SIGKILL);
  waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

Status EtcdCluster::Restart(int member) {
  Kill(member);
  // Its data directory holds the membership: it rejoins as it was.
  CONVOY_RETURN_IF_ERROR(Spawn(members_[member], true));
  return WaitReady(30);
}

}  // namespace convoy::test_support
