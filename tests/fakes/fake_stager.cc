#include "tests/fakes/fake_stager.h"

#include "absl/strings/str_cat.h"

namespace convoy::testing {
namespace {

// The key prefix of a migration: StageKeyPattern without its '*'.
std::string Prefix(const std::string& migration_id) {
  std::string pattern = agent::StageKeyPattern(migration_id);
  pattern.pop_back();
  return pattern;
}

class FakePageStager final : public agent::PageStager {
 public:
  FakePageStager(std::shared_ptr<FakeStageStore> store, std::string address,
                 std::string migration_id)
      : store_(std::move(store)),
        address_(std::move(address)),
        migration_id_(std::move(migration_id)) {}

  const std::string& address() const override { return address_; }

  std::vector<agent::PutResult> Put(uint64_t seq, std::string_view bytes) override {
    return {{seq, store_->Put(agent::StageKey(migration_id_, seq), bytes)}};
  }
  std::vector<agent::PutResult> Drain() override { return {}; }

  StatusOr<std::vector<std::string>> Take(const std::vector<uint64_t>& seqs) override {
    std::vector<std::string> out;
    for (uint64_t seq : seqs) {
      CONVOY_ASSIGN_OR_RETURN(std::string value,
                              store_->TakeKey(agent::StageKey(migration_id_, seq)));
      out.push_back(std::move(value));
    }
    return out;
  }
  StatusOr<uint64_t> DeleteAll() override {
    if (store_->broken()) return absl::UnavailableError(address_ + ": broken");
    return store_->DeleteMatching(Prefix(migration_id_));
  }
  StatusOr<uint64_t> Count() override {
    if (store_->broken()) return absl::UnavailableError(address_ + ": broken");
    return store_->CountMatching(Prefix(migration_id_));
  }

 private:
  std::shared_ptr<FakeStageStore> store_;
  const std::string address_;
  const std::string migration_id_;
};

}  // namespace

void FakeStageStore::SetCapacity(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = bytes;
}

void FakeStageStore::SetBroken(bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  broken_ = broken;
}

bool FakeStageStore::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

size_t FakeStageStore::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

size_t FakeStageStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

uint64_t FakeStageStore::puts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return puts_;
}

Status FakeStageStore::Put(const std::string& key, std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return absl::UnavailableError("fake intermediary: connection broken");
  if (capacity_ > 0 && used_ + value.size() > capacity_) {
    return absl::ResourceExhaustedError("fake intermediary is full (maxmemory)");
  }
  auto [it, inserted] = keys_.emplace(key, std::string(value));
  if (!inserted) {
    used_ -= it->second.size();
    it->second = std::string(value);
  }
  used_ += value.size();
  ++puts_;
  return absl::OkStatus();
}

StatusOr<std::string> FakeStageStore::TakeKey(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return absl::UnavailableError("fake intermediary: connection broken");
  auto it = keys_.find(key);
  if (it == keys_.end()) return absl::NotFoundError(absl::StrCat(key, " is not there"));
  std::string value = std::move(it->second);
  keys_.erase(it);
  used_ -= value.size();
  return value;
}

uint64_t FakeStageStore::DeleteMatching(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (auto it = keys_.lower_bound(prefix); it != keys_.end() && it->first.rfind(prefix, 0) == 0;) {
    used_ -= it->second.size();
    it = keys_.erase(it);
    ++n;
  }
  return n;
}

uint64_t FakeStageStore::CountMatching(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (auto it = keys_.lower_bound(prefix); it != keys_.end() && it->first.rfind(prefix, 0) == 0;
       ++it) {
    ++n;
  }
  return n;
}

std::shared_ptr<FakeStageStore> FakeStageStores::Add(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& store = stores_[address];
  if (!store) store = std::make_shared<FakeStageStore>();
  return store;
}

std::shared_ptr<FakeStageStore> FakeStageStores::Get(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stores_.find(address);
  return it == stores_.end() ? nullptr : it->second;
}

agent::PageStagerFactory FakeStageStores::Factory() {
  return [this](const std::string& address,
                const std::string& migration_id) -> StatusOr<std::unique_ptr<agent::PageStager>> {
    auto store = Get(address);
    if (!store || store->broken()) {
      return absl::UnavailableError(
          absl::StrCat("intermediary ", address, ": cannot connect to Redis: refused"));
    }
    return std::unique_ptr<agent::PageStager>(
        std::make_unique<FakePageStager>(store, address, migration_id));
  };
}

}  // namespace convoy::testing
