// Operation events: appended to the state store (so a restarted controller and late watchers
// see the whole history) and handed to whoever watches, at once. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "convoy/store/state_store.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

class EventBus {
 public:
  explicit EventBus(store::StateStore* store) : store_(store) {}

  // Persists the event (assigning its seq) and wakes watchers. The store's error is returned.
  StatusOr<uint64_t> Publish(v1::Event event);
  // Wakes watchers without an event (progress changed, not persisted).
  void Poke();
  // Waits until something is published or poked after `version` or `timeout_ms` passes;
  // returns the new version. Start with Version().
  uint64_t Wait(uint64_t version, int timeout_ms);
  uint64_t Version();

 private:
  store::StateStore* store_;
  std::mutex mu_;
  std::condition_variable changed_;
  uint64_t version_ = 0;
};

}  // namespace convoy::controller
