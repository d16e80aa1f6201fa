#include "tests/e2e/testbed.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace convoy::e2e {

CommandResult RunCommand(const std::string& command, int timeout_s) {
  CommandResult result;
  std::string quoted;  // the command inside single quotes, its own quotes escaped
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  const std::string wrapped =
      absl::StrCat("timeout --kill-after=10 ", timeout_s, " sh -c '", quoted, "' 2>&1");
  FILE* pipe = popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Testbed::MissingCapability() {
  if (geteuid() != 0) return "the testbed needs root (network and mount namespaces, libvirtd)";
  auto probe = RunCommand("ip netns add convoy-e2e-probe && ip netns del convoy-e2e-probe", 20);
  if (probe.exit_code != 0) return "cannot create network namespaces: " + probe.output;
  return "";
}

bool Testbed::Up(int hosts, std::string* error, const std::string& up_args) {
  repo_ = CONVOY_REPO_DIR;
  const char* dir = std::getenv("CONVOY_TESTBED_DIR");
  state_dir_ = dir != nullptr ? dir : "/run/convoy-testbed";
  RunCommand(absl::StrCat(repo_, "/scripts/testbed down"), 120);
  auto guest = RunCommand(absl::StrCat(repo_, "/scripts/build-guest"), 900);
  if (guest.exit_code != 0) {
    *error = "scripts/build-guest failed:\n" + guest.output;
    return false;
  }
  auto up =
      RunCommand(absl::StrCat(repo_, "/scripts/testbed up --hosts ", hosts, " ", up_args), 300);
  if (up.exit_code != 0) {
    *error = "scripts/testbed up failed:\n" + up.output;
    return false;
  }
  std::ifstream file(state_dir_ + "/hosts");
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    TestbedHost h;
    if (in >> h.name >> h.ip >> h.libvirt_uri >> h.agent) hosts_.push_back(h);
  }
  if (static_cast<int>(hosts_.size()) != hosts) {
    *error = absl::StrCat("expected ", hosts, " hosts in ", state_dir_, "/hosts");
    return false;
  }
  for (const auto& h : hosts_) Reconnect(h.name);
  // Wait for every agent to answer.
  for (const auto& h : hosts_) {
    bool ok = false;
    for (int i = 0; i < 100 && !ok; ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::HostReport report;
      ok = agent(h.name)->Describe(&context, v1::DescribeRequest(), &report).ok();
      if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!ok) {
      *error = "agent of " + h.name + " does not answer; its log:\n" +
               RunCommand("tail -20 " + state_dir_ + "/" + h.name + "/agent.log").output;
      return false;
    }
  }
  return true;
}

void Testbed::Down() {
  stubs_.clear();
  // After a failed test, whether each host's libvirtd still answers (on its socket, and to the
  // other hosts over TCP, as a migration's peer-to-peer connection does) and its last errors go
  // to the output before `down` removes them.
  if (!hosts_.empty() && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::cout << "--- testbed check after a failed test\n"
              << RunCommand(absl::StrCat(repo_, "/scripts/testbed check"), 300).output
              << std::flush;
  }
  RunCommand(absl::StrCat(repo_, "/scripts/testbed down"), 180);
  hosts_.clear();
}

const TestbedHost& Testbed::host(const std::string& name) const {
  for (const auto& h : hosts_) {
    if (h.name == name) return h;
  }
  static const TestbedHost kNoHost;  // an unknown name, or the testbed is down
  return kNoHost;
}

v1::Agent::Stub* Testbed::agent(const std::string& host) { return stubs_[host].get(); }

CommandResult Testbed::Exec(const std::string& host, const std::string& command,
                            int timeout_s) const {
  return RunCommand(absl::StrCat(repo_, "/scripts/testbed exec ", host, " ", command), timeout_s);
}

void Testbed::Reconnect(const std::string& name) {
  stubs_[name] = v1::Agent::NewStub(grpc::CreateChannel(host(name).agent, ControllerCredentials()));
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& dir,
                                                         const std::string& name) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(dir + "/ca.crt");
  options.pem_cert_chain = ReadFile(dir + "/" + name + ".crt");
  options.pem_private_key = ReadFile(dir + "/" + name + ".key");
  return grpc::SslCredentials(options);
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> Testbed::ControllerCredentials() const {
  return TlsCredentials(state_dir_ + "/tls", "convoyd");
}

std::shared_ptr<grpc::ChannelCredentials> Testbed::ClientCredentials(
    const std::string& role) const {
  return TlsCredentials(state_dir_ + "/tls", "testbed-" + role);
}

std::vector<std::string> Testbed::ConvoydTlsFlags() const {
  const std::string dir = state_dir_ + "/tls";
  return {"--tls-ca",           dir + "/ca.crt", "--tls-cert",
          dir + "/convoyd.crt", "--tls-key",     dir + "/convoyd.key"};
}

bool Testbed::StartGuest(const std::string& name, const std::string& host, int memory_mib,
                         const std::string& run, std::string* error, const std::string& extra) {
  std::string command = absl::StrCat(repo_, "/scripts/testbed guest ", name, " --host ", host,
                                     " --memory-mib ", memory_mib, " ", extra);
  if (!run.empty()) absl::StrAppend(&command, " --run '", run, "'");
  auto started = RunCommand(command, 120);
  if (started.exit_code != 0) {
    *error = "scripts/testbed guest failed:\n" + started.output;
    return false;
  }
  if (!WaitHeartbeat(name, 2, 120)) {
    *error = "guest " + name + " never printed its heartbeat; its log:\n" +
             RunCommand("tail -30 " + state_dir_ + "/guests/" + name + ".log").output;
    return false;
  }
  return true;
}

std::vector<long> Testbed::Heartbeats(const std::string& guest) const {
  std::vector<long> beats;
  std::ifstream log(state_dir_ + "/guests/" + guest + ".log");
  const std::string marker = "convoy-alive " + guest + " ";
  std::string text;
  while (std::getline(log, text)) {
    const auto at = text.find(marker);
    if (at == std::string::npos) continue;
    const char* digits = text.c_str() + at + marker.size();
    char* end = nullptr;
    const long n = std::strtol(digits, &end, 10);
    if (end != digits) beats.push_back(n);
  }
  return beats;
}

std::string Testbed::KernelTrouble(const std::string& guest) const {
  static constexpr const char* kMarkers[] = {"Kernel panic", "BUG:", "kernel BUG", "Oops",
                                             "general protection fault", "stack-protector"};
  std::ifstream log(state_dir_ + "/guests/" + guest + ".log");
  std::string text, out;
  int found = 0;
  while (found < 3 && std::getline(log, text)) {
    for (const char* marker : kMarkers) {
      if (text.find(marker) == std::string::npos) continue;
      out += text + "\n";
      ++found;
      break;
    }
  }
  return out;
}

bool Testbed::WaitHeartbeat(const std::string& guest, long count, int timeout_s) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    auto beats = Heartbeats(guest);
    if (!beats.empty() && beats.back() >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

std::vector<std::string> Testbed::WhereRunning(const std::string& guest) {
  std::vector<std::string> where;
  for (const auto& h : hosts_) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::DescribeRequest request;
    v1::HostReport report;
    if (!agent(h.name)->Describe(&context, request, &report).ok()) continue;
    for (const auto& vm : report.vms()) {
      if (vm.name() == guest && vm.state() == "running") where.push_back(h.name);
    }
  }
  return where;
}

long Testbed::LastBeat(const std::string& guest) const {
  auto beats = Heartbeats(guest);
  return beats.empty() ? 0 : beats.back();
}

grpc::Status Testbed::StartMigration(const std::string& from,
                                     const v1::StartMigrationRequest& request,
                                     v1::MigrationProgress* progress) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return agent(from)->StartMigration(&context, request, progress);
}

v1::MigrationProgress Testbed::GetMigration(const std::string& from, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::MigrationRef ref;
  ref.set_id(id);
  v1::MigrationProgress p;
  (void)agent(from)->GetMigration(&context, ref, &p);
  return p;
}

std::vector<v1::MigrationProgress> Testbed::WatchMigration(const std::string& from,
                                                           const std::string& id, int timeout_s) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
  v1::WatchRequest request;
  request.set_id(id);
  request.set_interval_ms(500);
  auto reader = agent(from)->WatchMigration(&context, request);
  std::vector<v1::MigrationProgress> all;
  v1::MigrationProgress p;
  while (reader->Read(&p)) all.push_back(p);
  (void)reader->Finish();
  return all;
}

v1::StartMigrationRequest Testbed::MigrationTo(const std::string& vm, const std::string& to,
                                               const std::string& mode) const {
  v1::StartMigrationRequest r;
  r.set_vm(vm);
  r.set_mode(mode);
  r.mutable_destination()->set_host(to);
  r.mutable_destination()->set_libvirt_uri(host(to).libvirt_uri);
  r.mutable_destination()->set_migration_address(host(to).ip);
  return r;
}

}  // namespace convoy::e2e
