// A client of one Open vSwitch bridge's OpenFlow management socket (OpenFlow 1.3): adds and
// deletes the agent's flows (told apart by cookie) and reads their counters. One connection,
// made when first needed and made again after an error. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/ovs/openflow_codec.h"
#include "agent/ovs/stream.h"
#include "convoy/common/status.h"

namespace convoy::agent::ovs {

class OpenFlowClient {
 public:
  // `endpoint`: e.g. "unix:/run/openvswitch/br0.mgmt".
  explicit OpenFlowClient(std::string endpoint, int timeout_ms = 5000);

  // Adds `flows` (a flow with the same match and priority is replaced) and returns once the
  // switch has applied them: FAILED_PRECONDITION with the switch's error when it refused one.
  Status AddFlows(const std::vector<openflow::FlowSpec>& flows);
  // Deletes every flow whose cookie matches `cookie` under `cookie_mask`.
  Status DeleteFlows(uint64_t cookie, uint64_t cookie_mask);
  // The flows whose cookie matches, with their counters.
  StatusOr<std::vector<openflow::FlowStats>> DumpFlows(uint64_t cookie, uint64_t cookie_mask);

  const std::string& endpoint() const { return endpoint_; }

 private:
  Status ConnectLocked();
  // Sends `messages` then a barrier, and waits for the barrier's reply; the first error the
  // switch sent for any of them is returned.
  Status SendAndSync(const std::vector<std::string>& messages);
  StatusOr<std::string> ReadMessage();  // one whole message; answers echo requests
  uint32_t NextXid() { return next_xid_++; }

  const std::string endpoint_;
  const int timeout_ms_;
  std::mutex mu_;
  std::unique_ptr<Stream> stream_;
  std::string buffer_;
  uint32_t next_xid_ = 1;
};

}  // namespace convoy::agent::ovs
