/* Small helpers shared by the Convoy guest workloads (header-only, static).
 * The workloads run inside TCG guests that get paused and moved by live
 * migration, so everything here is built to survive stalls and dropped
 * connections rather than to be fast. */
#ifndef CONVOY_GUEST_COMMON_H
#define CONVOY_GUEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static inline void sleep_until_ns(int64_t deadline) {
  struct timespec ts = {.tv_sec = deadline / NS_PER_S, .tv_nsec = deadline % NS_PER_S};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static inline void sleep_ns(int64_t ns) {
  if (ns > 0) sleep_until_ns(now_ns() + ns);
}

/* Line-buffered stdout so each report line is a single write on the console,
 * and no SIGPIPE: a peer that goes away is an error code, not a death. */
static inline void workload_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
}

static inline int parse_port(const char* s) {
  char* end = NULL;
  long v = strtol(s, &end, 10);
  if (!end || *end || v <= 0 || v > 65535) {
    fprintf(stderr, "bad port: %s\n", s);
    exit(2);
  }
  return (int)v;
}

static inline double parse_num(const char* what, const char* s) {
  char* end = NULL;
  double v = strtod(s, &end);
  if (!end || *end || v < 0) {
    fprintf(stderr, "bad %s: %s\n", what, s);
    exit(2);
  }
  return v;
}

/* IPv4 literal (the guests have no resolver); "localhost" is accepted too. */
static inline struct sockaddr_in make_addr(const char* host, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "bad IPv4 address: %s\n", host);
    exit(2);
  }
  return a;
}

/* Keepalive and a user timeout so a peer that vanished (its host died, or
 * the route moved) is noticed within ~15 s instead of hanging forever. */
static inline void tune_socket(int fd) {
  int one = 1, idle = 5, intvl = 2, cnt = 3;
  unsigned int user_timeout_ms = 15000;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Connect with a timeout; returns a blocking socket or -1. */
static inline int connect_timeout(const struct sockaddr_in* a, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  int rc = connect(fd, (const struct sockaddr*)a, sizeof *a);
  if (rc < 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    rc = poll(&p, 1, timeout_ms);
    if (rc == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err ? -1 : 0;
    } else {
      rc = -1;
    }
  }
  if (rc < 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fl);
  tune_socket(fd);
  return fd;
}

/* Listening socket on 0.0.0.0:port; retries until the bind succeeds. */
static inline int listen_any(int port) {
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (fd >= 0 && bind(fd, (struct sockaddr*)&a, sizeof a) == 0 && listen(fd, 64) == 0) return fd;
    perror("listen");
    if (fd >= 0) close(fd);
    sleep(1);
  }
}

#endif
