#include "src/sim/run_context.h"

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/sim/flow.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

// A VM's own traffic never ends on its own: a flow longer than any simulation, cancelled when
// the VM pauses or the run ends.
constexpr double kEndlessBytes = 1e18;
// A VM's computation, likewise endless.
constexpr double kEndlessFlops = 1e18;

double MbpsToBytesPerS(double mbps) { return mbps * 1e6 / 8.0; }

std::vector<sg4::Host*> HostsOf(const model::ClusterModel& model, const Platform& platform) {
  std::vector<sg4::Host*> hosts;
  for (std::size_t h = 0; h < model.hosts().size(); ++h) {
    hosts.push_back(platform.host(static_cast<int>(h)));
  }
  return hosts;
}

}  // namespace

RunContext::RunContext(const model::ClusterModel& model, const SimOptions& options,
                       std::unique_ptr<Platform> platform)
    : model_(model),
      options_(options),
      platform_(std::move(platform)),
      meter_(HostsOf(model, *platform_)),
      vms_(model.vms().size()),
      mutex_(sg4::Mutex::create()),
      wake_(sg4::ConditionVariable::create()) {
  for (const auto& vm : model.vms()) {
    vm_variation_.emplace_back(options.seed, absl::StrCat("vm:", vm.name), options.variation_pct);
  }
  for (const auto& host : model.hosts()) {
    host_variation_.emplace_back(options.seed, absl::StrCat("host:", host.name),
                                 options.variation_pct);
  }
}

void RunContext::LoadVm(int vm, int host) {
  VmState& s = vms_[vm];
  s.host = host;
  s.cpu = sg4::Exec::init();
  s.cpu->set_flops_amount(kEndlessFlops);
  s.cpu->set_host(platform_->host(host));
  s.cpu->set_bound(static_cast<double>(std::max(1, model_.vms()[vm].vcpus)));
  s.cpu->start();
  meter_.Touch(host);
}

void RunContext::StartTraffic(int vm) {
  VmState& s = vms_[vm];
  const auto& info = model_.vms()[vm];
  sg4::Host* h = platform_->host(s.host);
  if (info.net_out_mbps > 0) {
    s.out = StartFlow(h, platform_->world(), kEndlessBytes, MbpsToBytesPerS(info.net_out_mbps));
  }
  if (info.net_in_mbps > 0) {
    s.in = StartFlow(platform_->world(), h, kEndlessBytes, MbpsToBytesPerS(info.net_in_mbps));
  }
}

void RunContext::PauseVm(int vm) {
  VmState& s = vms_[vm];
  for (auto* activity :
       {static_cast<sg4::Activity*>(s.cpu.get()), static_cast<sg4::Activity*>(s.out.get()),
        static_cast<sg4::Activity*>(s.in.get())}) {
    if (activity != nullptr) activity->cancel();
  }
  s.cpu = nullptr;
  s.out = nullptr;
  s.in = nullptr;
  if (s.host >= 0) meter_.Touch(s.host);
  s.host = -1;
}

void RunContext::StopAll() {
  for (std::size_t vm = 0; vm < vms_.size(); ++vm) {
    if (vms_[vm].host >= 0) PauseVm(static_cast<int>(vm));
  }
}

void RunContext::Post(Event event) {
  std::unique_lock<sg4::Mutex> lock(*mutex_);
  events_.push_back(std::move(event));
  wake_->notify_one();
}

std::vector<Event> RunContext::WaitEvents() {
  std::unique_lock<sg4::Mutex> lock(*mutex_);
  while (events_.empty()) wake_->wait(lock);
  std::vector<Event> out(std::make_move_iterator(events_.begin()),
                         std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

}  // namespace convoy::sim
