// Staging throughput into one Redis server (tests/bench/stage_throughput.sh runs it next to
// redis-benchmark and prints the table). Modes:
//   stager: 1 GiB (--mib) of chunks Put through RedisPageStager with --window outstanding;
//   relay:  the same bytes written into a StageRelay's socket, as the source QEMU would, the
//           relay chunking and storing them (its stage link drained by a thread);
//   memory: Redis's used_memory per stored value of --chunk bytes (jemalloc size classes).
// Prints one line: "<mode> mibps=<rate> seconds=<time>" or "memory bytes_per_value=<n>".
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "agent/redis_stager.h"
#include "agent/stage_link.h"
#include "agent/stage_relay.h"

namespace {

using convoy::agent::RedisPageStager;
using convoy::agent::RedisStagerOptions;

struct Args {
  std::string mode = "stager";
  std::string address = "127.0.0.1:6379";
  size_t chunk = 63 * 4096;
  int window = 8;
  size_t mib = 1024;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Noise(size_t n) {
  std::mt19937_64 random(7);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t v = random();
    std::memcpy(s.data() + i, &v, 8);
  }
  return s;
}

long long UsedMemory(redisContext* c) {
  auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO memory"));
  long long used = -1;
  if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
    const char* at = std::strstr(reply->str, "used_memory:");
    if (at != nullptr) used = std::atoll(at + std::strlen("used_memory:"));
  }
  if (reply != nullptr) freeReplyObject(reply);
  return used;
}

int Fail(const convoy::Status& s) {
  std::fprintf(stderr, "stage_bench: %s\n", std::string(s.message()).c_str());
  return 1;
}

int Stager(const Args& a) {
  RedisStagerOptions options;
  options.window = a.window;
  auto stager = RedisPageStager::Connect(a.address, "bench-stager", options);
  if (!stager.ok()) return Fail(stager.status());
  const std::string value = Noise(a.chunk);
  const uint64_t chunks = (a.mib << 20) / a.chunk;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t seq = 0; seq < chunks; ++seq) {
    for (const auto& answer : (*stager)->Put(seq, value)) {
      if (!answer.status.ok()) return Fail(answer.status);
    }
  }
  for (const auto& answer : (*stager)->Drain()) {
    if (!answer.status.ok()) return Fail(answer.status);
  }
  const double s = Seconds(t0);
  std::printf("stager mibps=%.1f seconds=%.3f\n", static_cast<double>(chunks * a.chunk) / 1048576 / s,
              s);
  (void)(*stager)->DeleteAll();
  return 0;
}

int Relay(const Args& a) {
  RedisStagerOptions options;
  options.window = a.window;
  std::vector<std::unique_ptr<convoy::agent::PageStager>> stagers;
  auto stager = RedisPageStager::Connect(a.address, "bench-relay", options);
  if (!stager.ok()) return Fail(stager.status());
  stagers.push_back(*std::move(stager));
  int link[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, link) != 0) return 1;
  std::thread drain([fd = link[1]] {  // the destination's end: takes the frames, keeps nothing
    while (convoy::agent::stage::ReadFrame(fd).ok()) {
    }
  });
  auto listen_fd = convoy::agent::stage::ListenTcp("127.0.0.1", 0);
  if (!listen_fd.ok()) return Fail(listen_fd.status());
  const int port = convoy::agent::stage::LocalPort(*listen_fd);
  convoy::agent::RelayOptions relay_options;
  relay_options.chunk_bytes = a.chunk;
  relay_options.window_chunks = 2 * a.window;
  convoy::agent::StageRelay relay("bench-relay", *listen_fd, std::move(stagers), link[0],
                                  relay_options, convoy::agent::RedisStagerFactory(options),
                                  [](const convoy::Status& s) { Fail(s); });
  auto qemu = convoy::agent::stage::ConnectTcp("127.0.0.1:" + std::to_string(port), 5000);
  if (!qemu.ok()) return Fail(qemu.status());
  const std::string block = Noise(1 << 20);
  const uint64_t total = a.mib << 20;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t sent = 0; sent < total; sent += block.size()) {
    if (!convoy::agent::stage::WriteAll(*qemu, block.data(), block.size())) return 1;
  }
  while (relay.Figures().staged_bytes < total) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const double s = Seconds(t0);
  std::printf("relay mibps=%.1f seconds=%.3f\n", static_cast<double>(total) / 1048576 / s, s);
  convoy::agent::stage::Close(*qemu);
  const convoy::Status cleaned = relay.Finish(false);
  drain.join();
  convoy::agent::stage::Close(link[1]);
  return cleaned.ok() ? 0 : Fail(cleaned);
}

int Memory(const Args& a) {
  const auto colon = a.address.rfind(':');
  redisContext* c =
      redisConnect(a.address.substr(0, colon).c_str(), std::atoi(a.address.c_str() + colon + 1));
  if (c == nullptr || c->err != 0) return 1;
  auto stager = RedisPageStager::Connect(a.address, "bench-memory", RedisStagerOptions{});
  if (!stager.ok()) return Fail(stager.status());
  const uint64_t values = std::max<uint64_t>(64, (a.mib << 20) / a.chunk);
  const std::string value = Noise(a.chunk);
  const long long before = UsedMemory(c);
  for (uint64_t seq = 0; seq < values; ++seq) (void)(*stager)->Put(seq, value);
  (void)(*stager)->Drain();
  const long long after = UsedMemory(c);
  std::printf("memory bytes_per_value=%.0f value_bytes=%zu overhead_pct=%.1f\n",
              static_cast<double>(after - before) / static_cast<double>(values), a.chunk,
              100.0 * (static_cast<double>(after - before) / static_cast<double>(values) /
                           static_cast<double>(a.chunk) -
                       1));
  (void)(*stager)->DeleteAll();
  redisFree(c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--mode") a.mode = value;
    if (key == "--address") a.address = value;
    if (key == "--chunk") a.chunk = std::stoul(value);
    if (key == "--window") a.window = std::stoi(value);
    if (key == "--mib") a.mib = std::stoul(value);
  }
  if (a.mode == "stager") return Stager(a);
  if (a.mode == "relay") return Relay(a);
  if (a.mode == "memory") return Memory(a);
  std::fprintf(stderr, "stage_bench: --mode stager|relay|memory\n");
  return 2;
}
