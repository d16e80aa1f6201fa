#include "agent/stage_gather.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace convoy::agent {

StageGatherer::StageGatherer(std::string migration_id, int link_fd,
                             std::vector<std::unique_ptr<PageStager>> stagers,
                             std::string qemu_address, GatherOptions options,
                             PageStagerFactory factory)
    : migration_id_(std::move(migration_id)),
      link_fd_(link_fd),
      qemu_address_(std::move(qemu_address)),
      options_(options),
      factory_(std::move(factory)),
      stagers_(std::move(stagers)),
      stored_(stagers_.size()) {
  for (size_t i = 0; i < stagers_.size(); ++i) fetchers_.emplace_back([this, i] { Fetch(i); });
  writer_ = std::thread([this] { Write(); });
  link_reader_ = std::thread([this] { ReadLink(); });
}

StageGatherer::~StageGatherer() {
  Stop("");
  stage::Shutdown(link_fd_);
  if (link_reader_.joinable()) link_reader_.join();
  for (auto& t : fetchers_) t.join();
  if (writer_.joinable()) writer_.join();
  if (qemu_reader_.joinable()) qemu_reader_.join();
  stage::Close(qemu_fd_.exchange(-1));
  stage::Close(link_fd_);
  if (source_done_) return;
  // Given up (or the source is gone): nothing of this migration stays on the intermediaries.
  for (auto& stager : stagers_) {
    auto deleted = stager->DeleteAll();
    if (!deleted.ok() && deleted.status().code() == absl::StatusCode::kUnavailable) {
      auto again = factory_(stager->address(), migration_id_);
      if (again.ok()) (void)(*again)->DeleteAll();
    }
  }
}

uint64_t StageGatherer::gathered_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return gathered_bytes_;
}

void StageGatherer::SendLink(stage::Frame type, std::string_view payload) {
  std::lock_guard<std::mutex> lock(link_mu_);
  (void)stage::SendFrame(link_fd_, type, payload);
}

void StageGatherer::Stop(const std::string& why) {
  if (stop_.exchange(true)) return;
  changed_.notify_all();
  if (!why.empty()) SendLink(stage::Frame::kError, why);
  stage::Shutdown(qemu_fd_.load());
}

void StageGatherer::ReadLink() {
  while (true) {
    auto message = stage::ReadFrame(link_fd_);
    if (!message.ok()) break;  // the source is gone, or we are stopping
    if (message->type == stage::Frame::kStored) {
      uint64_t seq = 0;
      uint32_t lane = 0;
      uint32_t bytes = 0;
      if (!stage::DecodeStored(message->payload, &seq, &lane, &bytes) || lane >= stored_.size()) {
        Stop("a stored-chunk frame the gatherer cannot read");
        break;
      }
      std::lock_guard<std::mutex> lock(mu_);
      stored_[lane].insert(seq);
      changed_.notify_all();
    } else if (message->type == stage::Frame::kDone) {
      std::lock_guard<std::mutex> lock(mu_);
      source_done_ = true;
      break;
    } else if (message->type == stage::Frame::kAbort) {
      break;
    }
  }
  Stop("");
  done_.store(true);
}

void StageGatherer::Fetch(size_t lane) {
  while (true) {
    std::vector<uint64_t> seqs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto in_window = [&] {
        return !stored_[lane].empty() &&
               *stored_[lane].begin() < next_write_ + static_cast<uint64_t>(options_.window_chunks);
      };
      changed_.wait(lock, [&] { return stop_.load() || in_window(); });
      if (stop_.load()) return;
      auto& set = stored_[lane];
      const uint64_t limit = next_write_ + static_cast<uint64_t>(options_.window_chunks);
      while (!set.empty() && *set.begin() < limit &&
             seqs.size() < static_cast<size_t>(options_.batch_chunks)) {
        seqs.push_back(*set.begin());
        set.erase(set.begin());
      }
    }
    auto chunks = stagers_[lane]->Take(seqs);
    if (!chunks.ok()) {
      Stop(std::string(chunks.status().message()));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t k = 0; k < seqs.size(); ++k) taken_[seqs[k]] = std::move((*chunks)[k]);
    changed_.notify_all();
  }
}

void StageGatherer::Write() {
  int fd = -1;
  int unreported = 0;
  while (true) {
    std::string chunk;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return stop_.load() || taken_.contains(next_write_); });
      if (stop_.load()) return;
      auto it = taken_.find(next_write_);
      chunk = std::move(it->second);
      taken_.erase(it);
    }
    if (fd < 0) {
      // libvirt has the destination QEMU listening before the source QEMU sends anything, so
      // it listens by the time a chunk is here; the retries cover a loaded machine.
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
      StatusOr<int> connected = absl::UnavailableError("not tried");
      while (!stop_.load() && std::chrono::steady_clock::now() < until) {
        connected = stage::ConnectTcp(qemu_address_, 1000);
        if (connected.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!connected.ok()) {
        Stop(absl::StrCat("the destination QEMU does not accept the stream: ",
                          connected.status().message()));
        return;
      }
      fd = *connected;
      qemu_fd_.store(fd);
      if (stop_.load()) return;
      qemu_reader_ = std::thread([this, fd] { ReadQemu(fd); });
    }
    if (!stage::WriteAll(fd, chunk.data(), chunk.size())) {
      Stop(absl::StrCat("the destination QEMU closed its socket after ", gathered_bytes(),
                        " bytes (see its log on this host)"));
      return;
    }
    uint64_t gathered = 0;
    bool idle = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++next_write_;
      gathered_bytes_ += chunk.size();
      gathered = gathered_bytes_;
      idle = !taken_.contains(next_write_);
      changed_.notify_all();
    }
    if (++unreported >= options_.gathered_every_chunks || idle) {
      SendLink(stage::Frame::kGathered, stage::EncodeU64(gathered));
      unreported = 0;
    }
  }
}

void StageGatherer::ReadQemu(int fd) {
  std::string buffer(1 << 16, '\0');
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    SendLink(stage::Frame::kReturn, std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  // QEMU closed its end: it has loaded the stream (or failed). The source's libvirt decides.
  SendLink(stage::Frame::kGathered, stage::EncodeU64(gathered_bytes()));
}

}  // namespace convoy::agent
