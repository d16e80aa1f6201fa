#include "agent/stage_server.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/controller_link.h"

namespace convoy::agent {
namespace {

constexpr int kHelloTimeoutMs = 5000;

void Refuse(int fd, const std::string& why) {
  const std::string line = absl::StrCat("ERR ", why, "\n");
  (void)stage::WriteAll(fd, line.data(), line.size());
  stage::Close(fd);
}

}  // namespace

StatusOr<std::unique_ptr<StageServer>> StageServer::Start(const std::string& address,
                                                          PageStagerFactory factory,
                                                          GatherOptions options) {
  CONVOY_ASSIGN_OR_RETURN(HostPort where, ParseHostPort(address));
  auto fd = stage::ListenTcp(where.host, where.port);
  if (!fd.ok()) {
    return Status(fd.status().code(),
                  absl::StrCat("stage link on ", address, ": ", fd.status().message()));
  }
  std::unique_ptr<StageServer> server(new StageServer());
  server->factory_ = std::move(factory);
  server->options_ = options;
  server->listen_fd_ = *fd;
  server->port_ = stage::LocalPort(*fd);
  StageServer* self = server.get();
  server->thread_ = std::thread([self] { self->Serve(); });
  return server;
}

StageServer::~StageServer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  stage::Close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  gatherers_.clear();  // each stops, joins and cleans up
}

void StageServer::Expect(ExpectedStage expected) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = expected.migration_id;
  expected_[id] = std::move(expected);
}

size_t StageServer::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& g : gatherers_) n += g->Done() ? 0 : 1;
  return n;
}

void StageServer::Serve() {
  while (!stop_.load()) {
    auto fd = stage::AcceptWithin(listen_fd_, 500, stop_);
    Reap();
    if (fd.ok()) Handle(*fd);
  }
}

void StageServer::Reap() {
  std::vector<std::unique_ptr<StageGatherer>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = expected_.begin(); it != expected_.end();) {
      it = it->second.deadline < now ? expected_.erase(it) : std::next(it);
    }
    for (auto it = gatherers_.begin(); it != gatherers_.end();) {
      if ((*it)->Done()) {
        finished.push_back(std::move(*it));
        it = gatherers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  finished.clear();  // joined and cleaned outside the lock
}

void StageServer::Handle(int fd) {
  auto hello = stage::ReadLine(fd, 512, kHelloTimeoutMs);
  if (!hello.ok() || hello->rfind(stage::kHelloPrefix, 0) != 0) {
    return Refuse(fd, "not a stage link hello");
  }
  const std::vector<std::string> words =
      absl::StrSplit(hello->substr(stage::kHelloPrefix.size()), ' ');
  if (words.size() != 2) return Refuse(fd, "the hello needs a migration id and a token");
  ExpectedStage expected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = expected_.find(words[0]);
    if (it == expected_.end() || it->second.token != words[1]) {
      return Refuse(fd, absl::StrCat("no staged migration ", words[0], " is expected here"));
    }
    expected = std::move(it->second);
    expected_.erase(it);
  }
  std::vector<std::unique_ptr<PageStager>> stagers;
  for (const auto& address : expected.intermediaries) {
    auto stager = factory_(address, expected.migration_id);
    if (!stager.ok()) return Refuse(fd, std::string(stager.status().message()));
    stagers.push_back(*std::move(stager));
  }
  static const char kOk[] = "OK\n";
  if (!stage::WriteAll(fd, kOk, 3)) return stage::Close(fd);
  auto gatherer = std::make_unique<StageGatherer>(expected.migration_id, fd, std::move(stagers),
                                                  expected.qemu_address, options_, factory_);
  std::lock_guard<std::mutex> lock(mu_);
  gatherers_.push_back(std::move(gatherer));
}

}  // namespace convoy::agent
