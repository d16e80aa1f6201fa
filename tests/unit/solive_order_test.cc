// Tests of the SOLive migration order (src/plan/solive_order.h) against the paper (seed 002,
// Fernando, Yang, Lu, "SDN-based Order-aware Live Migration of Virtual Machines").
//
// The VMs' figures are the paper's:
// - N and S from Table I, given there in 4 KiB pages and pages/s; 256 pages make a MiB.
// - Network usage from IV-C, the 8-VM run on a 1 Gb/s full-duplex link (1% = 10 Mb/s): "the
//   outgoing network usage of NO, NO1, NI, and NI1 is 67.4%, 26.3%, 0.18%, and 1.8%, respectively,
//   and the incoming network usage of NO, NO1, NI, and NI1 is 0.28%, 0.64%, 14.52%, and 78%. The
//   network usage of M, M1, C, and C1 is about 0."
// The paper gives no per-VM traffic for the 4-VM runs (IV-A), only that NO runs an iPerf client
// and NI an iPerf server, and that NO leaves less than 55% of the outgoing bandwidth free (V-C).
// The 4-VM tests use the 8-VM figures for the same iPerf VMs, and one test checks that the order
// holds over a range of traffic levels, up to the ~900 Mb/s an iPerf VM can draw alone.
#include "src/plan/solive_order.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace convoy::plan {
namespace {

constexpr double kPagesPerMib = 256;  // 1 MiB / 4 KiB

// Ids deliberately run against the expected orders, so that a sort by id alone fails the tests.
enum Id { kNi1 = 0, kC1, kM1, kNo1, kNi, kC, kM, kNo };

const std::map<int, std::string>& Names() {
  static const auto* names = new std::map<int, std::string>{
      {kNo, "NO"},   {kM, "M"},   {kC, "C"},   {kNi, "NI"},
      {kNo1, "NO1"}, {kM1, "M1"}, {kC1, "C1"}, {kNi1, "NI1"},
  };
  return *names;
}

SoliveVm Vm(int id, double non_zero_pages, double dirty_pages_per_s, double out_percent,
            double in_percent) {
  SoliveVm vm;
  vm.id = id;
  vm.non_zero_mib = non_zero_pages / kPagesPerMib;
  vm.unique_dirty_mibps = dirty_pages_per_s / kPagesPerMib;
  vm.out_mbps = out_percent * 10;  // % of 1 Gb/s
  vm.in_mbps = in_percent * 10;
  return vm;
}

// Table I and IV-C.
SoliveVm No() { return Vm(kNo, 268694, 103, 67.4, 0.28); }
SoliveVm M() { return Vm(kM, 518280, 21062, 0, 0); }
SoliveVm C() { return Vm(kC, 334725, 3146, 0, 0); }
SoliveVm Ni() { return Vm(kNi, 276913, 1118, 0.18, 14.52); }
SoliveVm No1() { return Vm(kNo1, 317696, 926, 26.3, 0.64); }
SoliveVm M1() { return Vm(kM1, 430071, 4165, 0, 0); }
SoliveVm C1() { return Vm(kC1, 392307, 1825, 0, 0); }
SoliveVm Ni1() { return Vm(kNi1, 322825, 1502, 1.8, 78); }

// Input orders unlike any expected output.
std::vector<SoliveVm> FourVms() { return {Ni(), C(), No(), M()}; }
std::vector<SoliveVm> EightVms() { return {C1(), Ni(), M1(), No1(), Ni1(), C(), No(), M()}; }

std::vector<std::string> NamesOf(const SoliveOrder& order) {
  std::vector<std::string> out;
  for (int id : order.ids) out.push_back(Names().at(id));
  return out;
}

std::string ClassOf(const std::string& why) {
  for (const char* klass : {"outgoing-heavy", "balanced", "incoming-heavy"}) {
    if (why.rfind(klass, 0) == 0) return klass;
  }
  return "?";
}

std::vector<std::string> ClassesOf(const SoliveOrder& order) {
  std::vector<std::string> out;
  for (const std::string& why : order.why) out.push_back(ClassOf(why));
  return out;
}

const SoliveVm& Find(const std::vector<SoliveVm>& vms, int id) {
  for (const SoliveVm& vm : vms) {
    if (vm.id == id) return vm;
  }
  ADD_FAILURE() << "no VM " << id;
  return vms.front();
}

// Section IV-A/IV-C, Fig. 3: "Orders NO/M/C/NI and NO/C/M/NI have the lowest TMT (about 53s)";
// the bandwidth-reservation section calls NO/M/C/NI "the best migration order".
TEST(SoliveOrderTest, FourVmPostCopyIsNoMCNi) {
  const SoliveOrder order = OrderForEviction(FourVms(), SoliveMode::kPostCopy);
  EXPECT_EQ(NamesOf(order), (std::vector<std::string>{"NO", "M", "C", "NI"}));
  EXPECT_EQ(ClassesOf(order),
            (std::vector<std::string>{"outgoing-heavy", "balanced", "balanced", "incoming-heavy"}));
}

// Fig. 2: "when migrating the four VMs using pre-copy, the migration order NO/M/C/NI has the lowest
// TMT".
TEST(SoliveOrderTest, FourVmPreCopyIsNoMCNi) {
  const SoliveOrder order = OrderForEviction(FourVms(), SoliveMode::kPreCopy);
  EXPECT_EQ(NamesOf(order), (std::vector<std::string>{"NO", "M", "C", "NI"}));
  EXPECT_EQ(ClassesOf(order),
            (std::vector<std::string>{"outgoing-heavy", "balanced", "balanced", "incoming-heavy"}));
}

// The paper states no traffic for the 4-VM runs; the order must not hinge on the figures chosen.
TEST(SoliveOrderTest, FourVmOrderHoldsOverTrafficLevels) {
  for (double no_out : {460.0, 674.0, 900.0}) {
    for (double ni_in : {145.2, 500.0, 900.0}) {
      std::vector<SoliveVm> vms = FourVms();
      for (SoliveVm& vm : vms) {
        if (vm.id == kNo) vm.out_mbps = no_out;
        if (vm.id == kNi) vm.in_mbps = ni_in;
      }
      for (SoliveMode mode : {SoliveMode::kPostCopy, SoliveMode::kPreCopy}) {
        EXPECT_EQ(NamesOf(OrderForEviction(vms, mode)),
                  (std::vector<std::string>{"NO", "M", "C", "NI"}))
            << "NO out " << no_out << " Mb/s, NI in " << ni_in << " Mb/s";
      }
    }
  }
}

// Order 19 of Fig. 4: NO/NO1/M/M1/C/C1/NI/NI1. Pre-copy (IV-D): "order 19 has the lowest total
// migration time (597s) ... Our scheduling algorithm chooses order 19 or 26".
TEST(SoliveOrderTest, EightVmPreCopyIsOrder19) {
  const SoliveOrder order = OrderForEviction(EightVms(), SoliveMode::kPreCopy);
  EXPECT_EQ(NamesOf(order),
            (std::vector<std::string>{"NO", "NO1", "M", "M1", "C", "C1", "NI", "NI1"}));
}

// Post-copy (IV-C): "the TMT of order 19, 21, 26, and 28 are the lowest (about 108s). Our
// scheduling algorithm chooses order 19 or 26, because NO has lower N/(outgoing-incoming) than NO1
// and NI has higher N/(incoming-outgoing) than NI1."
TEST(SoliveOrderTest, EightVmPostCopyClassesAndKeys) {
  const std::vector<SoliveVm> vms = EightVms();
  const SoliveOrder order = OrderForEviction(vms, SoliveMode::kPostCopy);
  ASSERT_EQ(order.ids.size(), 8u);
  ASSERT_EQ(order.why.size(), 8u);
  EXPECT_EQ(ClassesOf(order),
            (std::vector<std::string>{"outgoing-heavy", "outgoing-heavy", "balanced", "balanced",
                                      "balanced", "balanced", "incoming-heavy", "incoming-heavy"}));

  // Keys sorted as the rules say, checked on the inputs rather than the output's text.
  for (std::size_t i = 0; i + 1 < order.ids.size(); ++i) {
    const SoliveVm& a = Find(vms, order.ids[i]);
    const SoliveVm& b = Find(vms, order.ids[i + 1]);
    const std::string klass = ClassOf(order.why[i]);
    if (klass != ClassOf(order.why[i + 1])) continue;
    if (klass == "outgoing-heavy") {
      EXPECT_LE(a.non_zero_mib / (a.out_mbps - a.in_mbps),
                b.non_zero_mib / (b.out_mbps - b.in_mbps))
          << i;
    } else if (klass == "incoming-heavy") {
      EXPECT_GE(a.non_zero_mib / (a.in_mbps - a.out_mbps),
                b.non_zero_mib / (b.in_mbps - b.out_mbps))
          << i;
    } else {
      EXPECT_GE(a.unique_dirty_mibps, b.unique_dirty_mibps) << i;
    }
  }
  // The paper's reasons, and its choice.
  EXPECT_LT(No().non_zero_mib / (No().out_mbps - No().in_mbps),
            No1().non_zero_mib / (No1().out_mbps - No1().in_mbps));
  EXPECT_GT(Ni().non_zero_mib / (Ni().in_mbps - Ni().out_mbps),
            Ni1().non_zero_mib / (Ni1().in_mbps - Ni1().out_mbps));
  EXPECT_EQ(NamesOf(order),
            (std::vector<std::string>{"NO", "NO1", "M", "M1", "C", "C1", "NI", "NI1"}));
}

// IV-D's "with VMs having high unique page dirty rate migrated first" does not outrank the ratio:
// NI1 dirties faster than NI (1502 > 1118 pages/s), yet the paper's choice, order 19, ends NI/NI1
// because "NI has higher N/(incoming-outgoing) then NI1".
TEST(SoliveOrderTest, PreCopyRatioOutranksDirtyRate) {
  ASSERT_GT(Ni1().unique_dirty_mibps, Ni().unique_dirty_mibps);
  const SoliveOrder order = OrderForEviction({Ni1(), Ni()}, SoliveMode::kPreCopy);
  EXPECT_EQ(NamesOf(order), (std::vector<std::string>{"NI", "NI1"}));
}

// Equal ratios: pre-copy sends the outgoing-heavy VM with the lower S first and the incoming-heavy
// VM with the higher S first; post-copy ignores S and goes by id.
TEST(SoliveOrderTest, PreCopyDirtyRateBreaksRatioTies) {
  auto vm = [](int id, double n, double out, double in, double s) {
    SoliveVm v;
    v.id = id;
    v.non_zero_mib = n;
    v.out_mbps = out;
    v.in_mbps = in;
    v.unique_dirty_mibps = s;
    return v;
  };
  // Outgoing-heavy, both N/(out-in) = 2: ids 1 (S 50) and 2 (S 5).
  // Incoming-heavy, both N/(in-out) = 4: ids 3 (S 5) and 4 (S 50).
  const std::vector<SoliveVm> vms = {vm(1, 200, 100, 0, 50), vm(2, 400, 250, 50, 5),
                                     vm(3, 400, 0, 100, 5), vm(4, 800, 25, 225, 50)};
  EXPECT_EQ(OrderForEviction(vms, SoliveMode::kPreCopy).ids, (std::vector<int>{2, 1, 4, 3}));
  EXPECT_EQ(OrderForEviction(vms, SoliveMode::kPostCopy).ids, (std::vector<int>{1, 2, 3, 4}));
}

TEST(SoliveOrderTest, EmptyInput) {
  for (SoliveMode mode : {SoliveMode::kPostCopy, SoliveMode::kPreCopy}) {
    const SoliveOrder order = OrderForEviction({}, mode);
    EXPECT_TRUE(order.ids.empty());
    EXPECT_TRUE(order.why.empty());
  }
}

// All balanced: descending S, then descending N, then id; the same in both modes.
TEST(SoliveOrderTest, AllBalanced) {
  std::vector<SoliveVm> vms = {M(), C1(), M1(), C()};
  // Give them small, near-equal traffic, within the default 10 Mb/s.
  vms[0].out_mbps = 3;
  vms[1].in_mbps = 9.5;
  vms[2].out_mbps = 4;
  vms[2].in_mbps = 1;
  SoliveVm same_s_more_n = C();  // same S as C, more N: goes before C
  same_s_more_n.id = 100;
  same_s_more_n.non_zero_mib += 1;
  vms.push_back(same_s_more_n);
  for (SoliveMode mode : {SoliveMode::kPostCopy, SoliveMode::kPreCopy}) {
    const SoliveOrder order = OrderForEviction(vms, mode);
    EXPECT_EQ(order.ids, (std::vector<int>{kM, kM1, 100, kC, kC1}));
    for (const std::string& why : order.why) EXPECT_EQ(ClassOf(why), "balanced") << why;
  }
}

// Identical keys in each class go by ascending id; identical ids keep their input order.
TEST(SoliveOrderTest, EqualKeysTieById) {
  for (SoliveMode mode : {SoliveMode::kPostCopy, SoliveMode::kPreCopy}) {
    for (auto [out, in] : {std::pair{500.0, 100.0}, std::pair{0.0, 0.0}, std::pair{100.0, 500.0}}) {
      std::vector<SoliveVm> vms;
      for (int id : {7, 3, 9, 1}) {
        SoliveVm vm;
        vm.id = id;
        vm.non_zero_mib = 1024;
        vm.out_mbps = out;
        vm.in_mbps = in;
        vm.unique_dirty_mibps = 8;
        vms.push_back(vm);
      }
      EXPECT_EQ(OrderForEviction(vms, mode).ids, (std::vector<int>{1, 3, 7, 9}))
          << out << " / " << in;
    }
  }
  // Same id twice: the input order decides, so the result is still deterministic.
  SoliveVm a;
  a.id = 5;
  a.non_zero_mib = 10;
  const SoliveVm b = a;
  const SoliveOrder order = OrderForEviction({a, b}, SoliveMode::kPreCopy);
  EXPECT_EQ(order.ids, (std::vector<int>{5, 5}));
}

// out == in is balanced whatever the threshold, even 0, so no ratio divides by zero.
TEST(SoliveOrderTest, OutEqualsInIsBalanced) {
  SoliveVm busy;
  busy.id = 1;
  busy.non_zero_mib = 2048;
  busy.out_mbps = 400;
  busy.in_mbps = 400;
  busy.unique_dirty_mibps = 1;
  SoliveVm out = busy;
  out.id = 2;
  out.in_mbps = 399;
  SoliveVm in = busy;
  in.id = 3;
  in.out_mbps = 399;
  for (SoliveMode mode : {SoliveMode::kPostCopy, SoliveMode::kPreCopy}) {
    const SoliveOrder order = OrderForEviction({in, busy, out}, mode, 0);
    EXPECT_EQ(order.ids, (std::vector<int>{2, 1, 3}));
    EXPECT_EQ(ClassesOf(order),
              (std::vector<std::string>{"outgoing-heavy", "balanced", "incoming-heavy"}));
    for (const std::string& why : order.why) {
      EXPECT_EQ(why.find("inf"), std::string::npos) << why;
      EXPECT_EQ(why.find("nan"), std::string::npos) << why;
    }
  }
}

// |out - in| equal to the threshold is balanced; above it, not.
TEST(SoliveOrderTest, ThresholdIsInclusive) {
  SoliveVm vm;
  vm.id = 1;
  vm.non_zero_mib = 100;
  vm.out_mbps = 30;
  vm.in_mbps = 10;
  EXPECT_EQ(ClassOf(OrderForEviction({vm}, SoliveMode::kPostCopy, 20).why[0]), "balanced");
  EXPECT_EQ(ClassOf(OrderForEviction({vm}, SoliveMode::kPostCopy, 19.5).why[0]), "outgoing-heavy");
  std::swap(vm.out_mbps, vm.in_mbps);
  EXPECT_EQ(ClassOf(OrderForEviction({vm}, SoliveMode::kPostCopy, 20).why[0]), "balanced");
  EXPECT_EQ(ClassOf(OrderForEviction({vm}, SoliveMode::kPostCopy, 19.5).why[0]), "incoming-heavy");
}

// The default threshold classes the paper's VMs as the paper does: M, M1, C and C1 ("about 0")
// are balanced, and the least net traffic of a VM the paper treats as network-intensive (NI,
// 145.2 - 1.8 = 143.4 Mb/s) is well above it.
TEST(SoliveOrderTest, DefaultThresholdMatchesThePaper) {
  EXPECT_EQ(kSoliveBalancedMbps, 10);
  const SoliveOrder order = OrderForEviction(EightVms(), SoliveMode::kPostCopy);
  const std::map<std::string, std::string> expected = {
      {"NO", "outgoing-heavy"}, {"NO1", "outgoing-heavy"}, {"M", "balanced"},
      {"M1", "balanced"},       {"C", "balanced"},         {"C1", "balanced"},
      {"NI", "incoming-heavy"}, {"NI1", "incoming-heavy"},
  };
  for (std::size_t i = 0; i < order.ids.size(); ++i) {
    const std::string name = Names().at(order.ids[i]);
    EXPECT_EQ(ClassOf(order.why[i]), expected.at(name)) << name;
  }
}

// The notes name the class and the key, for plan notes.
TEST(SoliveOrderTest, WhyNamesClassAndKey) {
  const SoliveOrder post = OrderForEviction(FourVms(), SoliveMode::kPostCopy);
  ASSERT_EQ(post.why.size(), 4u);
  EXPECT_NE(post.why[0].find("ascending N/(out-in)"), std::string::npos) << post.why[0];
  EXPECT_EQ(post.why[0].find("dirty"), std::string::npos) << post.why[0];
  EXPECT_NE(post.why[1].find("descending unique dirty rate"), std::string::npos) << post.why[1];
  EXPECT_NE(post.why[3].find("descending N/(in-out)"), std::string::npos) << post.why[3];
  const SoliveOrder pre = OrderForEviction(FourVms(), SoliveMode::kPreCopy);
  EXPECT_NE(pre.why[0].find("then ascending unique dirty rate"), std::string::npos) << pre.why[0];
  EXPECT_NE(pre.why[3].find("then descending unique dirty rate"), std::string::npos) << pre.why[3];
  // NO: 268694 pages = 1049.6 MiB over 674 - 2.8 = 671.2 Mb/s.
  EXPECT_NE(post.why[0].find("1049.6 MiB / 671.2 Mb/s = 1.564 MiB per Mb/s"), std::string::npos)
      << post.why[0];
}

// Bad figures do not break the sort: NaN and negatives count as 0, +inf as the largest double.
TEST(SoliveOrderTest, NonFiniteInputsStayDeterministic) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<SoliveVm> vms = FourVms();
  SoliveVm odd;
  odd.id = 50;
  odd.non_zero_mib = nan;
  odd.out_mbps = inf;
  odd.in_mbps = -5;
  odd.unique_dirty_mibps = nan;
  vms.push_back(odd);
  SoliveVm odd2 = odd;
  odd2.id = 51;
  odd2.non_zero_mib = inf;
  vms.push_back(odd2);
  const SoliveOrder first = OrderForEviction(vms, SoliveMode::kPreCopy, nan);
  ASSERT_EQ(first.ids.size(), 6u);
  // 50 has N 0, so ratio 0; 51 has N max over a net of max, ratio 1; NO's ratio is 1.56.
  EXPECT_EQ(first.ids, (std::vector<int>{50, 51, kNo, kM, kC, kNi}));
  EXPECT_EQ(OrderForEviction(vms, SoliveMode::kPreCopy, nan).ids, first.ids);
}

}  // namespace
}  // namespace convoy::plan
