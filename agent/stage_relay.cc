#include "agent/stage_relay.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double SteadyS() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

StageRelay::StageRelay(std::string migration_id, int listen_fd,
                       std::vector<std::unique_ptr<PageStager>> stagers, int link_fd,
                       RelayOptions options, PageStagerFactory factory,
                       std::function<void(const Status&)> on_failure)
    : migration_id_(std::move(migration_id)),
      options_(options),
      factory_(std::move(factory)),
      on_failure_(std::move(on_failure)),
      listen_fd_(listen_fd),
      link_fd_(link_fd),
      lanes_(stagers.size()) {
  for (size_t i = 0; i < stagers.size(); ++i) lanes_[i].stager = std::move(stagers[i]);
  for (size_t i = 0; i < lanes_.size(); ++i) lanes_[i].thread = std::thread([this, i] { Send(i); });
  link_thread_ = std::thread([this] { ReadLink(); });
  qemu_thread_ = std::thread([this] { ReadQemu(); });
}

StageRelay::~StageRelay() {
  if (!finished_) (void)Finish(false);
}

void StageRelay::SetAbortable(bool abortable) { abortable_.store(abortable); }

void StageRelay::NoteNothingLeft(bool nothing_left) { nothing_left_.store(nothing_left); }

RelayFigures StageRelay::Figures() const {
  std::lock_guard<std::mutex> lock(mu_);
  RelayFigures f;
  f.staged_bytes = staged_bytes_;
  f.gathered_bytes = gathered_bytes_;
  const bool all_stored = stored_chunks_ == next_seq_ && partial_bytes_ == 0;
  const bool quiet = nothing_left_.load() && next_seq_ > 0 &&
                     SteadyS() - last_input_steady_s_ >= options_.evicted_idle_ms / 1000.0;
  f.evicted = all_stored && (qemu_eof_ || quiet) && !failed_;
  if (f.evicted) f.evicted_at_unix_s = last_stored_unix_s_;
  return f;
}

void StageRelay::Fail(const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_ || stop_.load()) return;
    failed_ = true;
  }
  stop_.store(true);
  changed_.notify_all();
  on_failure_(status);
  // Whatever the abort did, QEMU must not wait on a relay that no longer reads.
  stage::Shutdown(qemu_fd_.load());
}

void StageRelay::SendLink(stage::Frame type, std::string_view payload) {
  std::lock_guard<std::mutex> lock(link_mu_);
  (void)stage::SendFrame(link_fd_, type, payload);  // a broken link is the link reader's to see
}

bool StageRelay::Dispatch(std::string bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  size_t best = 0;
  changed_.wait(lock, [&] {
    if (stop_.load() || failed_) return true;
    for (size_t i = 0; i < lanes_.size(); ++i) {
      if (lanes_[i].pending < lanes_[best].pending) best = i;
    }
    return lanes_[best].pending < options_.window_chunks;
  });
  if (stop_.load() || failed_) return false;
  Lane& lane = lanes_[best];
  lane.queue.push_back(Chunk{next_seq_++, std::move(bytes)});
  ++lane.pending;
  partial_bytes_ = 0;
  changed_.notify_all();
  return true;
}

void StageRelay::ReadQemu() {
  auto accepted = stage::AcceptWithin(listen_fd_.load(), options_.accept_timeout_ms, stop_);
  stage::Close(listen_fd_.exchange(-1));
  if (!accepted.ok()) {
    if (!stop_.load()) {
      Fail(absl::UnavailableError(absl::StrCat(
          "the source QEMU did not connect to the staging relay: ", accepted.status().message())));
    }
    return;
  }
  qemu_fd_.store(*accepted);
  std::string chunk(options_.chunk_bytes, '\0');
  size_t filled = 0;
  while (!stop_.load()) {
    pollfd p{*accepted, POLLIN, 0};
    const int ready = poll(&p, 1, filled == 0 ? 200 : options_.flush_idle_ms);
    if (ready == 0) {
      if (filled > 0) {
        chunk.resize(filled);
        if (!Dispatch(std::move(chunk))) return;
        chunk.assign(options_.chunk_bytes, '\0');
        filled = 0;
      }
      continue;
    }
    const ssize_t n =
        ready < 0 ? -1 : read(*accepted, chunk.data() + filled, chunk.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // QEMU closed its end: the migration completed or was cancelled
    filled += static_cast<size_t>(n);
    {
      std::lock_guard<std::mutex> lock(mu_);
      partial_bytes_ = filled;
      last_input_steady_s_ = SteadyS();
    }
    if (filled == chunk.size()) {
      if (!Dispatch(std::move(chunk))) return;
      chunk.assign(options_.chunk_bytes, '\0');
      filled = 0;
    }
  }
  if (filled > 0 && !stop_.load()) {
    chunk.resize(filled);
    if (!Dispatch(std::move(chunk))) return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  qemu_eof_ = true;
  changed_.notify_all();
}

void StageRelay::Send(size_t index) {
  Lane& lane = lanes_[index];
  std::map<uint64_t, std::string> unanswered;
  while (true) {
    Chunk chunk;
    bool have = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] {
        return stop_.load() || failed_ || !lane.queue.empty() || !unanswered.empty();
      });
      if (stop_.load() || failed_) return;
      if (!lane.queue.empty()) {
        chunk = std::move(lane.queue.front());
        lane.queue.pop_front();
        have = true;
      }
    }
    std::vector<PutResult> answers;
    if (have) {
      auto [it, inserted] = unanswered.emplace(chunk.seq, std::move(chunk.bytes));
      answers = lane.stager->Put(chunk.seq, it->second);
    } else {
      answers = lane.stager->Drain();
    }
    bool full = false;
    for (auto& answer : answers) {
      auto it = unanswered.find(answer.seq);
      if (it == unanswered.end()) continue;
      if (answer.status.ok()) {
        const auto bytes = static_cast<uint32_t>(it->second.size());
        unanswered.erase(it);
        SendLink(stage::Frame::kStored,
                 stage::EncodeStored(answer.seq, static_cast<uint32_t>(index), bytes));
        std::lock_guard<std::mutex> lock(mu_);
        --lane.pending;
        ++stored_chunks_;
        staged_bytes_ += bytes;
        last_stored_unix_s_ = NowUnixS();
        changed_.notify_all();
      } else if (answer.status.code() == absl::StatusCode::kResourceExhausted &&
                 !abortable_.load()) {
        // Post-copy runs on the destination and cannot come back: wait for the gatherer to
        // free room rather than lose the VM.
        std::lock_guard<std::mutex> lock(mu_);
        lane.queue.push_front(Chunk{answer.seq, std::move(it->second)});
        unanswered.erase(it);
        full = true;
      } else {
        Fail(answer.status);
        return;
      }
    }
    if (full) std::this_thread::sleep_for(std::chrono::milliseconds(options_.full_retry_ms));
  }
}

void StageRelay::ReadLink() {
  while (!stop_.load()) {
    auto message = stage::ReadFrame(link_fd_);
    if (!message.ok()) {
      bool stream_over = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stream_over = qemu_eof_;
      }
      // After the source QEMU closed its stream, libvirt decides how the migration ended.
      if (!stream_over) {
        Fail(absl::UnavailableError(
            absl::StrCat("the destination's gatherer went away: ", message.status().message())));
      }
      return;
    }
    switch (message->type) {
      case stage::Frame::kReturn: {
        const int fd = qemu_fd_.load();
        if (fd >= 0) (void)stage::WriteAll(fd, message->payload.data(), message->payload.size());
        break;
      }
      case stage::Frame::kGathered: {
        uint64_t bytes = 0;
        if (stage::DecodeU64(message->payload, &bytes)) {
          std::lock_guard<std::mutex> lock(mu_);
          gathered_bytes_ = bytes;
        }
        break;
      }
      case stage::Frame::kError:
        Fail(absl::UnavailableError(
            absl::StrCat("the destination's gatherer failed: ", message->payload)));
        return;
      default:
        break;  // nothing else is meant for the source
    }
  }
}

Status StageRelay::Finish(bool succeeded) {
  if (finished_) return absl::OkStatus();
  finished_ = true;
  stop_.store(true);
  changed_.notify_all();
  if (succeeded) {
    SendLink(stage::Frame::kDone, "");
  } else {
    SendLink(stage::Frame::kAbort, "the migration failed or was aborted on the source");
  }
  stage::Shutdown(link_fd_);
  stage::Shutdown(qemu_fd_.load());
  if (qemu_thread_.joinable()) qemu_thread_.join();
  for (auto& lane : lanes_) {
    if (lane.thread.joinable()) lane.thread.join();
  }
  if (link_thread_.joinable()) link_thread_.join();
  stage::Close(qemu_fd_.exchange(-1));
  stage::Close(link_fd_);
  stage::Close(listen_fd_.exchange(-1));
  // Whatever is left on the intermediaries goes, whatever happened.
  Status first;
  for (auto& lane : lanes_) {
    auto deleted = lane.stager->DeleteAll();
    if (!deleted.ok() && deleted.status().code() == absl::StatusCode::kUnavailable) {
      auto again = factory_(lane.stager->address(), migration_id_);
      deleted = again.ok() ? (*again)->DeleteAll() : StatusOr<uint64_t>(again.status());
    }
    if (!deleted.ok() && first.ok()) first = deleted.status();
  }
  return first;
}

}  // namespace convoy::agent
