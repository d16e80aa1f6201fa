#include "agent/redis_stager.h"

#include <hiredis/hiredis.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/controller_link.h"

namespace convoy::agent {
namespace {

timeval Timeval(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

// Owns one reply.
struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r != nullptr) freeReplyObject(r);
  }
};

// Writes all of `iov` (blocking socket with a send timeout); false on error or timeout.
bool WriteAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    const ssize_t n = writev(fd, iov, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<RedisPageStager>> RedisPageStager::Connect(
    const std::string& address, const std::string& migration_id,
    const RedisStagerOptions& options) {
  CONVOY_ASSIGN_OR_RETURN(HostPort where, ParseHostPort(address));
  std::string host = where.host;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::unique_ptr<RedisPageStager> s(new RedisPageStager(address, migration_id, options));
  s->context_ = redisConnectWithTimeout(host.c_str(), where.port, Timeval(options.timeout_ms));
  if (s->context_ == nullptr || s->context_->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("intermediary ", address, ": cannot connect to Redis: ",
                     s->context_ != nullptr ? s->context_->errstr : "out of memory"));
  }
  redisSetTimeout(s->context_, Timeval(options.timeout_ms));
  redisEnableKeepAlive(s->context_);
  Reply pong{static_cast<redisReply*>(redisCommand(s->context_, "PING"))};
  if (pong.r == nullptr || pong.r->type != REDIS_REPLY_STATUS) {
    return absl::UnavailableError(absl::StrCat(
        "intermediary ", address, ": no answer to PING: ",
        pong.r != nullptr && pong.r->str != nullptr ? pong.r->str : s->context_->errstr));
  }
  return s;
}

RedisPageStager::~RedisPageStager() {
  if (context_ != nullptr) redisFree(context_);
}

Status RedisPageStager::Broken(const std::string& what) {
  if (broken_.ok()) {
    broken_ = absl::UnavailableError(
        absl::StrCat("intermediary ", address_, ": ", what, ": ",
                     context_->err != 0 ? context_->errstr : std::strerror(errno)));
  }
  return broken_;
}

PutResult RedisPageStager::Answer() {
  const uint64_t seq = outstanding_.front();
  outstanding_.pop_front();
  if (!broken_.ok()) return {seq, broken_};
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK) return {seq, Broken("reading an answer")};
  Reply reply{static_cast<redisReply*>(raw)};
  if (reply.r->type == REDIS_REPLY_STATUS) return {seq, absl::OkStatus()};
  const std::string text = reply.r->str != nullptr ? reply.r->str : "unexpected answer";
  if (reply.r->type == REDIS_REPLY_ERROR && text.rfind("OOM", 0) == 0) {
    return {seq, absl::ResourceExhaustedError(absl::StrCat("intermediary ", address_,
                                                           " is full (Redis maxmemory): ", text))};
  }
  return {seq, absl::InternalError(absl::StrCat("intermediary ", address_, ": ", text))};
}

std::vector<PutResult> RedisPageStager::Put(uint64_t seq, std::string_view bytes) {
  std::vector<PutResult> answers;
  while (outstanding_.size() >= static_cast<size_t>(std::max(1, options_.window))) {
    answers.push_back(Answer());
  }
  if (!broken_.ok()) {
    answers.push_back({seq, broken_});
    return answers;
  }
  const std::string key = StageKey(migration_id_, seq);
  // SET key value in RESP, the value written from the caller's buffer.
  const std::string head =
      absl::StrCat("*3\r\n$3\r\nSET\r\n$", key.size(), "\r\n", key, "\r\n$", bytes.size(), "\r\n");
  static const char kEnd[] = "\r\n";
  iovec iov[3] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(bytes.data()), bytes.size()},
                  {const_cast<char*>(kEnd), 2}};
  outstanding_.push_back(seq);
  if (!WriteAll(context_->fd, iov, 3)) {
    (void)Broken("writing chunk " + std::to_string(seq));
    while (!outstanding_.empty()) answers.push_back(Answer());
  }
  return answers;
}

std::vector<PutResult> RedisPageStager::Drain() {
  std::vector<PutResult> answers;
  while (!outstanding_.empty()) answers.push_back(Answer());
  return answers;
}

StatusOr<std::vector<std::string>> RedisPageStager::Take(const std::vector<uint64_t>& seqs) {
  for (const auto& answer : Drain()) {
    if (!answer.status.ok()) return answer.status;
  }
  if (!broken_.ok()) return broken_;
  for (uint64_t seq : seqs) {
    const std::string key = StageKey(migration_id_, seq);
    if (redisAppendCommand(context_, "GETDEL %b", key.data(), key.size()) != REDIS_OK) {
      return Broken("queueing a take");
    }
  }
  std::vector<std::string> chunks;
  chunks.reserve(seqs.size());
  Status first_error;
  for (uint64_t seq : seqs) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK) {
      return Broken("reading chunk " + std::to_string(seq));
    }
    Reply reply{static_cast<redisReply*>(raw)};
    if (!first_error.ok()) continue;  // read the rest, to stay in step with the server
    if (reply.r->type == REDIS_REPLY_STRING) {
      chunks.emplace_back(reply.r->str, reply.r->len);
    } else if (reply.r->type == REDIS_REPLY_NIL) {
      first_error = absl::NotFoundError(absl::StrCat("chunk ", seq, " of migration ", migration_id_,
                                                     " is not on intermediary ", address_));
    } else {
      first_error = absl::InternalError(absl::StrCat(
          "intermediary ", address_, ": ", reply.r->str != nullptr ? reply.r->str : "bad answer"));
    }
  }
  if (!first_error.ok()) return first_error;
  return chunks;
}

Status RedisPageStager::Scan(const std::function<Status(const std::vector<std::string>&)>& visit) {
  for (const auto& answer : Drain()) (void)answer;  // a clean-up goes on whatever they said
  if (!broken_.ok()) return broken_;
  const std::string pattern = StageKeyPattern(migration_id_);
  std::string cursor = "0";
  do {
    Reply reply{static_cast<redisReply*>(redisCommand(
        context_, "SCAN %s MATCH %b COUNT 1000", cursor.c_str(), pattern.data(), pattern.size()))};
    if (reply.r == nullptr) return Broken("scanning");
    if (reply.r->type != REDIS_REPLY_ARRAY || reply.r->elements != 2) {
      return absl::InternalError(absl::StrCat("intermediary ", address_, ": bad SCAN answer"));
    }
    cursor.assign(reply.r->element[0]->str, reply.r->element[0]->len);
    std::vector<std::string> keys;
    const redisReply* list = reply.r->element[1];
    for (size_t i = 0; i < list->elements; ++i) {
      keys.emplace_back(list->element[i]->str, list->element[i]->len);
    }
    if (!keys.empty()) CONVOY_RETURN_IF_ERROR(visit(keys));
  } while (cursor != "0");
  return absl::OkStatus();
}

StatusOr<uint64_t> RedisPageStager::DeleteAll() {
  uint64_t deleted = 0;
  CONVOY_RETURN_IF_ERROR(Scan([&](const std::vector<std::string>& keys) -> Status {
    std::vector<const char*> argv{"UNLINK"};
    std::vector<size_t> lengths{6};
    for (const auto& k : keys) {
      argv.push_back(k.data());
      lengths.push_back(k.size());
    }
    Reply reply{static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()))};
    if (reply.r == nullptr) return Broken("deleting");
    if (reply.r->type != REDIS_REPLY_INTEGER) {
      return absl::InternalError(absl::StrCat("intermediary ", address_, ": UNLINK refused: ",
                                              reply.r->str != nullptr ? reply.r->str : "?"));
    }
    deleted += static_cast<uint64_t>(reply.r->integer);
    return absl::OkStatus();
  }));
  return deleted;
}

StatusOr<uint64_t> RedisPageStager::Count() {
  uint64_t count = 0;
  CONVOY_RETURN_IF_ERROR(Scan([&](const std::vector<std::string>& keys) -> Status {
    count += keys.size();
    return absl::OkStatus();
  }));
  return count;
}

PageStagerFactory RedisStagerFactory(RedisStagerOptions options) {
  return [options](const std::string& address,
                   const std::string& migration_id) -> StatusOr<std::unique_ptr<PageStager>> {
    CONVOY_ASSIGN_OR_RETURN(auto stager, RedisPageStager::Connect(address, migration_id, options));
    return std::unique_ptr<PageStager>(std::move(stager));
  };
}

}  // namespace convoy::agent
