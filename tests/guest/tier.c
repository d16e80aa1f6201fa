/* tier ROLE ...: a three-tier request chain web -> app -> db over TCP.
 *   tier db PORT
 *   tier app PORT DB_HOST DB_PORT
 *   tier web APP_HOST APP_PORT
 * Protocol (one line each way, one request in flight per connection):
 *   request "REQ <seq>\n"; reply "RESP <seq>\n", or "ERR <seq>\n" from app
 *   when it cannot reach db.
 * web sends a request every 100 ms and once a second prints, for that second:
 *   tier latency_ms avg=X max=Y n=Z errors=E
 * (n = replies, errors = failed connects, ERR replies, timeouts (4 s) and
 * dropped connections). app and db print once a second:
 *   tier app requests=N errors=E conns=C
 *   tier db requests=N conns=C
 * Every role reconnects or keeps accepting after errors and never exits. */
#include "common.h"

#include <pthread.h>

#define WEB_PERIOD_NS (100 * NS_PER_MS)
#define WEB_TIMEOUT_NS (4 * NS_PER_S)
#define APP_DB_CONNECT_MS 1000
#define APP_DB_REPLY_MS 2500
#define BACKOFF_MIN_NS (100 * NS_PER_MS)
#define BACKOFF_MAX_NS (2 * NS_PER_S)

static long long g_requests, g_errors, g_conns;

static void count(long long* c, long long d) { __atomic_add_fetch(c, d, __ATOMIC_RELAXED); }
static long long take(long long* c) { return __atomic_exchange_n(c, 0, __ATOMIC_RELAXED); }

struct liner {
  int fd;
  size_t len;
  char buf[256];
};

/* Reads one '\n'-terminated line into out (without the '\n').
 * Returns 1 on a line, 0 on timeout, -1 on EOF/error/garbage.
 * timeout_ms < 0 waits forever. */
static int read_line(struct liner* l, char* out, size_t outsz, int timeout_ms) {
  int64_t deadline = timeout_ms < 0 ? 0 : now_ns() + (int64_t)timeout_ms * NS_PER_MS;
  for (;;) {
    char* nl = memchr(l->buf, '\n', l->len);
    if (nl) {
      size_t n = (size_t)(nl - l->buf);
      if (n >= outsz) return -1;
      memcpy(out, l->buf, n);
      out[n] = 0;
      l->len -= n + 1;
      memmove(l->buf, nl + 1, l->len);
      return 1;
    }
    if (l->len == sizeof l->buf) return -1;
    int wait = -1;
    if (timeout_ms >= 0) {
      int64_t left = deadline - now_ns();
      if (left <= 0) return 0;
      wait = (int)(left / NS_PER_MS) + 1;
    }
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    int rc = poll(&p, 1, wait);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return 0;
    ssize_t r = recv(l->fd, l->buf + l->len, sizeof l->buf - l->len, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return -1;
    l->len += (size_t)r;
  }
}

static int send_all(int fd, const char* s, size_t n) {
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- db ---- */
static void* db_conn(void* arg) {
  struct liner l = {.fd = (int)(intptr_t)arg};
  char line[128], reply[160];
  count(&g_conns, 1);
  while (read_line(&l, line, sizeof line, -1) == 1) {
    unsigned long seq;
    if (sscanf(line, "REQ %lu", &seq) != 1) break;
    int n = snprintf(reply, sizeof reply, "RESP %lu\n", seq);
    if (send_all(l.fd, reply, (size_t)n) < 0) break;
    count(&g_requests, 1);
  }
  close(l.fd);
  count(&g_conns, -1);
  return NULL;
}

/* ---- app ---- */
static struct sockaddr_in g_db;

static void* app_conn(void* arg) {
  struct liner web = {.fd = (int)(intptr_t)arg};
  struct liner db = {.fd = -1};
  char line[128], reply[128], out[160];
  count(&g_conns, 1);
  while (read_line(&web, line, sizeof line, -1) == 1) {
    unsigned long seq;
    if (sscanf(line, "REQ %lu", &seq) != 1) break;
    int ok = 0;
    if (db.fd < 0) {
      db.fd = connect_timeout(&g_db, APP_DB_CONNECT_MS);
      db.len = 0;
    }
    if (db.fd >= 0) {
      int n = snprintf(out, sizeof out, "REQ %lu\n", seq);
      unsigned long rseq;
      if (send_all(db.fd, out, (size_t)n) == 0 &&
          read_line(&db, reply, sizeof reply, APP_DB_REPLY_MS) == 1 &&
          sscanf(reply, "RESP %lu", &rseq) == 1 && rseq == seq) {
        ok = 1;
      } else { /* timeout or broken: drop the db connection, retry next time */
        close(db.fd);
        db.fd = -1;
      }
    }
    int n = snprintf(out, sizeof out, "%s %lu\n", ok ? "RESP" : "ERR", seq);
    count(ok ? &g_requests : &g_errors, 1);
    if (send_all(web.fd, out, (size_t)n) < 0) break;
  }
  if (db.fd >= 0) close(db.fd);
  close(web.fd);
  count(&g_conns, -1);
  return NULL;
}

static void serve(const char* role, int port, void* (*fn)(void*)) {
  int lfd = listen_any(port);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  int64_t next_report = now_ns() + NS_PER_S;
  for (;;) {
    int64_t wait = (next_report - now_ns()) / NS_PER_MS;
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, wait < 0 ? 0 : (int)wait + 1) == 1) {
      int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        tune_socket(c);
        pthread_t th;
        if (pthread_create(&th, &attr, fn, (void*)(intptr_t)c) != 0) close(c);
      }
    }
    int64_t t = now_ns();
    if (t >= next_report) {
      long long conns = __atomic_load_n(&g_conns, __ATOMIC_RELAXED);
      if (fn == app_conn)
        printf("tier %s requests=%lld errors=%lld conns=%lld\n", role, take(&g_requests),
               take(&g_errors), conns);
      else
        printf("tier %s requests=%lld conns=%lld\n", role, take(&g_requests), conns);
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
  }
}

/* ---- web ---- */
static void web(const struct sockaddr_in* app) {
  struct liner l = {.fd = -1};
  unsigned long seq = 0;
  int waiting = 0;
  int64_t sent_at = 0, next_send = now_ns(), next_try = 0, backoff = BACKOFF_MIN_NS;
  int64_t next_report = now_ns() + NS_PER_S;
  double sum_ms = 0, max_ms = 0;
  long n = 0, errors = 0;
  char line[128], out[64];

  for (;;) {
    int broken = 0;
    int64_t t = now_ns();
    if (l.fd < 0 && t >= next_try) {
      l.fd = connect_timeout(app, 1000);
      l.len = 0;
      waiting = 0;
      t = now_ns();
      if (l.fd < 0) {
        errors++;
        next_try = t + backoff;
        backoff = backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : backoff * 2;
      } else {
        backoff = BACKOFF_MIN_NS;
        if (next_send < t) next_send = t;
      }
    }
    if (l.fd >= 0 && !waiting && t >= next_send) {
      int len = snprintf(out, sizeof out, "REQ %lu\n", ++seq);
      if (send_all(l.fd, out, (size_t)len) == 0) {
        waiting = 1;
        sent_at = t;
      } else {
        broken = 1;
      }
      next_send += WEB_PERIOD_NS;
      if (next_send <= t) next_send = t + WEB_PERIOD_NS; /* late: do not burst */
    }
    if (l.fd >= 0 && waiting && !broken) {
      int64_t until = sent_at + WEB_TIMEOUT_NS;
      if (next_report < until) until = next_report;
      int64_t left = until - now_ns();
      int rc = read_line(&l, line, sizeof line, left < 0 ? 0 : (int)(left / NS_PER_MS));
      if (rc == 1) {
        unsigned long rseq;
        if (sscanf(line, "RESP %lu", &rseq) == 1 && rseq == seq) {
          double ms = (double)(now_ns() - sent_at) / NS_PER_MS;
          sum_ms += ms;
          if (ms > max_ms) max_ms = ms;
          n++;
          waiting = 0;
        } else if (sscanf(line, "ERR %lu", &rseq) == 1 && rseq == seq) {
          errors++;
          waiting = 0;
        } /* else: a stale reply; keep waiting for ours */
      } else if (rc < 0 || now_ns() - sent_at >= WEB_TIMEOUT_NS) {
        broken = 1;
      }
    } else if (!broken) {
      /* idle: sleep until the next send, connect attempt or report */
      int64_t until = next_report;
      if (l.fd >= 0 && next_send < until) until = next_send;
      if (l.fd < 0 && next_try < until) until = next_try;
      sleep_until_ns(until);
    }
    if (broken) { /* dropped, timed out or unwritable: reconnect after a backoff */
      errors++;
      close(l.fd);
      l.fd = -1;
      waiting = 0;
      next_try = now_ns() + backoff;
      backoff = backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : backoff * 2;
    }
    t = now_ns();
    if (t >= next_report) {
      printf("tier latency_ms avg=%.3f max=%.3f n=%ld errors=%ld\n", n ? sum_ms / (double)n : 0.0,
             max_ms, n, errors);
      sum_ms = max_ms = 0;
      n = errors = 0;
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
  }
}

static int usage(void) {
  fprintf(stderr,
          "usage: tier db PORT\n"
          "       tier app PORT DB_HOST DB_PORT\n"
          "       tier web APP_HOST APP_PORT\n");
  return 2;
}

int main(int argc, char** argv) {
  workload_init();
  if (argc < 2) return usage();
  if (strcmp(argv[1], "db") == 0 && argc == 3) {
    serve("db", parse_port(argv[2]), db_conn);
  } else if (strcmp(argv[1], "app") == 0 && argc == 5) {
    g_db = make_addr(argv[3], parse_port(argv[4]));
    serve("app", parse_port(argv[2]), app_conn);
  } else if (strcmp(argv[1], "web") == 0 && argc == 4) {
    struct sockaddr_in app = make_addr(argv[2], parse_port(argv[3]));
    web(&app);
  }
  return usage();
}
