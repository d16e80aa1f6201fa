// The maintenance planner: table cases (small clusters, what the plan must do) and property
// tests over seeded random clusters (what every plan must respect).
#include "convoy/plan/planner.h"

#include <gtest/gtest.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "tests/unit/plan_checks.h"

namespace convoy::plan {
namespace {

struct Planned {
  model::ClusterModel model;
  v1::Plan plan;
};

v1::Scenario Parse(const std::string& yaml) {
  auto s = model::ParseScenario(yaml);
  EXPECT_TRUE(s.ok()) << s.status();
  Status valid = model::ValidateScenario(*s);
  EXPECT_TRUE(valid.ok()) << valid;
  return *s;
}

Planned PlanYaml(const std::string& yaml, const std::string& strategy = "convoy") {
  v1::Scenario s = Parse(yaml);
  auto m = model::ClusterModel::Build(s);
  EXPECT_TRUE(m.ok()) << m.status();
  auto plan = MakePlanWithStrategy(*m, s.request(), strategy);
  EXPECT_TRUE(plan.ok()) << plan.status();
  auto problems = testing::CheckBandwidth(*m, *plan);
  if (plan->feasible()) problems = testing::CheckPlan(*m, s.request(), *plan);
  EXPECT_TRUE(problems.empty()) << strategy << ":\n" << absl::StrJoin(problems, "\n");
  return {*std::move(m), *std::move(plan)};
}

const v1::Migration& Find(const v1::Plan& plan, const std::string& vm) {
  for (const auto& m : plan.migrations()) {
    if (m.vm() == vm) return m;
  }
  ADD_FAILURE() << "no migration of " << vm;
  return plan.migrations(0);
}

// Two blade-centers joined by a 3 x 1 Gb/s aggregate; three sources with one VM each.
constexpr char kLag[] = R"(
hosts:
  - {name: s0, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 0}
  - {name: s1, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 1}
  - {name: s2, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 2}
  - {name: d0, switch: B, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 3}
  - {name: d1, switch: B, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 6}
  - {name: d2, switch: B, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 4}
  - {name: d3, switch: B, nic_gbps: 1, cpus: 8, memory_gib: 24, hash_id: 5}
links:
  - {a: A, b: B, gbps: 3, members: 3}
vms:
  - {name: v0, host: s0, vcpus: 2, memory_gib: 2, used_mib: 1000, dirty_mibps: 5}
  - {name: v1, host: s1, vcpus: 2, memory_gib: 2, used_mib: 1000, dirty_mibps: 5}
  - {name: v2, host: s2, vcpus: 2, memory_gib: 2, used_mib: 1000, dirty_mibps: 5}
request: {evacuate: [s0, s1, s2], power_off: false}
)";

TEST(PlannerTest, PairsFlowsOntoDifferentAggregateMembers) {
  // Hash (src ^ dst) % 3: d0 (3) and d1 (6) put s0, s1, s2 on members 0, 1, 2 alike, so the
  // naive first fit would put s0->d0 and s1->d1... The planner must end with three distinct
  // members, so that all three migrations run at full speed together.
  Planned p = PlanYaml(kLag);
  std::set<int> members;
  for (const auto& mig : p.plan.migrations()) {
    const int src = *p.model.FindHost(mig.from());
    const int dst = *p.model.FindHost(mig.to());
    members.insert(p.model.MemberFor(0, src, dst));
    EXPECT_DOUBLE_EQ(mig.start_s(), 0) << mig.vm();
    EXPECT_NEAR(mig.bandwidth_mbps(), 940, 1e-6) << mig.vm();
  }
  EXPECT_EQ(members.size(), 3u);
  EXPECT_TRUE(p.plan.feasible());
}

// One source with four VMs that dirty 45 MiB/s (seed 000 Fig. 3 at 200 requests/s).
constexpr char kFourOnOneLink[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 16, memory_gib: 24}
  - {name: d, switch: A, nic_gbps: 10, cpus: 16, memory_gib: 24}
vms:
  - {name: v1, host: s, vcpus: 2, memory_gib: 2, used_mib: 800, dirty_mibps: 45, wws_mib: 64}
  - {name: v2, host: s, vcpus: 2, memory_gib: 2, used_mib: 800, dirty_mibps: 45, wws_mib: 64}
  - {name: v3, host: s, vcpus: 2, memory_gib: 2, used_mib: 800, dirty_mibps: 45, wws_mib: 64}
  - {name: v4, host: s, vcpus: 2, memory_gib: 2, used_mib: 800, dirty_mibps: 45, wws_mib: 64}
request: {evacuate: [s], mode: pre-copy, downtime_ms: 30, power_off: false}
)";

TEST(PlannerTest, NeverMoreMigrationsOnALinkThanConverge) {
  for (const char* strategy : {"convoy", "sequential"}) {
    Planned p = PlanYaml(kFourOnOneLink, strategy);
    EXPECT_TRUE(p.plan.feasible()) << strategy << absl::StrJoin(p.plan.reasons(), "; ");
    for (const auto& a : p.plan.migrations()) {
      int overlapping = 0;
      for (const auto& b : p.plan.migrations()) {
        overlapping += b.start_s() <= a.start_s() && b.end_s() > a.start_s() ? 1 : 0;
      }
      EXPECT_LE(overlapping, 2) << strategy;
    }
  }
  // All four at once share 940 Mb/s: 28 MiB/s each, below the 45 MiB/s dirty rate.
  Planned parallel = PlanYaml(kFourOnOneLink, "parallel");
  EXPECT_FALSE(parallel.plan.feasible());
  EXPECT_NE(absl::StrJoin(parallel.plan.reasons(), "\n").find("does not converge"),
            std::string::npos);
}

constexpr char kBoot[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16, boot_s: 100, shutdown_s: 20,
     power: {idle_w: 100, max_w: 200, boot_w: 250}}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16, boot_s: 100, shutdown_s: 20,
     online: false, power: {idle_w: 100, max_w: 200, boot_w: 250}}
vms:
  - {name: v, host: s, vcpus: 8, memory_gib: 4, used_mib: 1000, dirty_mibps: 1}
request: {evacuate: [s]}
)";

TEST(PlannerTest, BootsEarlyAndShutsDownAsSoonAsEmpty) {
  Planned p = PlanYaml(kBoot);
  ASSERT_EQ(p.plan.power_size(), 2);
  EXPECT_EQ(p.plan.power(0).action(), "boot");
  EXPECT_DOUBLE_EQ(p.plan.power(0).start_s(), 0);
  EXPECT_DOUBLE_EQ(Find(p.plan, "v").start_s(), 100);
  EXPECT_EQ(p.plan.power(1).action(), "shutdown");
  EXPECT_DOUBLE_EQ(p.plan.power(1).start_s(), Find(p.plan, "v").end_s());
  EXPECT_DOUBLE_EQ(p.plan.makespan_s(), p.plan.power(1).end_s());
  EXPECT_DOUBLE_EQ(p.plan.eviction_s().at("s"), Find(p.plan, "v").end_s());
  // s draws 200 W (fully used) throughout its life, d 250 W while booting then 200 W.
  EXPECT_DOUBLE_EQ(p.plan.peak_power_w(), 450);
  EXPECT_EQ(p.plan.peak_online_hosts(), 2u);
}

TEST(PlannerTest, PowerBudgetBelowTheBootPeakIsInfeasible) {
  std::string yaml = std::string(kBoot) + "  power_budget_w: 400\n";
  yaml.replace(yaml.find("request: {evacuate: [s]}"), 24, "request:\n  evacuate: [s]");
  v1::Scenario s = Parse(yaml);
  auto m = model::ClusterModel::Build(s);
  ASSERT_TRUE(m.ok());
  auto plan = MakePlan(*m, s.request());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->feasible());
  EXPECT_NE(absl::StrJoin(plan->reasons(), "\n").find("400 W"), std::string::npos)
      << absl::StrJoin(plan->reasons(), "\n");
}

// Two full sources, two offline destinations, and a licence for one extra host only.
constexpr char kLicence[] = R"(
hosts:
  - {name: s1, switch: A, nic_gbps: 1, cpus: 4, memory_gib: 8, boot_s: 50, shutdown_s: 10}
  - {name: s2, switch: A, nic_gbps: 1, cpus: 4, memory_gib: 8, boot_s: 50, shutdown_s: 10}
  - {name: d1, switch: A, nic_gbps: 1, cpus: 4, memory_gib: 8, boot_s: 50, shutdown_s: 10, online: false}
  - {name: d2, switch: A, nic_gbps: 1, cpus: 4, memory_gib: 8, boot_s: 50, shutdown_s: 10, online: false}
vms:
  - {name: v1, host: s1, vcpus: 4, memory_gib: 4, used_mib: 500}
  - {name: v2, host: s2, vcpus: 4, memory_gib: 4, used_mib: 500}
request:
  evacuate: [s1, s2]
  max_online_hosts: 3
)";

TEST(PlannerTest, MaxOnlineHostsSerialisesBootsBehindShutdowns) {
  Planned p = PlanYaml(kLicence);
  EXPECT_TRUE(p.plan.feasible()) << absl::StrJoin(p.plan.reasons(), "\n");
  EXPECT_LE(p.plan.peak_online_hosts(), 3u);
  // The second boot waits for the first source's shutdown to end.
  std::vector<const v1::PowerAction*> boots, shutdowns;
  for (const auto& a : p.plan.power()) (a.action() == "boot" ? boots : shutdowns).push_back(&a);
  ASSERT_EQ(boots.size(), 2u);
  ASSERT_EQ(shutdowns.size(), 2u);
  EXPECT_GE(boots[1]->start_s(), shutdowns[0]->end_s());

  // With no extra licence at all nothing can boot: infeasible, and the reason says why.
  std::string yaml = kLicence;
  yaml.replace(yaml.find("max_online_hosts: 3"), 19, "max_online_hosts: 2");
  v1::Scenario s = Parse(yaml);
  auto m = model::ClusterModel::Build(s);
  auto plan = MakePlan(*m, s.request());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->feasible());
  EXPECT_NE(absl::StrJoin(plan->reasons(), "\n").find("max_online_hosts"), std::string::npos)
      << absl::StrJoin(plan->reasons(), "\n");
}

TEST(PlannerTest, VmThatFitsNowhereIsNamed) {
  constexpr char kTooBig[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 32, memory_gib: 64}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: huge, host: s, vcpus: 16, memory_gib: 32}
  - {name: small, host: s, vcpus: 1, memory_gib: 1}
request: {evacuate: [s]}
)";
  v1::Scenario s = Parse(kTooBig);
  auto m = model::ClusterModel::Build(s);
  auto plan = MakePlan(*m, s.request());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->feasible());
  ASSERT_EQ(plan->reasons_size(), 1);
  EXPECT_NE(plan->reasons(0).find("VM huge"), std::string::npos) << plan->reasons(0);
  EXPECT_EQ(plan->migrations_size(), 1);  // small still has a place
}

TEST(PlannerTest, DeadlineTooShortIsInfeasibleWithTheReason) {
  std::string yaml = kFourOnOneLink;
  yaml.replace(yaml.find("power_off: false}"), 17, "power_off: false, deadline_s: 5}");
  v1::Scenario s = Parse(yaml);
  auto m = model::ClusterModel::Build(s);
  auto plan = MakePlan(*m, s.request());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->feasible());
  EXPECT_NE(absl::StrJoin(plan->reasons(), "\n").find("deadline"), std::string::npos);
}

TEST(PlannerTest, AutoModeFallsBackToPostCopyWithAReason) {
  constexpr char kHot[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: hot, host: s, vcpus: 2, memory_gib: 4, used_mib: 2000, dirty_mibps: 500}
  - {name: calm, host: s, vcpus: 2, memory_gib: 4, used_mib: 2000, dirty_mibps: 1}
request: {evacuate: [s], power_off: false}
)";
  Planned p = PlanYaml(kHot);
  EXPECT_TRUE(p.plan.feasible());
  EXPECT_EQ(Find(p.plan, "hot").mode(), "post-copy");
  EXPECT_NE(Find(p.plan, "hot").note().find("pre-copy"), std::string::npos);
  EXPECT_EQ(Find(p.plan, "calm").mode(), "pre-copy");
}

TEST(PlannerTest, ExplicitMovesGoWhereAsked) {
  Planned p = PlanYaml(R"(
hosts:
  - {name: h1, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: h2, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: h3, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: a, host: h1, vcpus: 2, memory_gib: 2}
  - {name: b, host: h1, vcpus: 2, memory_gib: 2}
request: {moves: [{vm: a, to: h3}]}
)");
  ASSERT_EQ(p.plan.migrations_size(), 1);
  EXPECT_EQ(p.plan.migrations(0).to(), "h3");
  EXPECT_TRUE(p.plan.power().empty());
}

TEST(PlannerTest, UnknownNamesInTheRequestAreErrors) {
  v1::Scenario s = Parse(kBoot);
  auto m = model::ClusterModel::Build(s);
  v1::EvacuationRequest r;
  r.add_evacuate("nope");
  auto plan = MakePlan(*m, r);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(plan.status().message()).find("'nope'"), std::string::npos);
  v1::EvacuationRequest bad_strategy;
  bad_strategy.set_strategy("magic");
  EXPECT_EQ(MakePlan(*m, bad_strategy).status().code(), absl::StatusCode::kInvalidArgument);
}

constexpr char kShop[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: web, host: s, vcpus: 2, memory_gib: 2, used_mib: 1000, dirty_mibps: 5, app: shop}
  - {name: db, host: s, vcpus: 2, memory_gib: 2, used_mib: 500, dirty_mibps: 2, app: shop}
apps:
  - {name: shop, traffic: [{a: web, b: db, kbps: 800}]}
request: {evacuate: [s], power_off: false}
)";

// impact_mb must be eq. 1 recomputed from the plan's own finish times, whatever the strategy.
double Equation1(const v1::Plan& plan, double kbps) {
  return kbps * std::abs(Find(plan, "web").end_s() - Find(plan, "db").end_s()) / 8 / 1000;
}

TEST(PlannerTest, CommunicationImpactIsEquationOneOfComma) {
  Planned solo = PlanYaml(kShop, "solive");  // no coordination: one after the other
  EXPECT_GT(solo.plan.impact_mb(), 0);
  EXPECT_NEAR(solo.plan.impact_mb(), Equation1(solo.plan, 800), 1e-9);
  for (const char* strategy : {"convoy", "comma-exact", "comma-heuristic"}) {
    Planned p = PlanYaml(kShop, strategy);
    EXPECT_NEAR(p.plan.impact_mb(), Equation1(p.plan, 800), 1e-9) << strategy;
    // Both fit in one COMMA group (7 MiB/s of dirt on 112 MiB/s): they finish together.
    EXPECT_NEAR(p.plan.impact_mb(), 0, 1e-9) << strategy;
    EXPECT_EQ(Find(p.plan, "web").coordinated_app(), "shop") << strategy;
    EXPECT_LT(p.plan.impact_mb(), solo.plan.impact_mb()) << strategy;
  }
}

TEST(PlannerTest, SoliveOrderEmptiesOutgoingHeavyVmsFirstAndSaysSo) {
  Planned p = PlanYaml(R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: ni, host: s, vcpus: 1, memory_gib: 2, used_mib: 1000, net_in_mbps: 140}
  - {name: m, host: s, vcpus: 1, memory_gib: 2, used_mib: 1500, dirty_mibps: 20}
  - {name: no, host: s, vcpus: 1, memory_gib: 2, used_mib: 1000, net_out_mbps: 600}
request: {evacuate: [s], mode: post-copy, power_off: false}
)",
                       "solive");
  EXPECT_LT(Find(p.plan, "no").start_s(), Find(p.plan, "m").start_s());
  EXPECT_LT(Find(p.plan, "m").start_s(), Find(p.plan, "ni").start_s());
  ASSERT_GE(p.plan.notes_size(), 1);
  EXPECT_NE(p.plan.notes(0).find("SOLive"), std::string::npos) << p.plan.notes(0);
}

TEST(PlannerTest, UrgencyTurnsSlowPreCopiesIntoPostCopies) {
  constexpr char kBusy[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: busy, host: s, vcpus: 2, memory_gib: 4, used_mib: 2000, dirty_mibps: 80, wws_mib: 1500}
request: {evacuate: [s], power_off: false, urgency_pct: URGENCY}
)";
  auto with = [&](const std::string& urgency) {
    std::string yaml = kBusy;
    yaml.replace(yaml.find("URGENCY"), 7, urgency);
    return PlanYaml(yaml);
  };
  // 80 MiB/s of dirt on 112 MiB/s: pre-copy converges but slowly (about 2.6x post-copy).
  Planned calm = with("10");
  EXPECT_EQ(Find(calm.plan, "busy").mode(), "pre-copy") << Find(calm.plan, "busy").note();
  EXPECT_DOUBLE_EQ(Find(calm.plan, "busy").execution_transfer_s(),
                   Find(calm.plan, "busy").end_s() - Find(calm.plan, "busy").start_s());
  Planned urgent = with("95");
  const auto& m = Find(urgent.plan, "busy");
  EXPECT_EQ(m.mode(), "post-copy") << m.note();
  EXPECT_NE(m.note().find("urgency"), std::string::npos) << m.note();
  EXPECT_LT(m.execution_transfer_s(), 1.0);  // execution moves at once
}

// ---- Property tests over seeded random clusters -------------------------------------------

std::string RandomScenario(uint32_t seed, bool caps) {
  std::mt19937 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int switches = uniform(1, 4);
  const int hosts = uniform(3, 14);
  std::string y = "hosts:\n";
  std::vector<int> cpus(hosts), mem(hosts), used_cpu(hosts, 0), used_mem(hosts, 0);
  std::vector<bool> online(hosts);
  for (int h = 0; h < hosts; ++h) {
    cpus[h] = 4 * uniform(1, 4);
    mem[h] = 8 * uniform(1, 4);
    online[h] = h < 2 || uniform(0, 3) > 0;
    absl::StrAppend(
        &y, "  - {name: h", h, ", switch: sw", h < switches ? h : uniform(0, switches - 1),
        ", nic_gbps: ", uniform(0, 1) ? 10 : 1, ", cpus: ", cpus[h], ", memory_gib: ", mem[h],
        ", boot_s: ", uniform(10, 120), ", shutdown_s: ", uniform(5, 30),
        ", online: ", online[h] ? "true" : "false", ", power: {idle_w: ", uniform(80, 120),
        ", max_w: ", uniform(150, 250), ", boot_w: ", uniform(150, 300), "}}\n");
  }
  y += "links:\n";
  for (int s = 1; s < switches; ++s) {
    absl::StrAppend(&y, "  - {a: sw", uniform(0, s - 1), ", b: sw", s, ", gbps: ", uniform(1, 4),
                    ", members: ", uniform(1, 3), "}\n");
  }
  y += "vms:\n";
  int n = 0;
  for (int h = 0; h < hosts; ++h) {
    if (!online[h]) continue;
    for (int k = uniform(0, 5); k > 0; --k) {
      const int vcpus = uniform(1, 4);
      const int gib = uniform(1, 4);
      if (used_cpu[h] + vcpus > cpus[h] || used_mem[h] + gib > mem[h]) break;
      used_cpu[h] += vcpus;
      used_mem[h] += gib;
      absl::StrAppend(&y, "  - {name: v", n++, ", host: h", h, ", vcpus: ", vcpus,
                      ", memory_gib: ", gib, ", used_mib: ", uniform(100, gib * 1024),
                      ", dirty_mibps: ", uniform(0, 80), ", wws_mib: ", uniform(16, 512),
                      ", net_out_mbps: ", uniform(0, 200), ", net_in_mbps: ", uniform(0, 200),
                      ", disk_gib: ", uniform(0, 3) == 0 ? uniform(1, 4) : 0,
                      ", disk_dirty_mibps: ", uniform(0, 5), "}\n");
    }
  }
  y += "request:\n  evacuate: [";
  const int evacuate = uniform(1, std::max(1, hosts / 3));
  for (int i = 0; i < evacuate; ++i) absl::StrAppend(&y, i ? ", " : "", "h", i);
  y += "]\n";
  absl::StrAppend(&y, "  mode: ", uniform(0, 3) == 0 ? "pre-copy" : "auto", "\n");
  absl::StrAppend(&y, "  downtime_ms: ", uniform(30, 500), "\n");
  if (caps) {
    int online_now = 0;
    for (bool o : online) online_now += o ? 1 : 0;
    absl::StrAppend(&y, "  max_online_hosts: ", online_now + uniform(0, 3), "\n");
    absl::StrAppend(&y, "  power_budget_w: ", online_now * 250 + uniform(0, 600), "\n");
    absl::StrAppend(&y, "  deadline_s: ", uniform(60, 2000), "\n");
  }
  return y;
}

class PlannerPropertyTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PlannerPropertyTest, EveryStrategyRespectsTheInvariants) {
  for (bool caps : {false, true}) {
    const std::string yaml = RandomScenario(GetParam(), caps);
    SCOPED_TRACE(yaml);
    v1::Scenario s = Parse(yaml);
    auto m = model::ClusterModel::Build(s);
    ASSERT_TRUE(m.ok()) << m.status();
    for (const char* strategy : {"convoy", "sequential", "parallel"}) {
      auto plan = MakePlanWithStrategy(*m, s.request(), strategy);
      ASSERT_TRUE(plan.ok()) << plan.status();
      EXPECT_EQ(plan->feasible(), plan->reasons().empty());
      // Always: no link over capacity, no VM moved twice or to the wrong place.
      std::vector<std::string> problems = testing::CheckBandwidth(*m, *plan);
      for (auto& p : testing::CheckPlacement(*m, s.request(), *plan)) {
        // An infeasible plan may leave VMs unmoved (no room, or a cap that blocks a boot).
        if (plan->feasible() || p.find("moves 0 times") == std::string::npos) {
          problems.push_back(p);
        }
      }
      // The baselines ignore the caps; convoy keeps the timeline sound with and without them.
      if (std::string(strategy) == "convoy" || (!caps && std::string(strategy) == "sequential")) {
        for (auto& p : testing::CheckPowerAndCaps(*m, s.request(), *plan)) problems.push_back(p);
      }
      if (plan->feasible()) {
        for (auto& p : testing::CheckConvergence(*m, s.request(), *plan)) problems.push_back(p);
      }
      EXPECT_TRUE(problems.empty()) << strategy << ":\n"
                                    << absl::StrJoin(problems, "\n") << "\nreasons:\n"
                                    << absl::StrJoin(plan->reasons(), "\n");
    }
  }
}

TEST_P(PlannerPropertyTest, ConvoyIsNoSlowerThanSequentialWithoutCaps) {
  const std::string yaml = RandomScenario(GetParam(), false);
  v1::Scenario s = Parse(yaml);
  auto m = model::ClusterModel::Build(s);
  auto convoy = MakePlanWithStrategy(*m, s.request(), "convoy");
  auto sequential = MakePlanWithStrategy(*m, s.request(), "sequential");
  ASSERT_TRUE(convoy.ok() && sequential.ok());
  EXPECT_LE(convoy->makespan_s(), sequential->makespan_s() + 1e-6) << yaml;
}

INSTANTIATE_TEST_SUITE_P(Seeds, PlannerPropertyTest, ::testing::Range(1u, 201u));

}  // namespace
}  // namespace convoy::plan
