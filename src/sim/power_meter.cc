#include "src/sim/power_meter.h"

#include <simgrid/plugins/energy.h>

#include <algorithm>
#include <mutex>

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {
constexpr double kSettleS = 1e-3;
}  // namespace

PowerMeter::PowerMeter(std::vector<sg4::Host*> hosts)
    : hosts_(std::move(hosts)),
      watts_(hosts_.size(), 0),
      touched_(hosts_.size(), 0),
      touched_at_(hosts_.size(), 0),
      mutex_(sg4::Mutex::create()),
      wake_(sg4::ConditionVariable::create()) {}

void PowerMeter::Start(sg4::Host* where) {
  for (std::size_t h = 0; h < hosts_.size(); ++h) {
    if (touched_[h]) continue;
    touched_[h] = 1;
    pending_.push_back(static_cast<int>(h));
  }
  sg4::Actor::create("power-meter", where, [this] { Loop(); });
}

void PowerMeter::Touch(int h) {
  touched_at_[h] = sg4::Engine::get_clock();
  if (touched_[h]) return;
  touched_[h] = 1;
  std::unique_lock<sg4::Mutex> lock(*mutex_);
  pending_.push_back(h);
  wake_->notify_one();
}

void PowerMeter::Stop() {
  {
    std::unique_lock<sg4::Mutex> lock(*mutex_);
    stop_ = true;
    wake_->notify_one();
  }
  sg4::this_actor::sleep_for(2 * kSettleS);
}

void PowerMeter::Loop() {
  std::vector<int> batch;
  while (true) {
    {
      std::unique_lock<sg4::Mutex> lock(*mutex_);
      while (pending_.empty() && !stop_) wake_->wait(lock);
      if (pending_.empty()) return;  // stopped, everything read
    }
    sg4::this_actor::sleep_for(kSettleS);
    // A host touched less than a settling time ago (by an actor that ran after this one woke)
    // is read on the next turn.
    const double settled_before = sg4::Engine::get_clock() - kSettleS / 2;
    {
      std::unique_lock<sg4::Mutex> lock(*mutex_);
      batch.swap(pending_);
      for (int h : batch) {
        if (touched_at_[h] > settled_before) pending_.push_back(h);
      }
    }
    for (int h : batch) {
      if (touched_at_[h] > settled_before) continue;
      touched_[h] = 0;
      const double w = sg_host_get_current_consumption(hosts_[h]);
      total_w_ += w - watts_[h];
      watts_[h] = w;
    }
    batch.clear();
    peak_w_ = std::max(peak_w_, total_w_);
  }
}

}  // namespace convoy::sim
