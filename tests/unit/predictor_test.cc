// Tests of the migration predictor (include/convoy/predict/predictor.h). Every expected value is
// computed by hand in the comments; bandwidths are chosen as powers of two where possible so the
// arithmetic is exact.
#include "convoy/predict/predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "convoy/common/units.h"
#include "gtest/gtest.h"

namespace convoy::predict {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative closeness, for values computed along different paths.
::testing::AssertionResult RelNear(double expected, double actual, double rel) {
  const double tol = rel * std::max(std::fabs(expected), std::fabs(actual));
  if (std::fabs(expected - actual) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << expected << ", got " << actual << " (relative error "
         << std::fabs(expected - actual) / std::fabs(expected) << " > " << rel << ")";
}

PredictorConfig DefaultConfig() {
  PredictorConfig c;
  c.downtime_ms = 300;
  c.max_rounds = 30;
  c.switchover_ms = 20;
  return c;
}

MigrationProfile Vm(double used_mib, double dirty_mibps, double wws_mib) {
  MigrationProfile vm;
  vm.used_mib = used_mib;
  vm.dirty_mibps = dirty_mibps;
  vm.wws_mib = wws_mib;
  return vm;
}

// ---------------------------------------------------------------------------------------------
// Pre-copy

TEST(PredictPreCopyTest, ZeroDirtyRateIsOneRoundAndTheStop) {
  // N = 1024 MiB, B = 128 MiB/s, S = 0. Round 1 sends 1024 MiB in 8 s; nothing was dirtied, so
  // 0 MiB is left, which fits in the downtime: stop. total = 1024/128 + 0.020 = 8.02 s,
  // downtime = 0/128 + switchover = 20 ms, rounds = 1 + the stop = 2, sent = 1024 MiB.
  const Prediction p = PredictPreCopy(Vm(1024, 0, 1024), 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_DOUBLE_EQ(p.total_s, 8.02);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 20.0);
  EXPECT_DOUBLE_EQ(p.sent_mib, 1024.0);
  EXPECT_EQ(p.rounds, 2u);
  EXPECT_DOUBLE_EQ(p.storage_s, 0.0);
}

TEST(PredictPreCopyTest, GeometricRoundsHandComputed) {
  // N = 1024 MiB, S = 32 MiB/s, B = 128 MiB/s (ratio S/B = 1/4), WWS = N (no bound), downtime
  // 300 ms so the stop takes at most 128 * 0.3 = 38.4 MiB.
  //   round 1: 1024 MiB, 8 s     -> dirtied 32 * 8   = 256 MiB
  //   round 2:  256 MiB, 2 s     -> dirtied 32 * 2   =  64 MiB
  //   round 3:   64 MiB, 0.5 s   -> dirtied 32 * 0.5 =  16 MiB <= 38.4: stop
  //   stop:      16 MiB, 0.125 s + 0.020 s switchover = 0.145 s
  // total = 8 + 2 + 0.5 + 0.145 = 10.645 s; downtime 145 ms; sent 1360 MiB; rounds 3 + 1 = 4.
  const Prediction p = PredictPreCopy(Vm(1024, 32, 1024), 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_DOUBLE_EQ(p.total_s, 10.645);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 145.0);
  EXPECT_DOUBLE_EQ(p.sent_mib, 1360.0);
  EXPECT_EQ(p.rounds, 4u);
}

// SOLive eq. 2: without a WWS bound (wws >= used) the rounds take
//   T_rounds = sum_{i=1..n} N/B * (S/B)^(i-1) = N/B * (1 - r^n) / (1 - r),  r = S/B,
// and the stop sends the data dirtied during round n, N * r^n, in N*r^n/B + switchover.
// The model's stopping rule: keep doing rounds while what is pending exceeds B * downtime, so n
// is the smallest n >= 1 with N * r^n <= B * downtime (given N > B * downtime).
void CheckEquation2(double n_mib, double s_mibps, double b_mibps, const PredictorConfig& config) {
  const double r = s_mibps / b_mibps;
  const double stop_mib = b_mibps * config.downtime_ms / 1000.0;
  ASSERT_GT(n_mib, stop_mib);
  ASSERT_LT(r, 1.0);
  uint32_t n = 1;
  while (n_mib * std::pow(r, n) > stop_mib) ++n;
  ASSERT_LE(n, config.max_rounds) << "choose parameters that converge";
  const double rounds_s = n_mib / b_mibps * (1.0 - std::pow(r, n)) / (1.0 - r);
  const double left_mib = n_mib * std::pow(r, n);
  const double stop_s = left_mib / b_mibps + config.switchover_ms / 1000.0;

  // wws well above used: the bound never bites.
  const Prediction p = PredictPreCopy(Vm(n_mib, s_mibps, 2 * n_mib), b_mibps, config);
  EXPECT_TRUE(p.converges);
  EXPECT_EQ(p.rounds, n + 1);
  EXPECT_TRUE(RelNear(rounds_s + stop_s, p.total_s, 1e-9));
  EXPECT_TRUE(RelNear(stop_s * 1000.0, p.downtime_ms, 1e-9));
  // Also sum the series term by term, as eq. 2 writes it.
  double series_s = 0;
  for (uint32_t i = 1; i <= n; ++i) {
    series_s += n_mib / b_mibps * std::pow(r, static_cast<double>(i - 1));
  }
  EXPECT_TRUE(RelNear(series_s, p.total_s - stop_s, 1e-9));
  // Data sent: N * (1 + r + ... + r^n).
  EXPECT_TRUE(RelNear(n_mib * (1.0 - std::pow(r, n + 1)) / (1.0 - r), p.sent_mib, 1e-9));
}

TEST(PredictPreCopyTest, SoliveEquation2WithoutWwsBound) {
  const PredictorConfig config = DefaultConfig();
  CheckEquation2(1024, 32, 128, config);  // n = 3, as above
  // The minimal scenario's web VM on a 1 Gb/s NIC at 94% goodput.
  CheckEquation2(1500, 12, MbpsToMibps(940), config);
  // A busier VM, close to the convergence limit.
  CheckEquation2(8192, 90, MbpsToMibps(1000), config);
  PredictorConfig tight = config;
  tight.downtime_ms = 30;
  tight.switchover_ms = 5;
  CheckEquation2(4096, 50, MbpsToMibps(10000) * 0.1, tight);
}

TEST(PredictPreCopyTest, WwsBoundsLaterRounds) {
  // As the geometric case (N = 1024, S = 32, B = 128) but WWS = 100 MiB:
  //   round 1: 1024 MiB, 8 s        -> dirtied min(32 * 8, 100) = min(256, 100) = 100 MiB
  //   round 2:  100 MiB, 0.78125 s  -> dirtied min(32 * 0.78125, 100) = 25 MiB <= 38.4: stop
  //   stop:      25 MiB, 0.1953125 s + 0.02 s = 0.2153125 s
  // total = 8 + 0.78125 + 0.2153125 = 8.9965625 s; sent = 1024 + 100 + 25 = 1149 MiB.
  const Prediction p = PredictPreCopy(Vm(1024, 32, 100), 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_EQ(p.rounds, 3u);
  EXPECT_DOUBLE_EQ(p.total_s, 8.9965625);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 215.3125);
  EXPECT_DOUBLE_EQ(p.sent_mib, 1149.0);
  // Without the bound it takes the 4 rounds of the geometric case; the bound only shortens it.
  EXPECT_LT(p.total_s, PredictPreCopy(Vm(1024, 32, 1024), 128, DefaultConfig()).total_s);
}

TEST(PredictPreCopyTest, DoesNotConvergeWhenDirtyRateExceedsBandwidth) {
  // N = 1024, S = 200 > B = 128, WWS = 512 (far above the 38.4 MiB the stop allows).
  //   round 1: 1024 MiB, 8 s -> dirtied min(1600, 512) = 512
  //   rounds 2..30: 512 MiB, 4 s each -> dirtied min(800, 512) = 512 every time
  // The cap (30 rounds) is reached with 512 MiB pending: the VM stops for 512/128 + 0.02 s.
  // total = 8 + 29 * 4 + 4.02 = 128.02 s; downtime 4020 ms; sent = 1024 + 30 * 512 = 16384 MiB.
  const PredictorConfig config = DefaultConfig();
  const Prediction p = PredictPreCopy(Vm(1024, 200, 512), 128, config);
  EXPECT_FALSE(p.converges);
  EXPECT_EQ(p.rounds, config.max_rounds + 1);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 4020.0);
  EXPECT_GT(p.downtime_ms, 10 * config.downtime_ms);
  EXPECT_DOUBLE_EQ(p.total_s, 128.02);
  EXPECT_DOUBLE_EQ(p.sent_mib, 16384.0);

  // The cap follows the config: with max_rounds = 5, rounds = 6 and total = 8 + 4*4 + 4.02.
  PredictorConfig five = config;
  five.max_rounds = 5;
  const Prediction q = PredictPreCopy(Vm(1024, 200, 512), 128, five);
  EXPECT_FALSE(q.converges);
  EXPECT_EQ(q.rounds, 6u);
  EXPECT_DOUBLE_EQ(q.total_s, 28.02);
}

TEST(PredictPreCopyTest, NonPositiveBandwidthIsImpossible) {
  for (const double b : {0.0, -1.0, -kInf, std::numeric_limits<double>::quiet_NaN()}) {
    const Prediction pre = PredictPreCopy(Vm(1024, 10, 64), b, DefaultConfig());
    EXPECT_FALSE(pre.converges) << b;
    EXPECT_EQ(pre.total_s, kInf) << b;
    const Prediction post = PredictPostCopy(Vm(1024, 10, 64), b, DefaultConfig());
    EXPECT_FALSE(post.converges) << b;
    EXPECT_EQ(post.total_s, kInf) << b;
    const Prediction stop = PredictStopAndCopy(Vm(1024, 10, 64), b, DefaultConfig());
    EXPECT_FALSE(stop.converges) << b;
    EXPECT_EQ(stop.total_s, kInf) << b;
  }
}

// ---------------------------------------------------------------------------------------------
// Post-copy and stop-and-copy

TEST(PredictPostCopyTest, SoliveEquation1) {
  // SOLive eq. 1: T = N/B + switchover = 1024/128 + 0.02 = 8.02 s; the pause is the switchover
  // only, whatever the dirty rate (S = 500 > B would never converge in pre-copy).
  const Prediction p = PredictPostCopy(Vm(1024, 500, 1024), 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_DOUBLE_EQ(p.total_s, 8.02);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 20.0);
  EXPECT_DOUBLE_EQ(p.sent_mib, 1024.0);
  EXPECT_EQ(p.rounds, 1u);
  EXPECT_DOUBLE_EQ(p.storage_s, 0.0);

  PredictorConfig c = DefaultConfig();
  c.switchover_ms = 7;
  const double b = MbpsToMibps(940);
  const Prediction q = PredictPostCopy(Vm(1500, 12, 64), b, c);
  EXPECT_TRUE(RelNear(1500 / b + 0.007, q.total_s, 1e-12));
  EXPECT_DOUBLE_EQ(q.downtime_ms, 7.0);
}

TEST(PredictStopAndCopyTest, DowntimeIsTheWholeMigration) {
  // Everything goes with the VM stopped: total = 1024/128 + 0.02 = 8.02 s = the downtime.
  const Prediction p = PredictStopAndCopy(Vm(1024, 32, 1024), 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_DOUBLE_EQ(p.total_s, 8.02);
  EXPECT_DOUBLE_EQ(p.downtime_ms, 8020.0);
  EXPECT_DOUBLE_EQ(p.downtime_ms, p.total_s * 1000.0);
  EXPECT_DOUBLE_EQ(p.sent_mib, 1024.0);
}

// ---------------------------------------------------------------------------------------------
// Storage pre-copy

TEST(PredictPreCopyTest, StoragePreCopyCopiesTheDiskFirst) {
  // Disk 10240 MiB written at 4 MiB/s; memory N = 1024, S = 32, B = 128; stop <= 38.4 MiB.
  //   disk round 1: 10240 MiB, 80 s  -> dirty blocks min(4 * 80, 10240) = 320 MiB
  //   disk round 2:   320 MiB, 2.5 s -> dirty blocks 4 * 2.5 = 10 MiB <= 38.4: go with memory
  // storage_s = 82.5 s. Memory then starts with 1024 + 10 MiB, dirtied at 32 + 4 = 36 MiB/s.
  MigrationProfile vm = Vm(1024, 32, 1024);
  vm.disk_mib = 10240;
  vm.disk_dirty_mibps = 4;
  const Prediction p = PredictPreCopy(vm, 128, DefaultConfig());
  EXPECT_TRUE(p.converges);
  EXPECT_GT(p.storage_s, 0.0);
  EXPECT_DOUBLE_EQ(p.storage_s, 82.5);
  EXPECT_GE(p.sent_mib, vm.disk_mib + vm.used_mib);
  EXPECT_GE(p.sent_mib, 10240 + 320 + 1024 + 10);
  EXPECT_GT(p.total_s, p.storage_s + (1024 + 10) / 128.0);
  EXPECT_LE(p.downtime_ms, 300.0 + 20.0);

  // Shared storage (disk_mib = 0): no storage phase, whatever disk_dirty_mibps says.
  MigrationProfile shared = vm;
  shared.disk_mib = 0;
  const Prediction q = PredictPreCopy(shared, 128, DefaultConfig());
  EXPECT_DOUBLE_EQ(q.storage_s, 0.0);
  EXPECT_DOUBLE_EQ(q.total_s, PredictPreCopy(Vm(1024, 32, 1024), 128, DefaultConfig()).total_s);
  EXPECT_LT(q.total_s, p.total_s);
}

// When the disk phase cannot converge (written at 200 MiB/s > B = 128 MiB/s), the dirty blocks
// left after the round cap go with the VM stopped: the migration does not converge, the downtime
// is at least 10240/128 s = 80 s, and sent_mib counts them.
TEST(PredictPreCopyTest, StoragePreCopyThatCannotConvergeStillSendsTheDisk) {
  MigrationProfile vm = Vm(10, 0, 10);
  vm.disk_mib = 10240;
  vm.disk_dirty_mibps = 200;
  const PredictorConfig config = DefaultConfig();
  const Prediction p = PredictPreCopy(vm, 128, config);
  // Disk rounds: 30 rounds of 10240 MiB (80 s each), 10240 MiB still dirty at the cap.
  EXPECT_DOUBLE_EQ(p.storage_s, 30 * 80.0);
  EXPECT_FALSE(p.converges);
  EXPECT_GE(p.downtime_ms, 10240.0 / 128.0 * 1000.0);
  EXPECT_GE(p.sent_mib, 31 * 10240.0 + 10.0);
}

// ---------------------------------------------------------------------------------------------
// MinConvergingBandwidth

TEST(MinConvergingBandwidthTest, IsTheConvergenceThreshold) {
  const PredictorConfig config = DefaultConfig();
  const std::vector<MigrationProfile> vms = {
      Vm(1024, 32, 1024),  // geometric, unbounded
      Vm(1300, 45, 64),    // httperf-like, WWS-bounded
      Vm(8192, 300, 2048),
      Vm(16384, 900, 16384),
  };
  for (const MigrationProfile& vm : vms) {
    const double b = MinConvergingBandwidth(vm, config);
    ASSERT_TRUE(std::isfinite(b)) << vm.used_mib;
    ASSERT_GT(b, 0.0) << vm.used_mib;
    EXPECT_TRUE(PredictPreCopy(vm, b, config).converges) << vm.used_mib;
    EXPECT_TRUE(PredictPreCopy(vm, 1.01 * b, config).converges) << vm.used_mib;
    EXPECT_FALSE(PredictPreCopy(vm, 0.99 * b, config).converges) << vm.used_mib;
  }
}

TEST(MinConvergingBandwidthTest, InfiniteWhenItCannotConvergeWithinMax) {
  // S = 2000 MiB/s with the whole memory writable: at B = 1000 MiB/s every round re-sends
  // min(2000 * t, 4096) = 4096 MiB, never below 1000 * 0.3 = 300 MiB.
  const PredictorConfig config = DefaultConfig();
  const MigrationProfile vm = Vm(4096, 2000, 4096);
  EXPECT_FALSE(PredictPreCopy(vm, 1000, config).converges);
  EXPECT_EQ(MinConvergingBandwidth(vm, config, 1000), kInf);
  // With the default max (10^6 MiB/s) it is finite, and above 1000 MiB/s: with the whole memory
  // writable nothing converges until B is near S = 2000 MiB/s.
  const double b = MinConvergingBandwidth(vm, config);
  EXPECT_TRUE(std::isfinite(b));
  EXPECT_GT(b, 1000.0);
}

TEST(PredictPreCopyTest, MonotoneInBandwidth) {
  const PredictorConfig config = DefaultConfig();
  const std::vector<MigrationProfile> vms = {
      Vm(1024, 32, 1024), Vm(1300, 45, 64),  Vm(8192, 300, 2048),
      Vm(1024, 200, 512), Vm(2048, 0, 2048), Vm(16384, 900, 16384),
  };
  for (const MigrationProfile& vm : vms) {
    for (double b = 1.0; b <= 65536.0; b *= 1.25) {
      const Prediction at_b = PredictPreCopy(vm, b, config);
      const Prediction at_2b = PredictPreCopy(vm, 2 * b, config);
      if (at_b.converges) {
        EXPECT_TRUE(at_2b.converges) << "used " << vm.used_mib << " at " << b;
      }
      EXPECT_LE(at_2b.total_s, at_b.total_s * (1 + 1e-12)) << "used " << vm.used_mib << " at " << b;
      const Prediction next = PredictPreCopy(vm, b * 1.25, config);
      EXPECT_LE(next.total_s, at_b.total_s * (1 + 1e-12)) << "used " << vm.used_mib << " at " << b;
      if (at_b.converges) {
        EXPECT_TRUE(next.converges) << "used " << vm.used_mib << " at " << b;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Seed 000, Fig. 3: a VM serving httperf at 200 requests/s (about 1300 MiB used, 45 MiB/s of
// unique dirtying, a 64 MiB writable working set) with a 30 ms downtime limit migrates over a
// 1 Gb/s link (94% goodput) shared by two migrations, but not shared by three.
//   shared by 2: B = 470 Mb/s = 56.03 MiB/s > 45: after round 1 each round sends 45/56 = 0.80 of
//     the previous one, from 64 MiB down to 56.03 * 0.03 = 1.68 MiB: 18 rounds in all < 30.
//   shared by 3: B = 313 Mb/s = 37.35 MiB/s < 45: every round re-sends the 64 MiB WWS.
TEST(PredictPreCopyTest, Seed000Figure3HttperfSharedLink) {
  PredictorConfig config = DefaultConfig();
  config.downtime_ms = 30;
  const MigrationProfile httperf = Vm(1300, 45, 64);

  const Prediction two = PredictPreCopy(httperf, MbpsToMibps(1000 * 0.94 / 2), config);
  EXPECT_TRUE(two.converges);
  EXPECT_LE(two.rounds, config.max_rounds);
  EXPECT_LE(two.downtime_ms, config.downtime_ms + config.switchover_ms + 1e-9);

  const Prediction three = PredictPreCopy(httperf, MbpsToMibps(1000 * 0.94 / 3), config);
  EXPECT_FALSE(three.converges);
  EXPECT_EQ(three.rounds, config.max_rounds + 1);
  EXPECT_GT(three.downtime_ms, 1000.0);  // 64 MiB at 37 MiB/s: over a second

  const double threshold = MinConvergingBandwidth(httperf, config);
  EXPECT_LT(threshold, MbpsToMibps(1000 * 0.94 / 2));
  EXPECT_GT(threshold, MbpsToMibps(1000 * 0.94 / 3));
}

}  // namespace
}  // namespace convoy::predict
