// An in-memory PageStager for unit tests: every intermediary is a FakeStageStore (a map of keys
// to values with an optional capacity, like Redis at maxmemory with noeviction), shared by the
// stagers the source and the destination connect to it. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/page_stager.h"

namespace convoy::testing {

class FakeStageStore {
 public:
  // 0: unlimited. A put that would exceed it is refused as full.
  void SetCapacity(size_t bytes);
  // Every call through this store fails as a broken connection (true) or works again (false).
  void SetBroken(bool broken);
  size_t keys() const;
  size_t bytes() const;
  uint64_t puts() const;  // successful puts so far

  // What FakePageStager does.
  Status Put(const std::string& key, std::string_view value);
  StatusOr<std::string> TakeKey(const std::string& key);
  uint64_t DeleteMatching(const std::string& prefix);
  uint64_t CountMatching(const std::string& prefix) const;
  bool broken() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> keys_;
  size_t capacity_ = 0;
  size_t used_ = 0;
  uint64_t puts_ = 0;
  bool broken_ = false;
};

// Intermediaries by address; a factory connects stagers to them (UNAVAILABLE for an address
// that has no store).
class FakeStageStores {
 public:
  std::shared_ptr<FakeStageStore> Add(const std::string& address);
  std::shared_ptr<FakeStageStore> Get(const std::string& address) const;
  agent::PageStagerFactory Factory();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FakeStageStore>> stores_;
};

}  // namespace convoy::testing
