#include <grpcpp/grpcpp.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "controller/agent_channel.h"
#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::controller {
namespace {

Status FromGrpc(const grpc::Status& s, const std::string& name, const std::string& address) {
  if (s.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    return Status(code, absl::StrCat("agent ", name, " at ", address,
                                     " is not reachable: ", s.error_message()));
  }
  return Status(code, absl::StrCat("agent ", name, ": ", s.error_message()));
}

class GrpcAgentChannel final : public AgentChannel {
 public:
  GrpcAgentChannel(std::string name, std::string address, int call_timeout_ms,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials)
      : name_(std::move(name)),
        address_(std::move(address)),
        timeout_ms_(call_timeout_ms),
        stub_(v1::Agent::NewStub(grpc::CreateChannel(address_, credentials))) {}

  StatusOr<v1::HostReport> Describe(const v1::DescribeRequest& request) override {
    const int extra_ms =
        static_cast<int>(request.dirty_rate_period_s() * 1000 + request.rate_window_ms());
    return Call<v1::HostReport>(extra_ms, [&](grpc::ClientContext* c, v1::HostReport* out) {
      return stub_->Describe(c, request, out);
    });
  }
  StatusOr<v1::MigrationProgress> StartMigration(
      const v1::StartMigrationRequest& request) override {
    return Call<v1::MigrationProgress>(0, [&](grpc::ClientContext* c, v1::MigrationProgress* out) {
      return stub_->StartMigration(c, request, out);
    });
  }
  StatusOr<v1::MigrationProgress> GetMigration(const std::string& id) override {
    v1::MigrationRef ref;
    ref.set_id(id);
    return Call<v1::MigrationProgress>(0, [&](grpc::ClientContext* c, v1::MigrationProgress* out) {
      return stub_->GetMigration(c, ref, out);
    });
  }
  StatusOr<v1::MigrationProgress> SetSpeed(const std::string& id, double mibps) override {
    v1::SetSpeedRequest request;
    request.set_id(id);
    request.set_bandwidth_mibps(mibps);
    return Call<v1::MigrationProgress>(0, [&](grpc::ClientContext* c, v1::MigrationProgress* out) {
      return stub_->SetMigrationSpeed(c, request, out);
    });
  }
  StatusOr<v1::MigrationProgress> SwitchToPostCopy(const std::string& id) override {
    v1::MigrationRef ref;
    ref.set_id(id);
    return Call<v1::MigrationProgress>(0, [&](grpc::ClientContext* c, v1::MigrationProgress* out) {
      return stub_->SwitchToPostCopy(c, ref, out);
    });
  }
  StatusOr<v1::MigrationProgress> Abort(const std::string& id) override {
    v1::MigrationRef ref;
    ref.set_id(id);
    return Call<v1::MigrationProgress>(0, [&](grpc::ClientContext* c, v1::MigrationProgress* out) {
      return stub_->AbortMigration(c, ref, out);
    });
  }
  StatusOr<v1::ProbeResult> Probe(const v1::ProbeRequest& request) override {
    const int extra_ms = static_cast<int>(request.max_seconds() * 1000) + 5000;
    return Call<v1::ProbeResult>(extra_ms, [&](grpc::ClientContext* c, v1::ProbeResult* out) {
      return stub_->ProbeBandwidth(c, request, out);
    });
  }

 private:
  template <typename Reply, typename Fn>
  StatusOr<Reply> Call(int extra_ms, Fn&& fn) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(timeout_ms_ + extra_ms));
    Reply reply;
    const grpc::Status s = fn(&context, &reply);
    if (!s.ok()) return FromGrpc(s, name_, address_);
    return reply;
  }

  std::string name_;
  std::string address_;
  int timeout_ms_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

class GrpcAgentDialer final : public AgentDialer {
 public:
  GrpcAgentDialer(int timeout_ms, std::shared_ptr<grpc::ChannelCredentials> credentials)
      : timeout_ms_(timeout_ms), credentials_(std::move(credentials)) {}
  std::shared_ptr<AgentChannel> Dial(const std::string& name, const std::string& address) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = channels_[name + "@" + address];
    if (!slot) {
      slot = std::make_shared<GrpcAgentChannel>(name, address, timeout_ms_, credentials_);
    }
    return slot;
  }

 private:
  int timeout_ms_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<AgentChannel>> channels_;
};

}  // namespace

std::unique_ptr<AgentDialer> MakeGrpcAgentDialer(
    int call_timeout_ms, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  return std::make_unique<GrpcAgentDialer>(call_timeout_ms, std::move(credentials));
}

}  // namespace convoy::controller
