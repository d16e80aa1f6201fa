/* netrecv PORT
 * Accepts TCP connections on PORT (any number, at most 64 at once), reads and
 * discards everything. Once a second:
 *   netrecv bytes_per_s=B total=T conns=C accepted=A */
#include "common.h"

#define MAXC 64

int main(int argc, char** argv) {
  workload_init();
  if (argc != 2) {
    fprintf(stderr, "usage: netrecv PORT\n");
    return 2;
  }
  int lfd = listen_any(parse_port(argv[1]));
  struct pollfd p[MAXC + 1];
  int n = 0; /* live connections, in p[1..n] */
  p[0].fd = lfd;
  p[0].events = POLLIN;
  static char buf[65536];
  long long total = 0, interval = 0, accepted = 0;
  int64_t t0 = now_ns(), next_report = t0 + NS_PER_S, report_from = t0;

  for (;;) {
    int64_t wait = (next_report - now_ns()) / NS_PER_MS;
    poll(p, (nfds_t)n + 1, wait < 0 ? 0 : (int)wait + 1);
    if (p[0].revents & POLLIN) {
      int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        if (n == MAXC) {
          close(c);
        } else {
          tune_socket(c);
          n++;
          p[n].fd = c;
          p[n].events = POLLIN;
          p[n].revents = 0;
          accepted++;
        }
      }
    }
    for (int i = 1; i <= n; i++) {
      if (!p[i].revents) continue;
      ssize_t r = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        total += r;
        interval += r;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(p[i].fd);
        p[i] = p[n--];
        i--;
      }
    }
    int64_t t = now_ns();
    if (t >= next_report) {
      double secs = (double)(t - report_from) / NS_PER_S;
      printf("netrecv bytes_per_s=%.0f total=%lld conns=%d accepted=%lld\n",
             (double)interval / secs, total, n, accepted);
      interval = 0;
      report_from = t;
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
  }
}
