#include "src/sim/run_context.h"

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

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
      loads_(model, *platform_, &meter_),
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
