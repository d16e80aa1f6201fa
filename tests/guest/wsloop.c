/* wsloop WSS_MIB [COLD_MIB [KOPS]]: reads and writes a working set of WSS_MIB MiB in
 * a loop, at pseudo-random pages (like a cache or a database), and logs its
 * throughput every 100 ms; the recovery of a migrated guest is read from these
 * lines.
 *
 * With COLD_MIB, a child process first fills COLD_MIB MiB of its own, in
 * lockstep with the parent's working set (64 KiB of working set, then the
 * same share of cold memory, and so on), then sleeps forever: the guest's
 * physical memory ends up with the working set interleaved with memory nothing
 * uses, as in a guest whose memory has been allocated and freed for a while,
 * and the cold memory belongs to a process the guest module sees inactive.
 *
 * With KOPS > 0 the loop is paced at KOPS thousand operations a second (a
 * service under a steady load: it shows 100% whenever it is not held up), and
 * after a stall it catches up by at most 100 ms of work; 0 or absent: as fast
 * as it can.
 *
 *   wsloop-start wss_mib=32 pages=8192 cold_mib=96 kops=1000    (once)
 *   wsloop ms=123456 ops=81234                                  (every 100 ms)
 *
 * ms is the guest's CLOCK_MONOTONIC in milliseconds at the end of the
 * interval, ops the number of read-modify-writes (8 bytes, one page each)
 * done in it. Every page is written once before the loop starts, so all of
 * the working set is non-zero memory that a migration has to move. */
#include <sys/mman.h>

#include "common.h"

#define STEP_PAGES 16 /* 64 KiB */

static uint8_t* map(size_t bytes) {
  uint8_t* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

static void fill(uint8_t* p, size_t first, size_t n, size_t page) {
  for (size_t i = first; i < first + n; i++) memset(p + i * page, (int)(i | 1), 64);
}

/* The cold child: fills its share after each step of the parent's, then sleeps. */
static void cold_child(size_t cold_pages, size_t steps, size_t page, int go, int done) {
  uint8_t* cold = map(cold_pages * page);
  size_t filled = 0;
  char c;
  for (size_t s = 1; s <= steps; s++) {
    if (read(go, &c, 1) != 1) break;
    const size_t upto = cold_pages * s / steps;
    fill(cold, filled, upto - filled, page);
    filled = upto;
    if (write(done, "x", 1) != 1) break;
  }
  for (;;) pause();
}

int main(int argc, char** argv) {
  workload_init();
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: wsloop WSS_MIB [COLD_MIB [KOPS]]\n");
    return 2;
  }
  const double wss_mib = parse_num("WSS_MIB", argv[1]);
  const double cold_mib = argc >= 3 ? parse_num("COLD_MIB", argv[2]) : 0;
  const double kops = argc >= 4 ? parse_num("KOPS", argv[3]) : 0;
  const size_t page = 4096, pages = (size_t)(wss_mib * 1048576.0 / page);
  const size_t cold_pages = (size_t)(cold_mib * 1048576.0 / page);
  if (pages == 0) {
    fprintf(stderr, "wsloop: empty working set\n");
    return 2;
  }
  uint8_t* ws = map(pages * page);
  if (cold_pages == 0) {
    fill(ws, 0, pages, page);
  } else {
    int go[2], done[2];
    const size_t steps = (pages + STEP_PAGES - 1) / STEP_PAGES;
    if (pipe(go) || pipe(done)) return 1;
    if (fork() == 0) cold_child(cold_pages, steps, page, go[0], done[1]);
    for (size_t s = 0; s < steps; s++) {
      const size_t first = s * STEP_PAGES;
      char c;
      fill(ws, first, first + STEP_PAGES <= pages ? STEP_PAGES : pages - first, page);
      if (write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1) return 1;
    }
  }
  printf("wsloop-start wss_mib=%.0f pages=%zu cold_mib=%.0f kops=%.0f\n", wss_mib, pages, cold_mib,
         kops);
  uint64_t x = 0x9E3779B97F4A7C15ULL, ops = 0;
  const int64_t start = now_ns();
  int64_t next = start + 100 * NS_PER_MS;
  double credit_ops = 0; /* paced: operations owed so far */
  int64_t credit_at = start;
  for (;;) {
    if (kops > 0) {
      const int64_t t = now_ns();
      credit_ops += (double)(t - credit_at) * kops * 1000 / NS_PER_S;
      credit_at = t;
      if (credit_ops > kops * 100) credit_ops = kops * 100; /* at most 100 ms behind */
      if (credit_ops < 256) {
        sleep_ns(NS_PER_MS);
        goto report;
      }
      credit_ops -= 256;
    }
    for (int k = 0; k < 256; k++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      uint64_t* word = (uint64_t*)(ws + (x % pages) * page + ((x >> 40) & 0x1f8));
      *word += x;
    }
    ops += 256;
  report:;
    const int64_t t = now_ns();
    if (t >= next) {
      printf("wsloop ms=%lld ops=%llu\n", (long long)(t / NS_PER_MS), (unsigned long long)ops);
      ops = 0;
      next += 100 * NS_PER_MS;
      if (next < t) next = t + 100 * NS_PER_MS; /* after a stall: no burst of lines */
    }
  }
}
