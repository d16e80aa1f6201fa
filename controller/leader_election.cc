#include "controller/leader_election.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace convoy::controller {
namespace {

std::string AddressOf(const std::string& value) { return value.substr(0, value.find(' ')); }

}  // namespace

LeaderElection::LeaderElection(std::shared_ptr<store::EtcdClient> etcd,
                               LeaderElectionOptions options)
    : etcd_(std::move(etcd)), options_(std::move(options)) {}

LeaderElection::~LeaderElection() { Stop(); }

void LeaderElection::Start(std::function<void(const std::string&)> on_elected,
                           std::function<void()> on_lost) {
  on_elected_ = std::move(on_elected);
  on_lost_ = std::move(on_lost);
  thread_ = std::thread([this] { Run(); });
}

void LeaderElection::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) {
    // The key goes with the lease: a follower takes over at its next poll.
    if (Status revoked = etcd_->LeaseRevoke(lease_); !revoked.ok()) {
      spdlog::warn("leader election: revoking lease {}: {}", lease_,
                   std::string(revoked.message()));
    }
    lease_ = 0;
  }
  leader_ = false;
}

std::string LeaderElection::LeaderAddress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_address_;
}

void LeaderElection::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Round();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stopping_; });
  }
}

void LeaderElection::Lose(const std::string& why) {
  spdlog::error("leader election: {} lost the leadership: {}", options_.address, why);
  leader_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader_address_.clear();
  }
  if (on_lost_) on_lost_();
}

void LeaderElection::Round() {
  const auto now = std::chrono::steady_clock::now();
  const auto ttl = std::chrono::seconds(options_.lease_ttl_s);
  // The lease: granted when there is none, renewed every ttl/3.
  if (lease_ != 0 && now >= next_renewal_) {
    auto renewed = etcd_->LeaseKeepAlive(lease_);
    if (renewed.ok()) {
      renewed_ = now;
      next_renewal_ = now + ttl / 3;
    } else if (renewed.status().code() == absl::StatusCode::kNotFound || now - renewed_ >= ttl) {
      // Expired, or etcd may have expired it by now: whatever it held is gone.
      const std::string why = absl::StrCat("lease ", lease_, ": ", renewed.status().message());
      lease_ = 0;
      if (leader_) Lose(why);
    } else {
      spdlog::warn("leader election: renewing lease {}: {}", lease_,
                   std::string(renewed.status().message()));
    }
  }
  if (lease_ == 0) {
    auto granted = etcd_->LeaseGrant(options_.lease_ttl_s);
    if (!granted.ok()) {
      spdlog::warn("leader election: {}", std::string(granted.status().message()));
      return;
    }
    lease_ = *granted;
    renewed_ = now;
    next_renewal_ = now + ttl / 3;
    value_ = absl::StrCat(options_.address, " ", lease_);
  }
  // Take the key if it is free; otherwise learn who holds it.
  etcdserverpb::TxnRequest txn;
  auto* free = txn.add_compare();
  free->set_key(options_.key);
  free->set_target(etcdserverpb::Compare::CREATE);
  free->set_result(etcdserverpb::Compare::EQUAL);
  free->set_create_revision(0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(options_.key);
  put->set_value(value_);
  put->set_lease(lease_);
  txn.add_failure()->mutable_request_range()->set_key(options_.key);
  auto answer = etcd_->Txn(txn);
  if (!answer.ok()) {
    spdlog::warn("leader election: {}", std::string(answer.status().message()));
    return;
  }
  std::string holder = value_;
  if (!answer->succeeded()) {
    const auto& range = answer->responses(0).response_range();
    holder = range.kvs_size() > 0 ? range.kvs(0).value() : "";
  }
  const bool mine = holder == value_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader_address_ = AddressOf(holder);
  }
  if (mine && !leader_) {
    spdlog::info("leader election: {} leads (key {}, lease {}, ttl {} s)", options_.address,
                 options_.key, lease_, options_.lease_ttl_s);
    leader_ = true;
    if (on_elected_) on_elected_(value_);
  } else if (!mine && leader_) {
    Lose(absl::StrCat(options_.key, " now holds '", holder, "'"));
  }
}

}  // namespace convoy::controller
