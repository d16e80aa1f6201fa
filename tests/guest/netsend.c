/* netsend HOST PORT RATE_MBPS
 * Streams to HOST:PORT over TCP at RATE_MBPS megabits/s (10^6 bit/s; 0 means
 * as fast as possible), paced in 10 ms slices. Reconnects (with backoff, up
 * to 2 s) whenever the connection cannot be made or drops. Once a second:
 *   netsend bytes_per_s=B total=T connected=0|1 reconnects=K */
#include "common.h"

#define SLICE_NS (10 * NS_PER_MS)
#define CHUNK 65536

int main(int argc, char** argv) {
  workload_init();
  if (argc != 4) {
    fprintf(stderr, "usage: netsend HOST PORT RATE_MBPS\n");
    return 2;
  }
  struct sockaddr_in addr = make_addr(argv[1], parse_port(argv[2]));
  double rate = parse_num("rate", argv[3]);
  double bytes_per_ns = rate * 1e6 / 8 / (double)NS_PER_S;
  static char buf[CHUNK];
  memset(buf, 'c', sizeof buf);

  int fd = -1;
  long long total = 0, interval = 0, reconnects = 0, connects = 0;
  int64_t backoff = 100 * NS_PER_MS, next_try = 0;
  int64_t t0 = now_ns(), next_report = t0 + NS_PER_S, report_from = t0;
  int64_t last = t0;
  double allowance = 0;

  for (;;) {
    int64_t t = now_ns();
    if (fd < 0 && t >= next_try) {
      fd = connect_timeout(&addr, 1000);
      if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connects++) reconnects++;
        backoff = 100 * NS_PER_MS;
        allowance = 0;
      } else {
        next_try = now_ns() + backoff;
        backoff = backoff * 2 > 2 * NS_PER_S ? 2 * NS_PER_S : backoff * 2;
      }
      t = now_ns();
    }
    /* token bucket, at most 100 ms of credit so a stall never turns into a burst */
    allowance += bytes_per_ns * (double)(t - last);
    last = t;
    double cap = bytes_per_ns * 100 * NS_PER_MS;
    if (allowance > cap) allowance = cap;
    if (fd >= 0) {
      for (;;) {
        size_t want = CHUNK;
        if (rate > 0) {
          if (allowance < 1) break;
          if ((double)want > allowance) want = (size_t)allowance;
        }
        ssize_t n = send(fd, buf, want, MSG_NOSIGNAL);
        if (n > 0) {
          total += n;
          interval += n;
          allowance -= (double)n;
          if (rate == 0 && now_ns() - t > SLICE_NS) break;
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          struct pollfd p = {.fd = fd, .events = POLLOUT};
          poll(&p, 1, 10); /* wait a little for the window to open */
          break;
        }
        fprintf(stderr, "netsend: send: %s; reconnecting\n", n < 0 ? strerror(errno) : "closed");
        close(fd);
        fd = -1;
        next_try = now_ns() + backoff;
        break;
      }
    }
    t = now_ns();
    if (t >= next_report) {
      double secs = (double)(t - report_from) / NS_PER_S;
      printf("netsend bytes_per_s=%.0f total=%lld connected=%d reconnects=%lld\n",
             (double)interval / secs, total, fd >= 0, reconnects);
      interval = 0;
      report_from = t;
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
    if (rate > 0 || fd < 0) sleep_ns(SLICE_NS - (now_ns() - t) % SLICE_NS);
  }
}
