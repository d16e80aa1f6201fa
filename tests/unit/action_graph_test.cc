#include "controller/action_graph.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace convoy::controller {
namespace {

v1::Migration M(const std::string& vm, const std::string& from, const std::string& to,
                double start, double end, double mbps, const std::string& app = "",
                uint32_t group = 0) {
  v1::Migration m;
  m.set_vm(vm);
  m.set_from(from);
  m.set_to(to);
  m.set_start_s(start);
  m.set_end_s(end);
  m.set_bandwidth_mbps(mbps);
  m.set_coordinated_app(app);
  m.set_group(group);
  return m;
}

v1::Action* Find(Actions& actions, const std::string& id) {
  for (auto& a : actions) {
    if (a.id() == id) return &a;
  }
  return nullptr;
}

std::vector<std::string> Deps(Actions& actions, const std::string& id) {
  const auto* a = Find(actions, id);
  return {a->depends_on().begin(), a->depends_on().end()};
}

TEST(ActionGraphTest, MigrationsWaitForBootsAndForTheMigrationsPlannedBeforeThemOnTheirHosts) {
  v1::Plan plan;
  *plan.add_migrations() = M("a", "h1", "h3", 0, 10, 1000);
  *plan.add_migrations() = M("b", "h1", "h3", 10, 20, 1000);
  *plan.add_migrations() = M("c", "h2", "h4", 0, 15, 1000);
  auto* boot = plan.add_power();
  boot->set_host("h4");
  boot->set_action("boot");
  auto* off = plan.add_power();
  off->set_host("h1");
  off->set_action("shutdown");
  auto actions = BuildActions(plan);
  ASSERT_EQ(actions.size(), 5);
  EXPECT_TRUE(Deps(actions, "migrate:a").empty());
  EXPECT_EQ(Deps(actions, "migrate:b"), std::vector<std::string>{"migrate:a"});
  EXPECT_EQ(Deps(actions, "migrate:c"), std::vector<std::string>{"boot:h4"});
  auto off_deps = Deps(actions, "shutdown:h1");
  std::sort(off_deps.begin(), off_deps.end());
  EXPECT_EQ(off_deps, (std::vector<std::string>{"migrate:a", "migrate:b"}));
  for (const auto& a : actions) EXPECT_EQ(a.state(), kPending);
}

TEST(ActionGraphTest, ReadyFollowsDependenciesNotTheClock) {
  v1::Plan plan;
  *plan.add_migrations() = M("a", "h1", "h3", 0, 10, 1000);
  *plan.add_migrations() = M("b", "h1", "h3", 10, 20, 1000);
  auto actions = BuildActions(plan);
  Capacity cap;
  cap.host_mbps = {{"h1", 1000}, {"h3", 1000}};
  EXPECT_EQ(ReadyActions(actions, cap), std::vector<std::string>{"migrate:a"});
  Find(actions, "migrate:a")->set_state(kRunning);
  EXPECT_TRUE(ReadyActions(actions, cap).empty());
  // a finished early: b starts at once, not at its planned 10 s.
  Find(actions, "migrate:a")->set_state(kDone);
  EXPECT_EQ(ReadyActions(actions, cap), std::vector<std::string>{"migrate:b"});
}

TEST(ActionGraphTest, BandwidthIsCheckedOnBothHostsAndASequentialHostTakesOneAtATime) {
  v1::Plan plan;
  *plan.add_migrations() = M("a", "h1", "h3", 0, 10, 600);
  *plan.add_migrations() = M("b", "h2", "h3", 0, 10, 600);
  *plan.add_migrations() = M("c", "h2", "h4", 0, 10, 300);
  auto actions = BuildActions(plan);
  Capacity cap;
  cap.host_mbps = {{"h1", 1000}, {"h2", 1000}, {"h3", 1000}, {"h4", 1000}};
  // b does not fit next to a on h3; c fits next to a (it shares no host with it).
  EXPECT_EQ(ReadyActions(actions, cap), (std::vector<std::string>{"migrate:a", "migrate:c"}));
  Find(actions, "migrate:c")->set_state(kRunning);
  cap.sequential_hosts.insert("h2");
  Find(actions, "migrate:a")->set_state(kDone);
  EXPECT_TRUE(ReadyActions(actions, cap).empty()) << "h2 already runs c";
  cap.sequential_hosts.clear();
  EXPECT_EQ(ReadyActions(actions, cap), std::vector<std::string>{"migrate:b"});
}

TEST(ActionGraphTest, AnIdleHostAdmitsAMigrationWiderThanItsNic) {
  v1::Plan plan;
  *plan.add_migrations() = M("a", "h1", "h2", 0, 10, 5000);
  auto actions = BuildActions(plan);
  Capacity cap;
  cap.host_mbps = {{"h1", 1000}, {"h2", 1000}};
  EXPECT_EQ(ReadyActions(actions, cap), std::vector<std::string>{"migrate:a"});
}

TEST(ActionGraphTest, ACommaGroupStartsTogetherOrNotAtAll) {
  v1::Plan plan;
  *plan.add_migrations() = M("boot-blocked", "h1", "h5", 0, 10, 100, "web", 1);
  *plan.add_migrations() = M("free", "h1", "h3", 0, 10, 100, "web", 1);
  *plan.add_migrations() = M("other", "h2", "h3", 0, 10, 100, "web", 2);
  auto* boot = plan.add_power();
  boot->set_host("h5");
  boot->set_action("boot");
  auto actions = BuildActions(plan);
  Capacity cap;
  auto ready = ReadyActions(actions, cap);
  EXPECT_EQ(std::count(ready.begin(), ready.end(), "migrate:free"), 0)
      << "its group mate waits for a boot";
  EXPECT_EQ(std::count(ready.begin(), ready.end(), "migrate:other"), 1);
  EXPECT_EQ(std::count(ready.begin(), ready.end(), "boot:h5"), 1);
  Find(actions, "boot:h5")->set_state(kDone);
  ready = ReadyActions(actions, cap);
  EXPECT_EQ(std::count(ready.begin(), ready.end(), "migrate:free"), 1);
  EXPECT_EQ(std::count(ready.begin(), ready.end(), "migrate:boot-blocked"), 1);
}

TEST(ActionGraphTest, AFailedMigrationSkipsTheShutdownOfItsHostTransitively) {
  v1::Plan plan;
  *plan.add_migrations() = M("a", "h1", "h3", 0, 10, 1000);
  *plan.add_migrations() = M("b", "h1", "h3", 10, 20, 1000);
  auto* off = plan.add_power();
  off->set_host("h1");
  off->set_action("shutdown");
  auto actions = BuildActions(plan);
  Find(actions, "migrate:a")->set_state(kFailed);
  auto skip = ActionsToSkip(actions);
  ASSERT_EQ(skip.size(), 2u);
  EXPECT_EQ(skip["migrate:b"], "migrate:a failed");
  EXPECT_NE(skip["shutdown:h1"].find("migrate:"), std::string::npos);
}

}  // namespace
}  // namespace convoy::controller
