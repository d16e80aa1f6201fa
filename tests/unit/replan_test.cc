// Re-planning of the migrations that have not started: which may be re-planned, the request
// that moves them, and how a new plan replaces the old one (or does not).
#include "controller/replan.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace convoy::controller {
namespace {

v1::Migration M(const std::string& vm, const std::string& from, const std::string& to,
                double start, double end, double mbps, const std::string& mode = "pre-copy",
                const std::string& app = "", uint32_t group = 0) {
  v1::Migration m;
  m.set_vm(vm);
  m.set_from(from);
  m.set_to(to);
  m.set_start_s(start);
  m.set_end_s(end);
  m.set_bandwidth_mbps(mbps);
  m.set_mode(mode);
  m.set_coordinated_app(app);
  m.set_group(group);
  return m;
}

v1::Action& Get(Actions& actions, const std::string& id) {
  for (auto& a : actions) {
    if (a.id() == id) return a;
  }
  ADD_FAILURE() << "no action " << id;
  return actions[0];
}

std::vector<std::string> Deps(Actions& actions, const std::string& id) {
  const auto& a = Get(actions, id);
  std::vector<std::string> deps(a.depends_on().begin(), a.depends_on().end());
  std::sort(deps.begin(), deps.end());
  return deps;
}

v1::Plan Feasible() {
  v1::Plan plan;
  plan.set_feasible(true);
  return plan;
}

// h1: a then b then c over one NIC; d from h2 onto h4, which boots first.
Actions Operation() {
  v1::Plan plan = Feasible();
  *plan.add_migrations() = M("a", "h1", "h3", 0, 10, 1000);
  *plan.add_migrations() = M("b", "h1", "h3", 10, 20, 1000);
  *plan.add_migrations() = M("c", "h1", "h3", 20, 30, 1000);
  *plan.add_migrations() = M("d", "h2", "h4", 5, 15, 1000);
  auto* boot = plan.add_power();
  boot->set_host("h4");
  boot->set_action("boot");
  return BuildActions(plan);
}

TEST(ReplanTest, OnlyPendingMigrationsWhoseDestinationIsUpAreReplanned) {
  Actions actions = Operation();
  Get(actions, "migrate:a").set_state(kRunning);
  EXPECT_EQ(ReplannableMigrations(actions),
            (std::vector<std::string>{"migrate:b", "migrate:c"}))
      << "a runs; d waits for the boot of h4";
  Get(actions, "boot:h4").set_state(kDone);
  EXPECT_EQ(ReplannableMigrations(actions),
            (std::vector<std::string>{"migrate:b", "migrate:c", "migrate:d"}));
}

TEST(ReplanTest, ACommaGroupIsReplannedWholeAndNeverOnceAMemberStarted) {
  v1::Plan plan = Feasible();
  *plan.add_migrations() = M("web", "h1", "h3", 0, 10, 500, "pre-copy", "shop", 0);
  *plan.add_migrations() = M("db", "h2", "h4", 0, 10, 500, "pre-copy", "shop", 0);
  *plan.add_migrations() = M("app", "h1", "h3", 10, 20, 500, "pre-copy", "shop", 1);
  *plan.add_migrations() = M("cache", "h2", "h5", 10, 20, 500, "pre-copy", "shop", 1);
  auto* boot = plan.add_power();
  boot->set_host("h5");
  boot->set_action("boot");
  Actions actions = BuildActions(plan);
  EXPECT_EQ(ReplannableMigrations(actions), (std::vector<std::string>{"migrate:web", "migrate:db"}))
      << "group 1 waits for cache's destination: app is held back with it";
  Get(actions, "boot:h5").set_state(kDone);
  Get(actions, "migrate:web").set_state(kRunning);
  EXPECT_EQ(ReplannableMigrations(actions),
            (std::vector<std::string>{"migrate:app", "migrate:cache"}))
      << "db's group has started (web runs)";
}

TEST(ReplanTest, TheRequestMovesThePendingVmsToTheirPlannedDestinations) {
  Actions actions = Operation();
  v1::EvacuationRequest original;
  original.add_evacuate("h1");
  original.set_mode("auto");
  original.set_strategy("comma-exact");
  original.set_downtime_ms(150);
  original.set_deadline_s(3600);
  original.set_power_off(true);
  const auto r = ReplanRequest(original, actions, {"migrate:b", "migrate:d"});
  EXPECT_TRUE(r.evacuate().empty());
  ASSERT_EQ(r.moves_size(), 2);
  EXPECT_EQ(r.moves(0).vm(), "b");
  EXPECT_EQ(r.moves(0).to(), "h3");
  EXPECT_EQ(r.moves(1).vm(), "d");
  EXPECT_EQ(r.moves(1).to(), "h4");
  EXPECT_EQ(r.mode(), "auto");
  EXPECT_EQ(r.strategy(), "comma-exact");
  EXPECT_EQ(r.downtime_ms(), 150);
  EXPECT_EQ(r.deadline_s(), 0);
  EXPECT_FALSE(r.power_off());
}

TEST(ReplanTest, ANewModeReplacesThePlannedEntryAndKeepsDependenciesOnRunningMigrations) {
  Actions actions = Operation();
  Get(actions, "migrate:a").set_state(kRunning);
  // c's VM now dirties memory faster than the NIC: post-copy, and it goes first.
  v1::Plan plan = Feasible();
  *plan.add_migrations() = M("c", "h1", "h3", 0, 8, 1000, "post-copy");
  *plan.add_migrations() = M("b", "h1", "h3", 8, 18, 1000);
  auto changes = ApplyReplan(plan, {"migrate:b", "migrate:c"}, 0.1, &actions);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 2);
  const auto& c = Get(actions, "migrate:c");
  EXPECT_EQ(c.planned().mode(), "post-copy");
  EXPECT_DOUBLE_EQ(c.predicted_s(), 8);
  EXPECT_EQ(Deps(actions, "migrate:c"), std::vector<std::string>{"migrate:a"})
      << "c no longer waits for b, still for a (running, not re-planned)";
  EXPECT_EQ(Deps(actions, "migrate:b"), (std::vector<std::string>{"migrate:a", "migrate:c"}));
  bool described = false;
  for (const auto& change : *changes) {
    if (change.id == "migrate:c") {
      described = change.what.find("pre-copy at 1000 Mb/s -> post-copy at 1000 Mb/s") !=
                  std::string::npos;
    }
  }
  EXPECT_TRUE(described);
}

TEST(ReplanTest, ThePlanStaysWhenNothingMaterialChanged) {
  Actions actions = Operation();
  Get(actions, "migrate:a").set_state(kRunning);
  const Actions before = actions;
  v1::Plan plan = Feasible();
  *plan.add_migrations() = M("b", "h1", "h3", 0, 9, 1050);  // 5% more bandwidth
  *plan.add_migrations() = M("c", "h1", "h3", 9, 18, 1050);
  auto changes = ApplyReplan(plan, {"migrate:b", "migrate:c"}, 0.1, &actions);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_TRUE(changes->empty());
  for (int i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(actions[i].DebugString(), before[i].DebugString());
  }
}

TEST(ReplanTest, NewGroupsNeverJoinAGroupThatStarted) {
  v1::Plan plan = Feasible();
  *plan.add_migrations() = M("web", "h1", "h3", 0, 10, 500, "pre-copy", "shop", 0);
  *plan.add_migrations() = M("db", "h2", "h4", 10, 20, 1000, "pre-copy", "shop", 1);
  *plan.add_migrations() = M("app", "h2", "h4", 20, 30, 1000, "pre-copy", "shop", 2);
  Actions actions = BuildActions(plan);
  Get(actions, "migrate:web").set_state(kRunning);
  // Measured figures make db and app one group, numbered 0 by the new plan.
  v1::Plan fresh = Feasible();
  *fresh.add_migrations() = M("db", "h2", "h4", 0, 10, 500, "pre-copy", "shop", 0);
  *fresh.add_migrations() = M("app", "h2", "h4", 0, 10, 500, "pre-copy", "shop", 0);
  auto changes = ApplyReplan(fresh, {"migrate:db", "migrate:app"}, 0.1, &actions);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(changes->size(), 2);
  const uint32_t db_group = Get(actions, "migrate:db").planned().group();
  EXPECT_EQ(db_group, Get(actions, "migrate:app").planned().group());
  EXPECT_NE(db_group, Get(actions, "migrate:web").planned().group());
  EXPECT_GE(db_group, 3u);
}

TEST(ReplanTest, AnInfeasibleOrIncompletePlanChangesNothing) {
  Actions actions = Operation();
  const Actions before = actions;
  v1::Plan infeasible;
  infeasible.add_reasons("h3: not enough memory");
  *infeasible.add_migrations() = M("b", "h1", "h3", 0, 10, 1000, "post-copy");
  auto r = ApplyReplan(infeasible, {"migrate:b"}, 0.1, &actions);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("not enough memory"), std::string::npos);

  v1::Plan elsewhere = Feasible();
  *elsewhere.add_migrations() = M("b", "h1", "h4", 0, 10, 1000, "post-copy");
  r = ApplyReplan(elsewhere, {"migrate:b"}, 0.1, &actions);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("does not move b to h3"), std::string::npos);
  for (int i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(actions[i].DebugString(), before[i].DebugString());
  }
}

}  // namespace
}  // namespace convoy::controller
