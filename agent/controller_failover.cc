#include "agent/controller_failover.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "convoy/v1/controller.grpc.pb.h"

namespace convoy::agent {
namespace {

constexpr char kLeaderMetadata[] = "convoy-leader";

class Failover {
 public:
  Failover(std::vector<std::string> addresses, int reconnect_ms,
           std::shared_ptr<grpc::ChannelCredentials> credentials)
      : addresses_(std::move(addresses)),
        credentials_(std::move(credentials)),
        current_(addresses_.front()) {
    const int backoff_ms = std::max(reconnect_ms, 100);
    args_.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, backoff_ms);
    args_.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, backoff_ms);
    args_.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
  }

  StatusOr<v1::HeartbeatReply> Send(const v1::AgentHello& hello, int timeout_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    grpc::Status last;
    std::string last_address;
    std::vector<std::string> tried;
    std::string next = current_;
    while (!next.empty() && std::find(tried.begin(), tried.end(), next) == tried.end()) {
      tried.push_back(next);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(timeout_ms));
      v1::HeartbeatReply reply;
      last = Stub(next)->Heartbeat(&context, hello, &reply);
      last_address = next;
      if (last.ok()) {
        if (next != current_) {
          spdlog::info("controller: heartbeats now go to {} (was {})", next, current_);
          current_ = next;
        }
        return reply;
      }
      // A follower names the leader; anything else unreachable: the next in the list.
      auto leader = context.GetServerTrailingMetadata().find(kLeaderMetadata);
      if (leader != context.GetServerTrailingMetadata().end()) {
        next = std::string(leader->second.data(), leader->second.size());
      } else if (last.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 last.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        next = After(next);
      } else {
        break;
      }
    }
    return Status(static_cast<absl::StatusCode>(last.error_code()),
                  absl::StrCat(last_address, ": ", last.error_message()));
  }

 private:
  // The address after `address` in the list (the first when it is not in the list).
  std::string After(const std::string& address) const {
    auto it = std::find(addresses_.begin(), addresses_.end(), address);
    if (it == addresses_.end() || ++it == addresses_.end()) return addresses_.front();
    return *it;
  }

  v1::Controller::Stub* Stub(const std::string& address) {
    auto& stub = stubs_[address];
    if (stub == nullptr) {
      stub = v1::Controller::NewStub(grpc::CreateCustomChannel(address, credentials_, args_));
    }
    return stub.get();
  }

  const std::vector<std::string> addresses_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  grpc::ChannelArguments args_;
  std::mutex mu_;
  std::string current_;
  std::map<std::string, std::unique_ptr<v1::Controller::Stub>> stubs_;
};

}  // namespace

StatusOr<std::vector<std::string>> ParseControllerList(const std::string& list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::string address(absl::StripAsciiWhitespace(part));
    CONVOY_RETURN_IF_ERROR(ParseHostPort(address).status());
    out.push_back(address);
  }
  if (out.empty()) return absl::InvalidArgumentError("no controller address given");
  return out;
}

HeartbeatSender FailoverHeartbeatSender(std::vector<std::string> addresses, int reconnect_ms,
                                        std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto failover =
      std::make_shared<Failover>(std::move(addresses), reconnect_ms, std::move(credentials));
  return [failover](const v1::AgentHello& hello, int timeout_ms) {
    return failover->Send(hello, timeout_ms);
  };
}

}  // namespace convoy::agent
