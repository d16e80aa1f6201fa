#include "agent/ovs/openflow_client.h"

#include "absl/strings/str_cat.h"

namespace convoy::agent::ovs {

using openflow::Header;

OpenFlowClient::OpenFlowClient(std::string endpoint, int timeout_ms)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms) {}

StatusOr<std::string> OpenFlowClient::ReadMessage() {
  for (;;) {
    if (auto header = openflow::ReadHeader(buffer_)) {
      if (header->length < 8) {
        return absl::DataLossError(absl::StrCat(endpoint_, " sent a malformed OpenFlow header"));
      }
      if (buffer_.size() >= header->length) {
        std::string message = buffer_.substr(0, header->length);
        buffer_.erase(0, header->length);
        if (header->type == openflow::kEchoRequest) {
          CONVOY_RETURN_IF_ERROR(stream_->WriteAll(
              openflow::EncodeEchoReply(*header, std::string_view(message).substr(8)),
              timeout_ms_));
          continue;
        }
        return message;
      }
    }
    CONVOY_RETURN_IF_ERROR(stream_->ReadSome(&buffer_, timeout_ms_));
  }
}

Status OpenFlowClient::ConnectLocked() {
  if (stream_ != nullptr) return absl::OkStatus();
  CONVOY_ASSIGN_OR_RETURN(stream_, Stream::Connect(endpoint_, timeout_ms_));
  buffer_.clear();
  Status hello = [&]() -> Status {
    CONVOY_RETURN_IF_ERROR(stream_->WriteAll(openflow::EncodeHello(NextXid()), timeout_ms_));
    CONVOY_ASSIGN_OR_RETURN(const std::string reply, ReadMessage());
    const Header h = *openflow::ReadHeader(reply);
    if (h.type == openflow::kError) {
      return absl::FailedPreconditionError(
          absl::StrCat(endpoint_, " refused OpenFlow 1.3 (", openflow::DescribeError(reply),
                       "); allow it with: ovs-vsctl set bridge BRIDGE protocols=OpenFlow13,..."));
    }
    if (h.type != openflow::kHello || h.version < openflow::kVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(endpoint_, " does not speak OpenFlow 1.3 (hello version ",
                       static_cast<int>(h.version), ")"));
    }
    return absl::OkStatus();
  }();
  if (!hello.ok()) stream_.reset();
  return hello;
}

Status OpenFlowClient::SendAndSync(const std::vector<std::string>& messages) {
  CONVOY_RETURN_IF_ERROR(ConnectLocked());
  Status result = [&]() -> Status {
    std::string batch;
    for (const auto& m : messages) batch += m;
    const uint32_t barrier = NextXid();
    batch += openflow::EncodeBarrier(barrier);
    CONVOY_RETURN_IF_ERROR(stream_->WriteAll(batch, timeout_ms_));
    Status first_error = absl::OkStatus();
    for (;;) {
      CONVOY_ASSIGN_OR_RETURN(const std::string reply, ReadMessage());
      const Header h = *openflow::ReadHeader(reply);
      if (h.type == openflow::kError && first_error.ok()) {
        first_error = absl::FailedPreconditionError(
            absl::StrCat(endpoint_, " refused a flow: ", openflow::DescribeError(reply)));
      }
      if (h.type == openflow::kBarrierReply && h.xid == barrier) return first_error;
    }
  }();
  if (!result.ok() && !absl::IsFailedPrecondition(result)) stream_.reset();
  return result;
}

Status OpenFlowClient::AddFlows(const std::vector<openflow::FlowSpec>& flows) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> messages;
  for (const auto& f : flows) messages.push_back(openflow::EncodeAddFlow(NextXid(), f));
  return SendAndSync(messages);
}

Status OpenFlowClient::DeleteFlows(uint64_t cookie, uint64_t cookie_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  return SendAndSync({openflow::EncodeDeleteFlows(NextXid(), cookie, cookie_mask)});
}

StatusOr<std::vector<openflow::FlowStats>> OpenFlowClient::DumpFlows(uint64_t cookie,
                                                                     uint64_t cookie_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(ConnectLocked());
  auto dumped = [&]() -> StatusOr<std::vector<openflow::FlowStats>> {
    const uint32_t xid = NextXid();
    CONVOY_RETURN_IF_ERROR(
        stream_->WriteAll(openflow::EncodeFlowStatsRequest(xid, cookie, cookie_mask), timeout_ms_));
    std::vector<openflow::FlowStats> all;
    for (;;) {
      CONVOY_ASSIGN_OR_RETURN(const std::string reply, ReadMessage());
      const Header h = *openflow::ReadHeader(reply);
      if (h.xid != xid) continue;
      if (h.type == openflow::kError) {
        return absl::FailedPreconditionError(absl::StrCat(
            endpoint_, " refused the flow statistics request: ", openflow::DescribeError(reply)));
      }
      bool more = false;
      auto part = openflow::DecodeFlowStatsReply(reply, &more);
      if (!part.ok()) {
        return absl::DataLossError(absl::StrCat(endpoint_, ": ", part.status().message()));
      }
      all.insert(all.end(), part->begin(), part->end());
      if (!more) return all;
    }
  }();
  if (!dumped.ok() && !absl::IsFailedPrecondition(dumped.status())) stream_.reset();
  return dumped;
}

}  // namespace convoy::agent::ovs
