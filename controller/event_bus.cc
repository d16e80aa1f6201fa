#include "controller/event_bus.h"

#include <chrono>

namespace convoy::controller {

StatusOr<uint64_t> EventBus::Publish(v1::Event event) {
  auto seq = store_->AppendEvent(std::move(event));
  Poke();
  return seq;
}

void EventBus::Poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++version_;
  }
  changed_.notify_all();
}

uint64_t EventBus::Wait(uint64_t version, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return version_ != version; });
  return version_;
}

uint64_t EventBus::Version() {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

}  // namespace convoy::controller
