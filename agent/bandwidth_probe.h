// The bandwidth probe between two agents (the iperf of the papers): one agent listens, another
// sends it a bounded amount of data over TCP and times it. Both ends bound their work (bytes and
// seconds), so a probe can never run away.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "convoy/common/status.h"

namespace convoy::agent {

struct ProbeFigures {
  double mbps = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

// Accepts probe connections on `address` (host:port; port 0 picks one), reads what each sends
// (at most kMaxProbeBytes or kMaxProbeSeconds), then answers with the byte count it received.
class ProbeServer {
 public:
  static constexpr uint64_t kMaxProbeBytes = 4ULL << 30;
  static constexpr double kMaxProbeSeconds = 30;

  static StatusOr<std::unique_ptr<ProbeServer>> Start(const std::string& address);
  ~ProbeServer();
  int port() const { return port_; }

 private:
  ProbeServer() = default;
  void Serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends to the probe server at `target` (host:port) for at most `max_bytes` and `max_seconds`
// (capped at 30 s) and returns the rate the receiver confirmed. UNAVAILABLE when it cannot
// connect; DEADLINE_EXCEEDED when the receiver does not confirm.
StatusOr<ProbeFigures> RunProbe(const std::string& target, uint64_t max_bytes, double max_seconds);

}  // namespace convoy::agent
