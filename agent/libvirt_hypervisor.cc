#include "agent/libvirt_hypervisor.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

constexpr double kKibPerMib = 1024.0;

// libvirt's last error on this thread, as text.
std::string LastError() {
  const char* message = virGetLastErrorMessage();
  return message != nullptr ? message : "unknown libvirt error";
}

// Why a migrate call failed, in libvirt's words. An RPC failure while this agent's own connection
// to its libvirtd is still alive happened on that libvirtd's peer-to-peer connection to the
// destination's, and the text says so (libvirt's own words, "client socket is closed", do not).
std::string MigrateFailure(virConnectPtr own, const std::string& dest_uri) {
  virErrorPtr err = virGetLastError();
  const bool rpc = err != nullptr && err->domain == VIR_FROM_RPC;
  const std::string words = LastError();  // before virConnectIsAlive resets it
  if (rpc && virConnectIsAlive(own) == 1) {
    return absl::StrCat("lost the peer-to-peer connection to the destination's libvirtd ",
                        dest_uri, " (closed, or no answer within libvirt's keepalive): ", words);
  }
  return words;
}

// `what` failed: `code` with libvirt's words, or NOT_FOUND when libvirt says the domain is gone
// (a migration that completed between the lookup and the call), which callers tell apart.
Status Error(absl::StatusCode code, const std::string& what) {
  virErrorPtr err = virGetLastError();
  if (err != nullptr && err->code == VIR_ERR_NO_DOMAIN) code = absl::StatusCode::kNotFound;
  return Status(code, absl::StrCat(what, ": ", LastError()));
}

void SilentErrorHandler(void* /*opaque*/, virErrorPtr /*error*/) {}

// Owns a virDomainPtr.
struct DomainRef {
  virDomainPtr dom = nullptr;
  ~DomainRef() {
    if (dom != nullptr) virDomainFree(dom);
  }
};

// Owns a connection opened for one call.
struct ConnectionRef {
  virConnectPtr conn = nullptr;
  ~ConnectionRef() {
    if (conn != nullptr) virConnectClose(conn);
  }
};

StatusOr<std::unique_ptr<DomainRef>> Lookup(virConnectPtr conn, const std::string& vm) {
  auto ref = std::make_unique<DomainRef>();
  ref->dom = virDomainLookupByName(conn, vm.c_str());
  if (ref->dom == nullptr) {
    virErrorPtr err = virGetLastError();
    if (err != nullptr && err->code == VIR_ERR_NO_DOMAIN) {
      return absl::NotFoundError(absl::StrCat("no VM named '", vm, "' on this host"));
    }
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("looking up VM '", vm, "'"));
  }
  return ref;
}

std::string StateName(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return "running";
    case VIR_DOMAIN_BLOCKED:
      return "blocked";
    case VIR_DOMAIN_PAUSED:
      return "paused";
    case VIR_DOMAIN_SHUTDOWN:
      return "shutdown";
    case VIR_DOMAIN_SHUTOFF:
      return "shutoff";
    case VIR_DOMAIN_CRASHED:
      return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
      return "pmsuspended";
    default:
      return "nostate";
  }
}

// The value of attribute `name` in the first `<tag ...>` of `xml` (either quote), or "".
std::string Attribute(std::string_view xml, const std::string& tag, const std::string& name) {
  const auto open = xml.find("<" + tag + " ");
  if (open == std::string_view::npos) return "";
  const auto close = xml.find('>', open);
  const std::string_view element = xml.substr(open, close - open);
  const auto at = element.find(" " + name + "=");
  if (at == std::string_view::npos) return "";
  const auto quote = at + name.size() + 2;
  if (quote >= element.size()) return "";
  const auto end = element.find(element[quote], quote + 1);
  if (end == std::string_view::npos) return "";
  return std::string(element.substr(quote + 1, end - quote - 1));
}

// Interfaces of a domain from its live XML: target dev and MAC of each <interface>.
std::vector<TapCounters> Taps(std::string_view xml) {
  std::vector<TapCounters> taps;
  for (auto at = xml.find("<interface "); at != std::string_view::npos;
       at = xml.find("<interface ", at + 1)) {
    const auto end = xml.find("</interface>", at);
    const std::string_view block = xml.substr(at, end == std::string_view::npos ? end : end - at);
    TapCounters tap;
    tap.dev = Attribute(block, "target", "dev");
    tap.mac = Attribute(block, "mac", "address");
    if (!tap.dev.empty()) taps.push_back(tap);
  }
  return taps;
}

// The text of the first <uuid> inside <host> of a capabilities document.
std::string HostUuid(std::string_view caps) {
  const auto host = caps.find("<host>");
  if (host == std::string_view::npos) return "";
  const auto open = caps.find("<uuid>", host);
  const auto close = caps.find("</uuid>", open);
  if (open == std::string_view::npos || close == std::string_view::npos) return "";
  return std::string(caps.substr(open + 6, close - open - 6));
}

uint64_t ULLongParam(virTypedParameterPtr params, int n, const char* name) {
  unsigned long long value = 0;
  return virTypedParamsGetULLong(params, n, name, &value) == 1 ? value : 0;
}

JobStats StatsOf(virTypedParameterPtr params, int n);

// The active (or completed) job of `dom`, as libvirt reports it.
StatusOr<JobStats> JobStatsOf(virDomainPtr dom, bool completed) {
  int type = VIR_DOMAIN_JOB_NONE;
  virTypedParameterPtr params = nullptr;
  int n = 0;
  const unsigned int flags = completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0;
  if (virDomainGetJobStats(dom, &type, &params, &n, flags) < 0) {
    return Error(absl::StatusCode::kUnavailable,
                 absl::StrCat("reading the job of ", virDomainGetName(dom)));
  }
  JobStats s = StatsOf(params, n);
  s.active = type == VIR_DOMAIN_JOB_BOUNDED || type == VIR_DOMAIN_JOB_UNBOUNDED;
  virTypedParamsFree(params, n);
  // libvirt reports the post-copy phase through the domain state.
  int state = 0;
  int reason = 0;
  if (virDomainGetState(dom, &state, &reason, 0) == 0 &&
      ((state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_POSTCOPY) ||
       (state == VIR_DOMAIN_RUNNING && reason == VIR_DOMAIN_RUNNING_POSTCOPY))) {
    s.postcopy = true;
  }
  return s;
}

// A job's figures from libvirt's typed parameters (job stats, or the job-completed event).
JobStats StatsOf(virTypedParameterPtr params, int n) {
  JobStats s;
  int operation = 0;
  if (virTypedParamsGetInt(params, n, VIR_DOMAIN_JOB_OPERATION, &operation) == 1) {
    s.migration_out = operation == VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT;
  }
  s.elapsed_ms = ULLongParam(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED);
  s.data_total = ULLongParam(params, n, VIR_DOMAIN_JOB_DATA_TOTAL);
  s.data_processed = ULLongParam(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
  s.data_remaining = ULLongParam(params, n, VIR_DOMAIN_JOB_DATA_REMAINING);
  s.memory_iteration = ULLongParam(params, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
  s.dirty_rate_pages_per_s =
      static_cast<double>(ULLongParam(params, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE));
  const uint64_t page_size = ULLongParam(params, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE);
  if (page_size > 0) s.page_size = page_size;
  s.memory_bytes_per_s = static_cast<double>(ULLongParam(params, n, VIR_DOMAIN_JOB_MEMORY_BPS));
  s.downtime_ms = ULLongParam(params, n, VIR_DOMAIN_JOB_DOWNTIME);
  s.postcopy = ULLongParam(params, n, VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS) > 0;
  return s;
}

}  // namespace

StatusOr<std::string> ChannelPathIn(std::string_view xml, const std::string& vm,
                                    const std::string& name) {
  for (auto at = xml.find("<channel type='unix'>"); at != std::string_view::npos;
       at = xml.find("<channel type='unix'>", at + 1)) {
    const auto end = xml.find("</channel>", at);
    const std::string_view block = xml.substr(at, end == std::string_view::npos ? end : end - at);
    if (Attribute(block, "target", "name") != name) continue;
    const std::string path = Attribute(block, "source", "path");
    if (path.empty()) break;
    if (Attribute(block, "target", "state") == "disconnected") {
      return absl::FailedPreconditionError(
          absl::StrCat("VM '", vm, "': no guest process has its ", name,
                       " port open (no guest module responder running)"));
    }
    return path;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("VM '", vm, "' has no unix virtio-serial channel named ", name));
}

StatusOr<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::Open(const std::string& uri) {
  static std::once_flag once;
  std::call_once(once, [] {
    virSetErrorFunc(nullptr, SilentErrorHandler);
    virEventRegisterDefaultImpl();
  });
  std::unique_ptr<LibvirtHypervisor> h(new LibvirtHypervisor(uri));
  {
    std::lock_guard<std::mutex> lock(h->mu_);
    CONVOY_RETURN_IF_ERROR(h->Connect());
  }
  LibvirtHypervisor* self = h.get();
  h->event_loop_ = std::thread([self] {
    // A periodic timer makes the loop come back often enough to see stop_.
    int timer = virEventAddTimeout(
        200, [](int, void*) {}, nullptr, nullptr);
    while (!self->stop_.load()) {
      if (virEventRunDefaultImpl() < 0) break;
    }
    if (timer >= 0) virEventRemoveTimeout(timer);
  });
  return h;
}

LibvirtHypervisor::~LibvirtHypervisor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_ != nullptr) {
      if (iteration_callback_id_ >= 0) {
        virConnectDomainEventDeregisterAny(conn_, iteration_callback_id_);
      }
      if (completed_callback_id_ >= 0) {
        virConnectDomainEventDeregisterAny(conn_, completed_callback_id_);
      }
      virConnectClose(conn_);
      conn_ = nullptr;
    }
  }
  stop_.store(true);
  if (event_loop_.joinable()) event_loop_.join();
}

Status LibvirtHypervisor::Connect() {
  if (conn_ != nullptr) {
    virConnectClose(conn_);
    conn_ = nullptr;
  }
  conn_ = virConnectOpen(uri_.c_str());
  if (conn_ == nullptr) {
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("connecting to ", uri_));
  }
  virConnectSetKeepAlive(conn_, 5, 3);
  iteration_callback_id_ = virConnectDomainEventRegisterAny(
      conn_, nullptr, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
      VIR_DOMAIN_EVENT_CALLBACK(&LibvirtHypervisor::OnIteration), this, nullptr);
  completed_callback_id_ = virConnectDomainEventRegisterAny(
      conn_, nullptr, VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
      VIR_DOMAIN_EVENT_CALLBACK(&LibvirtHypervisor::OnJobCompleted), this, nullptr);
  return absl::OkStatus();
}

StatusOr<virConnectPtr> LibvirtHypervisor::Conn() {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn_ == nullptr || virConnectIsAlive(conn_) != 1) CONVOY_RETURN_IF_ERROR(Connect());
  return conn_;
}

void LibvirtHypervisor::OnIteration(virConnectPtr /*conn*/, virDomainPtr dom, int iteration,
                                    void* opaque) {
  auto* self = static_cast<LibvirtHypervisor*>(opaque);
  std::lock_guard<std::mutex> lock(self->callback_mu_);
  if (self->callback_) self->callback_(virDomainGetName(dom), iteration);
}

void LibvirtHypervisor::SetIterationCallback(IterationCallback callback) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  callback_ = std::move(callback);
}

void LibvirtHypervisor::OnJobCompleted(virConnectPtr /*conn*/, virDomainPtr dom,
                                       virTypedParameterPtr params, int nparams, void* opaque) {
  auto* self = static_cast<LibvirtHypervisor*>(opaque);
  const JobStats stats = StatsOf(params, nparams);
  std::lock_guard<std::mutex> lock(self->callback_mu_);
  if (self->completed_callback_) self->completed_callback_(virDomainGetName(dom), stats);
}

void LibvirtHypervisor::SetJobCompletedCallback(JobCompletedCallback callback) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  completed_callback_ = std::move(callback);
}

StatusOr<HostFacts> LibvirtHypervisor::DescribeHost() {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  HostFacts facts;
  virNodeInfo info;
  if (virNodeGetInfo(conn, &info) < 0) {
    return Error(absl::StatusCode::kUnavailable, "reading the host's facts");
  }
  facts.cpus = info.cpus;
  facts.memory_mib = static_cast<double>(info.memory) / kKibPerMib;
  const unsigned long long free_bytes = virNodeGetFreeMemory(conn);
  facts.free_memory_mib = static_cast<double>(free_bytes) / (1024.0 * 1024.0);
  if (char* hostname = virConnectGetHostname(conn)) {
    facts.hostname = hostname;
    std::free(hostname);
  }
  if (char* caps = virConnectGetCapabilities(conn)) {
    facts.host_uuid = HostUuid(caps);
    std::free(caps);
  }
  return facts;
}

StatusOr<DomainFacts> LibvirtHypervisor::Facts(virDomainPtr dom) {
  DomainFacts facts;
  facts.name = virDomainGetName(dom);
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(dom, uuid) == 0) facts.uuid = uuid;
  virDomainInfo info;
  if (virDomainGetInfo(dom, &info) < 0) {
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("reading VM ", facts.name));
  }
  facts.state = StateName(info.state);
  facts.vcpus = info.nrVirtCpu;
  facts.memory_mib = static_cast<double>(info.memory) / kKibPerMib;
  facts.max_memory_mib = static_cast<double>(info.maxMem) / kKibPerMib;
  if (virDomainIsActive(dom) == 1) {
    if (char* xml = virDomainGetXMLDesc(dom, 0)) {
      facts.taps = Taps(xml);
      std::free(xml);
    }
    for (auto& tap : facts.taps) {
      virDomainInterfaceStatsStruct stats;
      if (virDomainInterfaceStats(dom, tap.dev.c_str(), &stats, sizeof(stats)) == 0) {
        tap.rx_bytes = static_cast<uint64_t>(stats.rx_bytes);
        tap.tx_bytes = static_cast<uint64_t>(stats.tx_bytes);
      }
    }
    virDomainJobInfo job;
    if (virDomainGetJobInfo(dom, &job) == 0 && job.type != VIR_DOMAIN_JOB_NONE) {
      auto stats = JobStatsOf(dom, false);
      facts.migrating_out = stats.ok() && stats->migration_out;
    }
  }
  return facts;
}

StatusOr<std::vector<DomainFacts>> LibvirtHypervisor::ListDomains() {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  virDomainPtr* domains = nullptr;
  const int n = virConnectListAllDomains(conn, &domains, 0);
  if (n < 0) return Error(absl::StatusCode::kUnavailable, "listing VMs");
  std::vector<DomainFacts> out;
  for (int i = 0; i < n; ++i) {
    // A VM that vanished while being read (it just migrated away) is left out, not an error.
    auto facts = Facts(domains[i]);
    if (facts.ok()) out.push_back(*std::move(facts));
    virDomainFree(domains[i]);
  }
  std::free(domains);
  return out;
}

StatusOr<DomainFacts> LibvirtHypervisor::GetDomain(const std::string& vm) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  return Facts(ref->dom);
}

Status LibvirtHypervisor::StartDirtyRateCalc(const std::string& vm, int period_s,
                                             DirtyRateMode mode) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  if (mode == DirtyRateMode::kPageSampling) {
    // Raw QMP: libvirt's virDomainStartDirtyRateCalc has no way to set sample-pages, and with
    // QEMU's default of 512 pages per GiB single readings of a 16 MiB/s guest range from half
    // to one and a half of the truth; 4096 pages per GiB keeps them within 25% (measured, see
    // docs/guest.md). The result is read back through libvirt's dirtyrate stats group.
    const std::string command =
        absl::StrCat(R"({"execute":"calc-dirty-rate","arguments":{"calc-time":)", period_s,
                     R"(,"sample-pages":4096}})");
    char* reply = nullptr;
    if (virDomainQemuMonitorCommand(ref->dom, command.c_str(), &reply, 0) == 0) {
      std::free(reply);
      return absl::OkStatus();
    }
    // Fall back to libvirt's own call below (QEMU's default sampling).
  }
  if (mode == DirtyRateMode::kDirtyBitmap) {
    // QEMU 7.2 under TCG crashes (SIGSEGV, the guest is lost) on dirty-bitmap calculations.
    if (char* xml = virDomainGetXMLDesc(ref->dom, 0)) {
      const bool tcg = std::string(xml).find("<domain type='qemu'") != std::string::npos;
      std::free(xml);
      if (tcg) {
        return absl::FailedPreconditionError(
            absl::StrCat("dirty-bitmap measurement would crash ", vm,
                         " (QEMU under TCG); use page-sampling for this VM"));
      }
    }
  }
  unsigned int flags = VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING;
  if (mode == DirtyRateMode::kDirtyBitmap) flags = VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP;
  if (mode == DirtyRateMode::kDirtyRing) flags = VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING;
  if (virDomainStartDirtyRateCalc(ref->dom, period_s, flags) < 0) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("starting the dirty-rate calculation of ", vm));
  }
  return absl::OkStatus();
}

StatusOr<DirtyRateSample> LibvirtHypervisor::GetDirtyRate(const std::string& vm) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  virDomainPtr doms[] = {ref->dom, nullptr};
  virDomainStatsRecordPtr* records = nullptr;
  if (virDomainListGetStats(doms, VIR_DOMAIN_STATS_DIRTYRATE, &records, 0) < 0) {
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("reading the dirty rate of ", vm));
  }
  DirtyRateSample sample;
  if (records != nullptr && records[0] != nullptr) {
    int status = 0;
    long long mbps = 0;
    long long period = 0;
    virTypedParamsGetInt(records[0]->params, records[0]->nparams, "dirtyrate.calc_status", &status);
    virTypedParamsGetLLong(records[0]->params, records[0]->nparams,
                           "dirtyrate.megabytes_per_second", &mbps);
    virTypedParamsGetLLong(records[0]->params, records[0]->nparams, "dirtyrate.calc_period",
                           &period);
    sample.status = status == VIR_DOMAIN_DIRTYRATE_MEASURED ? DirtyRateSample::Status::kMeasured
                    : status == VIR_DOMAIN_DIRTYRATE_MEASURING
                        ? DirtyRateSample::Status::kMeasuring
                        : DirtyRateSample::Status::kUnstarted;
    // QEMU reports MiB/s under the name megabytes_per_second.
    sample.mibps = static_cast<double>(mbps);
    sample.period_s = static_cast<double>(period);
  }
  virDomainStatsRecordListFree(records);
  return sample;
}

Status LibvirtHypervisor::Migrate(const std::string& vm, const MigrateOptions& options) {
  // The migration call blocks for the whole migration, on a connection of its own. On the
  // shared one it holds libvirt's client I/O loop, and libvirt 9.0 then sends the other
  // threads' calls (job statistics, the switch to post-copy) only when that loop next wakes,
  // at the next keepalive: virDomainMigrateStartPostCopy took from 0.1 s to 11 s to reach
  // libvirtd on the testbed (docs/guest-module.md).
  ConnectionRef own;
  own.conn = virConnectOpen(uri_.c_str());
  if (own.conn == nullptr) {
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("connecting to ", uri_));
  }
  virConnectSetKeepAlive(own.conn, 5, 3);
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(own.conn, vm));
  virTypedParameterPtr params = nullptr;
  int nparams = 0;
  int maxparams = 0;
  if (!options.migration_uri.empty()) {
    virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI,
                            options.migration_uri.c_str());
  }
  if (!options.listen_address.empty()) {
    virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
                            options.listen_address.c_str());
  }
  if (options.bandwidth_mibps > 0) {
    virTypedParamsAddULLong(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_BANDWIDTH,
                            static_cast<unsigned long long>(options.bandwidth_mibps + 0.5));
  }
  if (options.postcopy_bandwidth_mibps > 0) {
    virTypedParamsAddULLong(
        &params, &nparams, &maxparams, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY,
        static_cast<unsigned long long>(options.postcopy_bandwidth_mibps + 0.5));
  }
  if (options.parallel_connections > 1) {
    virTypedParamsAddInt(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
                         static_cast<int>(options.parallel_connections));
  }
  unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER;
  if (options.allow_postcopy) flags |= VIR_MIGRATE_POSTCOPY;
  if (options.auto_converge) flags |= VIR_MIGRATE_AUTO_CONVERGE;
  if (options.parallel_connections > 1) flags |= VIR_MIGRATE_PARALLEL;
  if (options.persist_destination) flags |= VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;
  const int rc = virDomainMigrateToURI3(ref->dom, options.dest_libvirt_uri.c_str(), params,
                                        static_cast<unsigned int>(nparams), flags);
  const std::string error = rc < 0 ? MigrateFailure(own.conn, options.dest_libvirt_uri) : "";
  virTypedParamsFree(params, nparams);
  if (rc < 0) return absl::AbortedError(error);
  return absl::OkStatus();
}

StatusOr<JobStats> LibvirtHypervisor::GetJobStats(const std::string& vm, bool completed) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  return JobStatsOf(ref->dom, completed);
}

Status LibvirtHypervisor::SetMaxSpeed(const std::string& vm, double mibps, bool postcopy) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  // 0 means unlimited to us; libvirt wants an explicit large number for that.
  const unsigned long bandwidth =
      mibps > 0 ? static_cast<unsigned long>(mibps + 0.5) : 8796093022207UL;
  const unsigned int flags = postcopy ? VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY : 0;
  if (virDomainMigrateSetMaxSpeed(ref->dom, bandwidth, flags) < 0) {
    return Error(absl::StatusCode::kFailedPrecondition, absl::StrCat("setting the speed of ", vm));
  }
  return absl::OkStatus();
}

Status LibvirtHypervisor::SetMaxDowntime(const std::string& vm, double downtime_ms) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  if (virDomainMigrateSetMaxDowntime(ref->dom, static_cast<unsigned long long>(downtime_ms), 0) <
      0) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("setting the downtime limit of ", vm));
  }
  return absl::OkStatus();
}

Status LibvirtHypervisor::StartPostCopy(const std::string& vm) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  if (virDomainMigrateStartPostCopy(ref->dom, 0) < 0) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("switching the migration of ", vm, " to post-copy"));
  }
  return absl::OkStatus();
}

StatusOr<std::string> LibvirtHypervisor::ChannelPath(const std::string& vm,
                                                     const std::string& name) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  char* raw = virDomainGetXMLDesc(ref->dom, 0);
  if (raw == nullptr) {
    return Error(absl::StatusCode::kUnavailable, absl::StrCat("reading the XML of ", vm));
  }
  const std::string xml(raw);
  std::free(raw);
  return ChannelPathIn(xml, vm, name);
}

Status LibvirtHypervisor::AbortJob(const std::string& vm) {
  CONVOY_ASSIGN_OR_RETURN(virConnectPtr conn, Conn());
  CONVOY_ASSIGN_OR_RETURN(auto ref, Lookup(conn, vm));
  if (virDomainAbortJob(ref->dom) < 0) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("aborting the migration of ", vm));
  }
  return absl::OkStatus();
}

}  // namespace convoy::agent
