// What the agent reports of its host and VMs, against the fake hypervisor.
#include "agent/inventory.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/fakes/fake_hypervisor.h"

namespace convoy::agent {
namespace {

TEST(InventoryTest, ReportsFactsRatesAndDirtyRates) {
  convoy::testing::FakeHypervisor hv;
  hv.AddDomain("web", 256);
  hv.AddDomain("db", 512);
  hv.SetDirtyRate("web", 12.5);
  Inventory inventory(&hv, "h1", "qemu:///system");

  v1::DescribeRequest first;
  auto report = inventory.Describe(first);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->name(), "h1");
  EXPECT_EQ(report->cpus(), 8u);
  ASSERT_EQ(report->vms_size(), 2);
  EXPECT_EQ(report->vms(1).name(), "web");
  EXPECT_EQ(report->vms(1).dirty_rate().status(), "not-measured");
  EXPECT_DOUBLE_EQ(report->vms(1).taps(0).rx_mbps(), 0);  // nothing to compare with yet

  hv.SetTapCounters("web", 10'000'000, 2'000'000);
  v1::DescribeRequest second;
  second.set_rate_window_ms(200);
  second.set_dirty_rate_period_s(1);
  second.add_vms("web");
  report = inventory.Describe(second);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->vms_size(), 1);
  const auto& web = report->vms(0);
  EXPECT_EQ(web.dirty_rate().status(), "measured");
  EXPECT_DOUBLE_EQ(web.dirty_rate().mibps(), 12.5);
  EXPECT_EQ(web.taps(0).rx_bytes(), 10'000'000u);

  // The counters grow by 1 MB received in ~0.2 s: about 40 Mb/s.
  std::thread bump([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hv.SetTapCounters("web", 11'000'000, 2'000'000);
  });
  v1::DescribeRequest third;
  third.set_rate_window_ms(200);
  third.add_vms("web");
  report = inventory.Describe(third);
  bump.join();
  ASSERT_TRUE(report.ok());
  EXPECT_NEAR(report->vms(0).taps(0).rx_mbps(), 40, 8);
  EXPECT_DOUBLE_EQ(report->vms(0).taps(0).tx_mbps(), 0);
}

TEST(InventoryTest, ClearErrors) {
  convoy::testing::FakeHypervisor hv;
  hv.AddDomain("web", 256);
  Inventory inventory(&hv, "h1", "qemu:///system");
  v1::DescribeRequest unknown;
  unknown.add_vms("ghost");
  EXPECT_EQ(inventory.Describe(unknown).status().code(), absl::StatusCode::kNotFound);
  v1::DescribeRequest bad_mode;
  bad_mode.set_dirty_rate_mode("telepathy");
  EXPECT_EQ(inventory.Describe(bad_mode).status().code(), absl::StatusCode::kInvalidArgument);
  v1::DescribeRequest too_long;
  too_long.set_dirty_rate_period_s(3600);
  EXPECT_EQ(inventory.Describe(too_long).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convoy::agent
