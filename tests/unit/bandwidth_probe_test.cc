// The agent-to-agent bandwidth probe over loopback.
#include "agent/bandwidth_probe.h"

#include <gtest/gtest.h>

namespace convoy::agent {
namespace {

TEST(BandwidthProbeTest, MeasuresABoundedTransfer) {
  auto server = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  auto figures = RunProbe("127.0.0.1:" + std::to_string((*server)->port()), 8 << 20, 5);
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures->bytes, 8u << 20);  // the receiver confirms every byte
  EXPECT_GT(figures->mbps, 0);
  EXPECT_LT(figures->seconds, 6);
}

TEST(BandwidthProbeTest, TimeBoundStopsTheSender) {
  auto server = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  auto figures = RunProbe("127.0.0.1:" + std::to_string((*server)->port()), 1ULL << 40, 0.3);
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_LT(figures->seconds, 3);
  EXPECT_GT(figures->bytes, 0u);
}

TEST(BandwidthProbeTest, UnreachableTargetIsUnavailable) {
  auto server = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  server->reset();  // nothing listens there any more
  auto figures = RunProbe("127.0.0.1:" + std::to_string(port), 1 << 20, 1);
  EXPECT_EQ(figures.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RunProbe("no-port", 1, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convoy::agent
