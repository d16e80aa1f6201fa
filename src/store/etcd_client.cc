#include "convoy/store/etcd_client.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace convoy::store {
namespace {

StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("etcd: cannot read the ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "http://h:p" -> "h:p".
std::string Target(const std::string& url) {
  for (const char* scheme : {"http://", "https://"}) {
    if (absl::StartsWith(url, scheme)) return url.substr(std::string(scheme).size());
  }
  return url;
}

bool Unreachable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& list) {
  std::vector<std::string> endpoints;
  int tls = 0;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::string url(absl::StripAsciiWhitespace(part));
    const auto scheme = url.find("://");
    if (scheme != std::string::npos) {
      const std::string name = url.substr(0, scheme);
      if (name != "http" && name != "https") {
        return absl::InvalidArgumentError(
            absl::StrCat("etcd endpoint '", url, "': the scheme must be http or https"));
      }
      tls += name == "https";
    }
    const std::string target = Target(url);
    const auto colon = target.rfind(':');
    if (colon == std::string::npos || colon + 1 == target.size() ||
        target.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint '", url, "': expected [http[s]://]host:port"));
    }
    endpoints.push_back(url);
  }
  if (endpoints.empty()) return absl::InvalidArgumentError("etcd: no endpoint given");
  if (tls != 0 && tls != static_cast<int>(endpoints.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd endpoints '", list, "': all https or none"));
  }
  return endpoints;
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(EtcdOptions options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("etcd: no endpoint given");
  if (options.timeout_ms <= 0) options.timeout_ms = 5000;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (absl::StartsWith(options.endpoints.front(), "https://")) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      CONVOY_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.ca_file, "CA file"));
    }
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      CONVOY_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(options.cert_file, "certificate"));
      CONVOY_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(options.key_file, "key"));
    }
    credentials = grpc::SslCredentials(ssl);
  }
  std::unique_ptr<EtcdClient> client(new EtcdClient(options.timeout_ms));
  for (const auto& url : options.endpoints) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    // Reconnect quickly to a member that comes back (gRPC's own backoff grows to minutes).
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    auto channel = grpc::CreateCustomChannel(Target(url), credentials, args);
    client->endpoints_.push_back(
        {url, etcdserverpb::KV::NewStub(channel), etcdserverpb::Lease::NewStub(channel)});
  }
  return client;
}

std::string EtcdClient::endpoint() const {
  return endpoints_[current_.load() % endpoints_.size()].url;
}

template <typename Response, typename Rpc>
StatusOr<Response> EtcdClient::Call(const char* what, Rpc rpc) {
  const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_);
  // Each endpoint gets a share of the time; a quiet one is left for the next.
  const auto per_try = std::chrono::milliseconds(
      std::max<int>(500, timeout_ms_ / static_cast<int>(endpoints_.size())));
  grpc::Status last;
  std::string last_url;
  for (size_t attempt = 0; attempt < 2 * endpoints_.size(); ++attempt) {
    const size_t index = current_.load() % endpoints_.size();
    Endpoint& e = endpoints_[index];
    grpc::ClientContext context;
    context.set_deadline(std::min(deadline, std::chrono::system_clock::now() + per_try));
    // Wait for a connection (within the deadline) rather than fail at once while the channel
    // backs off: a member that is starting or coming back answers as soon as it listens.
    context.set_wait_for_ready(true);
    Response response;
    last = rpc(e, &context, &response);
    last_url = e.url;
    if (last.ok()) return response;
    if (!Unreachable(last)) break;
    size_t expected = index;
    current_.compare_exchange_strong(expected, index + 1);
    if (std::chrono::system_clock::now() >= deadline) break;
    if (attempt + 1 >= endpoints_.size())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string message =
      absl::StrCat("etcd ", last_url, ": ", what, ": ", last.error_message());
  switch (last.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(message);
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::ResourceExhaustedError(message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::FailedPreconditionError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(const etcdserverpb::RangeRequest& request) {
  return Call<etcdserverpb::RangeResponse>(
      "range", [&](Endpoint& e, grpc::ClientContext* c, etcdserverpb::RangeResponse* r) {
        return e.kv->Range(c, request, r);
      });
}

StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request) {
  return Call<etcdserverpb::TxnResponse>(
      "txn", [&](Endpoint& e, grpc::ClientContext* c, etcdserverpb::TxnResponse* r) {
        return e.kv->Txn(c, request, r);
      });
}

StatusOr<etcdserverpb::PutResponse> EtcdClient::Put(const etcdserverpb::PutRequest& request) {
  return Call<etcdserverpb::PutResponse>(
      "put", [&](Endpoint& e, grpc::ClientContext* c, etcdserverpb::PutResponse* r) {
        return e.kv->Put(c, request, r);
      });
}

StatusOr<int64_t> EtcdClient::LeaseGrant(int64_t ttl_s) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_s);
  CONVOY_ASSIGN_OR_RETURN(auto granted,
                          Call<etcdserverpb::LeaseGrantResponse>(
                              "lease grant", [&](Endpoint& e, grpc::ClientContext* c,
                                                 etcdserverpb::LeaseGrantResponse* r) {
                                return e.lease->LeaseGrant(c, request, r);
                              }));
  if (!granted.error().empty() || granted.id() == 0) {
    return absl::InternalError(absl::StrCat("etcd: lease grant: ", granted.error()));
  }
  return granted.id();
}

Status EtcdClient::LeaseRevoke(int64_t id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  return Call<etcdserverpb::LeaseRevokeResponse>(
             "lease revoke",
             [&](Endpoint& e, grpc::ClientContext* c, etcdserverpb::LeaseRevokeResponse* r) {
               return e.lease->LeaseRevoke(c, request, r);
             })
      .status();
}

StatusOr<int64_t> EtcdClient::LeaseKeepAlive(int64_t id) {
  // etcd renews leases over a stream only: one request, one answer, closed.
  CONVOY_ASSIGN_OR_RETURN(
      auto renewed,
      Call<etcdserverpb::LeaseKeepAliveResponse>(
          "lease keep-alive",
          [&](Endpoint& e, grpc::ClientContext* c, etcdserverpb::LeaseKeepAliveResponse* r) {
            auto stream = e.lease->LeaseKeepAlive(c);
            etcdserverpb::LeaseKeepAliveRequest request;
            request.set_id(id);
            if (!stream->Write(request) || !stream->Read(r)) {
              stream->WritesDone();
              grpc::Status s = stream->Finish();
              return s.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream closed") : s;
            }
            stream->WritesDone();
            return stream->Finish();
          }));
  if (renewed.ttl() <= 0) {
    return absl::NotFoundError(absl::StrCat("etcd: lease ", id, " has expired"));
  }
  return renewed.ttl();
}

}  // namespace convoy::store
