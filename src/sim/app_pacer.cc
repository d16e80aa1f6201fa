#include "src/sim/app_pacer.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

void AppPacer::Join(const std::string& app, int vm, int group, double planned_bytes_per_s,
                    double app_bytes_per_s, double dirty_bytes_per_s) {
  App& a = apps_[app];
  if (a.mutex == nullptr) {
    a.mutex = sg4::Mutex::create();
    a.turn = sg4::ConditionVariable::create();
  }
  a.bytes_per_s = app_bytes_per_s;
  Member& m = a.running[vm];
  m.group = group;
  m.planned_bytes_per_s = planned_bytes_per_s;
  m.dirty_bytes_per_s = dirty_bytes_per_s;
}

bool AppPacer::InStage1(const App& a) {
  return std::any_of(a.running.begin(), a.running.end(),
                     [](const auto& entry) { return entry.second.first_pass; });
}

int AppPacer::CurrentGroup(const App& a) {
  int group = -1;
  for (const auto& [vm, m] : a.running) {
    if (group < 0 || m.group < group) group = m.group;
  }
  return group;
}

bool AppPacer::MaySend(const App& a, const Member& m) {
  if (m.first_pass) return true;
  return !InStage1(a) && m.group == CurrentGroup(a);
}

double AppPacer::Share(const App& a, const Member& m) {
  if (m.first_pass) return m.planned_bytes_per_s;
  const int group = CurrentGroup(a);
  int members = 0, catching_up = 0;
  double holding_bytes_per_s = 0;
  for (const auto& [vm, other] : a.running) {
    if (other.group != group) continue;
    ++members;
    if (other.ready) {
      holding_bytes_per_s += other.dirty_bytes_per_s;
    } else {
      ++catching_up;
    }
  }
  if (members == 0) return m.planned_bytes_per_s;
  if (a.released == group || catching_up == 0) return a.bytes_per_s / members;
  // Never less than a tenth of an even split, so that no member crawls.
  const double floor = 0.1 * a.bytes_per_s / members;
  if (m.ready) return std::max(m.dirty_bytes_per_s, floor);
  return std::max((a.bytes_per_s - holding_bytes_per_s) / catching_up, floor);
}

double AppPacer::WaitTurn(const std::string& app, int vm) {
  App& a = apps_.at(app);
  const double t0 = sg4::Engine::get_clock();
  std::unique_lock<sg4::Mutex> lock(*a.mutex);
  while (!MaySend(a, a.running.at(vm))) a.turn->wait(lock);
  return sg4::Engine::get_clock() - t0;
}

double AppPacer::LimitFor(const std::string& app, int vm) const {
  const App& a = apps_.at(app);
  return Share(a, a.running.at(vm));
}

void AppPacer::Track(const std::string& app, int vm, KernelAction* flow) {
  Member& m = apps_.at(app).running.at(vm);
  KernelAction* previous = std::exchange(m.flow, flow);
  // The kernel frees a flow's action when it ends; the reference keeps it readable here.
  InKernel([previous, flow] {
    if (flow != nullptr) flow->ref();
    if (previous != nullptr) previous->unref();
  });
}

void AppPacer::MovedOn(const std::string& app, int vm) {
  Member& m = apps_.at(app).running.at(vm);
  if (!m.first_pass) return;
  m.first_pass = false;
  Changed(app);
}

void AppPacer::Left(const std::string& app, int vm) {
  Track(app, vm, nullptr);
  apps_.at(app).running.erase(vm);
  Changed(app);
}

bool AppPacer::ReadyToStop(const std::string& app, int vm) {
  App& a = apps_.at(app);
  Member& m = a.running.at(vm);
  if (a.released == m.group) return true;
  m.ready = true;
  const bool all = std::all_of(a.running.begin(), a.running.end(), [&](const auto& entry) {
    return entry.second.group != m.group || entry.second.ready;
  });
  if (all) a.released = m.group;
  Changed(app);
  return all;
}

void AppPacer::WaitReleased(const std::string& app, int vm) {
  App& a = apps_.at(app);
  const int group = a.running.at(vm).group;
  std::unique_lock<sg4::Mutex> lock(*a.mutex);
  while (a.released != group) a.turn->wait(lock);
}

bool AppPacer::Holding(const std::string& app, int vm) const {
  const App& a = apps_.at(app);
  const Member& m = a.running.at(vm);
  return m.ready && a.released != m.group;
}

void AppPacer::Changed(const std::string& app) {
  const App* a = &apps_.at(app);
  // In the kernel, with the members as they are when it runs.
  InKernel([a] {
    for (const auto& [vm, m] : a->running) {
      if (m.flow == nullptr || m.flow->get_state() != KernelAction::State::STARTED) continue;
      SetFlowRateInKernel(m.flow, Share(*a, m), 1.0);
    }
  });
  std::unique_lock<sg4::Mutex> lock(*a->mutex);
  a->turn->notify_all();
}

}  // namespace convoy::sim
