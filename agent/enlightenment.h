// A VM's enlightenment as the agent reads it from the guest module (through the guest's
// responder on its virtio-serial channel, guest_channel.h), and the guest's side of an
// enlightened post-copy migration: the snapshot taken before the migration starts and the
// trigger armed so that the guest prefetches its pages, in priority order, the moment it runs
// on the destination (docs/guest-module.md). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/guest_channel.h"
#include "convoy/common/status.h"
#include "convoy/enlight/enlightenment.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

// The host path of the unix socket behind a VM's enlightenment channel. NOT_FOUND for an unknown
// VM; FAILED_PRECONDITION when the VM has no such channel or no guest process opened it.
using ChannelLocator = std::function<StatusOr<std::string>(const std::string& vm)>;

inline constexpr char kEnlightenmentChannel[] = "org.convoy.enlight.0";

struct EnlightenmentOptions {
  int timeout_ms = 3000;  // for one reading: connect, request, transfer
  int arm_seconds = 600;  // how long an armed guest waits for the switch-over
  size_t max_bytes = 64u << 20;
};

class EnlightenmentReader {
 public:
  EnlightenmentReader(ChannelLocator locator, EnlightenmentOptions options)
      : locator_(std::move(locator)), options_(options) {}

  // Asks the guest for a new snapshot and parses it. `timeout_ms` 0: the options'. The reading
  // (or its error) is remembered for Last(). Errors: those of the locator; UNAVAILABLE (cannot
  // connect), DEADLINE_EXCEEDED (no answer in time), FAILED_PRECONDITION (the guest has no
  // module), DATA_LOSS (the guest answered garbage); ABORTED while a migration holds the channel.
  StatusOr<v1::Enlightenment> Read(const std::string& vm, int timeout_ms = 0,
                                   bool include_raw = false);

  // The last reading of `vm`, or the last error as Enlightenment.error; nullopt if never read.
  std::optional<v1::Enlightenment> Last(const std::string& vm) const;
  // Age of the last attempt, seconds (infinity if never).
  double AgeS(const std::string& vm) const;

  // The guest's side of an enlightened migration: while it lives, the channel stays open and the
  // guest is armed. Release() once the VM runs on the destination (nothing more is sent);
  // Disarm() when the migration ends without having switched (the guest stops waiting). Both may
  // be called from any thread, more than once.
  class Session {
   public:
    ~Session();
    void Release();
    void Disarm();
    const v1::Enlightenment& enlightenment() const { return enlightenment_; }

   private:
    friend class EnlightenmentReader;
    EnlightenmentReader* reader_ = nullptr;
    std::string vm_;
    std::mutex mu_;
    std::unique_ptr<GuestChannel> channel_;
    v1::Enlightenment enlightenment_;
  };

  // Reads a new snapshot and arms the guest. The session holds the VM's channel: Read() of the
  // same VM answers ABORTED with the reading taken here until the session ends.
  StatusOr<std::unique_ptr<Session>> Arm(const std::string& vm);

 private:
  using Deadline = GuestChannel::Deadline;
  StatusOr<v1::Enlightenment> Snapshot(const std::string& vm, GuestChannel* channel,
                                       Deadline deadline, bool include_raw);
  // Connects to the VM's channel, marking it busy; the caller must Unbusy.
  StatusOr<std::unique_ptr<GuestChannel>> Open(const std::string& vm);
  void Remember(const std::string& vm, const StatusOr<v1::Enlightenment>& reading);
  void Unbusy(const std::string& vm);

  const ChannelLocator locator_;
  const EnlightenmentOptions options_;
  mutable std::mutex mu_;
  struct Entry {
    v1::Enlightenment last;
    std::chrono::steady_clock::time_point at;
    bool busy = false;  // a reading or a migration has the channel
  };
  std::map<std::string, Entry> vms_;
};

// The proto form of a parsed enlightenment (without the raw bytes).
v1::Enlightenment ToProto(const std::string& vm, const enlight::Enlightenment& e);

}  // namespace convoy::agent
