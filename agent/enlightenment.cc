#include "agent/enlightenment.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

v1::Enlightenment ToProto(const std::string& vm, const enlight::Enlightenment& e) {
  const enlight::Summary s = enlight::Summarize(e);
  v1::Enlightenment out;
  out.set_vm(vm);
  out.set_generation(e.generation);
  out.set_generated_at_unix_s(static_cast<double>(e.generated_unix_ns) / 1e9);
  out.set_build_ms(e.build_us / 1000.0);
  out.set_page_size(e.page_size);
  out.set_page_count(e.page_count);
  out.set_ram_mib(s.ram_mib);
  out.set_free_mib(s.free_mib);
  out.set_meminfo_free_mib(e.meminfo_free_pages * (e.page_size / 1048576.0));
  out.set_working_set_mib(s.working_set_mib);
  for (int c = 0; c < enlight::kCategoryCount; ++c) {
    (*out.mutable_category_mib())[std::string(enlight::CategoryName(static_cast<uint8_t>(c)))] =
        s.category_mib[c];
  }
  out.set_active_window_s(e.active_window_s);
  return out;
}

StatusOr<std::unique_ptr<GuestChannel>> EnlightenmentReader::Open(const std::string& vm) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& entry = vms_[vm];
    if (entry.busy) {
      return absl::AbortedError(
          absl::StrCat("the enlightenment channel of VM '", vm,
                       "' is in use (a migration holds it, or another reading is under way)"));
    }
    entry.busy = true;
  }
  auto path = locator_(vm);
  StatusOr<std::unique_ptr<GuestChannel>> channel =
      path.ok() ? GuestChannel::Connect(*path)
                : StatusOr<std::unique_ptr<GuestChannel>>(path.status());
  if (!channel.ok()) Unbusy(vm);
  return channel;
}

void EnlightenmentReader::Unbusy(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  vms_[vm].busy = false;
}

void EnlightenmentReader::Remember(const std::string& vm,
                                   const StatusOr<v1::Enlightenment>& reading) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& entry = vms_[vm];
  entry.at = std::chrono::steady_clock::now();
  if (reading.ok()) {
    entry.last = *reading;
    entry.last.clear_raw();
  } else {
    entry.last = v1::Enlightenment();
    entry.last.set_vm(vm);
    entry.last.set_error(std::string(reading.status().message()));
    entry.last.set_read_at_unix_s(NowUnixS());
  }
}

StatusOr<v1::Enlightenment> EnlightenmentReader::Snapshot(const std::string& vm,
                                                          GuestChannel* channel, Deadline deadline,
                                                          bool include_raw) {
  const auto start = std::chrono::steady_clock::now();
  CONVOY_ASSIGN_OR_RETURN(GuestChannel::Reply reply,
                          channel->Call("SNAPSHOT", deadline, options_.max_bytes));
  enlight::ParseLimits limits;
  limits.max_bytes = options_.max_bytes;
  auto parsed = enlight::Parse(reply.payload, limits);
  if (!parsed.ok()) {
    // Garbage from the guest is the guest's fault, whatever the parser's code for it.
    return absl::DataLossError(absl::StrCat("VM '", vm, "': ", parsed.status().message()));
  }
  v1::Enlightenment out = ToProto(vm, *parsed);
  out.set_read_ms(MsSince(start));
  out.set_bytes(static_cast<uint32_t>(reply.payload.size()));
  out.set_read_at_unix_s(NowUnixS());
  if (include_raw) out.set_raw(std::move(reply.payload));
  return out;
}

StatusOr<v1::Enlightenment> EnlightenmentReader::Read(const std::string& vm, int timeout_ms,
                                                      bool include_raw) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline =
      start + std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : options_.timeout_ms);
  auto channel = Open(vm);
  if (!channel.ok()) {
    if (channel.status().code() != absl::StatusCode::kAborted) Remember(vm, channel.status());
    return channel.status();
  }
  auto reading = Snapshot(vm, channel->get(), deadline, include_raw);
  channel->reset();
  Unbusy(vm);
  if (reading.ok()) reading->set_read_ms(MsSince(start));
  Remember(vm, reading);
  return reading;
}

std::optional<v1::Enlightenment> EnlightenmentReader::Last(const std::string& vm) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = vms_.find(vm);
  if (it == vms_.end() || it->second.at == std::chrono::steady_clock::time_point()) {
    return std::nullopt;
  }
  return it->second.last;
}

double EnlightenmentReader::AgeS(const std::string& vm) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = vms_.find(vm);
  if (it == vms_.end() || it->second.at == std::chrono::steady_clock::time_point()) {
    return std::numeric_limits<double>::infinity();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.at).count();
}

StatusOr<std::unique_ptr<EnlightenmentReader::Session>> EnlightenmentReader::Arm(
    const std::string& vm) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(options_.timeout_ms);
  CONVOY_ASSIGN_OR_RETURN(std::unique_ptr<GuestChannel> channel, Open(vm));
  auto reading = Snapshot(vm, channel.get(), deadline, /*include_raw=*/false);
  Status armed = reading.status();
  if (armed.ok()) {
    armed = channel->Call(absl::StrCat("ARM ", options_.arm_seconds), deadline).status();
  }
  if (!armed.ok()) {
    channel.reset();
    Unbusy(vm);
    Remember(vm, armed);
    return armed;
  }
  reading->set_read_ms(MsSince(start));
  Remember(vm, reading);
  auto session = std::unique_ptr<Session>(new Session());
  session->reader_ = this;
  session->vm_ = vm;
  session->channel_ = std::move(channel);
  session->enlightenment_ = *std::move(reading);
  return session;
}

void EnlightenmentReader::Session::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!channel_) return;
  channel_.reset();
  reader_->Unbusy(vm_);
}

void EnlightenmentReader::Session::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!channel_) return;
  (void)channel_->Call("DISARM", std::chrono::steady_clock::now() + std::chrono::seconds(1));
  channel_.reset();
  reader_->Unbusy(vm_);
}

EnlightenmentReader::Session::~Session() { Release(); }

}  // namespace convoy::agent
