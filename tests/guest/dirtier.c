/* dirtier RATE_MIBPS WSS_MIB
 * Allocates WSS_MIB MiB, touches every page once, then dirties distinct 4 KiB
 * pages at RATE_MIBPS MiB/s: one byte written (and changed) per page, walking
 * the working set cyclically, paced in 10 ms slices. As long as
 * RATE_MIBPS * interval <= WSS_MIB, every page written within an interval is a
 * distinct page, so the unique page dirty rate seen by the hypervisor is
 * RATE_MIBPS. Once a second prints:
 *   dirtier pages=N rate_mibps=R
 * N = pages dirtied in the last report interval, R = MiB/s achieved in it. */
#include "common.h"

#include <sys/mman.h>

#define PAGE 4096L
#define SLICE_NS (10 * NS_PER_MS)
/* After a stall (guest paused, TCG starved) do not burst to catch up by more
 * than this: a burst would show up as a dirty-rate spike. */
#define MAX_BACKLOG_NS (50 * NS_PER_MS)

int main(int argc, char** argv) {
  workload_init();
  if (argc != 3) {
    fprintf(stderr, "usage: dirtier RATE_MIBPS WSS_MIB\n");
    return 2;
  }
  double rate = parse_num("rate", argv[1]);
  double wss_mib = parse_num("wss", argv[2]);
  long npages = (long)(wss_mib * 1024 * 1024 / PAGE);
  if (npages < 1) {
    fprintf(stderr, "dirtier: working set too small\n");
    return 2;
  }
  size_t len = (size_t)npages * PAGE;
  volatile unsigned char* mem =
      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) {
    perror("dirtier: mmap");
    return 1;
  }
  for (long i = 0; i < npages; i++) mem[i * PAGE] = 1;
  printf("dirtier-start wss_mib=%.0f target_mibps=%.2f pages=%ld\n", wss_mib, rate, npages);

  double pages_per_ns = rate * 1024.0 * 1024.0 / PAGE / (double)NS_PER_S;
  long cursor = 0;
  unsigned char value = 2;
  int64_t start = now_ns();
  int64_t base = start; /* pacing origin; moved forward after stalls */
  double due_done = 0;  /* pages written since base */
  int64_t next_slice = start + SLICE_NS;
  int64_t next_report = start + NS_PER_S;
  int64_t report_from = start;
  long interval_pages = 0;

  for (;;) {
    int64_t t = now_ns();
    if (t - base > 0) {
      double due = pages_per_ns * (double)(t - base);
      double backlog = due - due_done;
      double max_backlog = pages_per_ns * (double)(MAX_BACKLOG_NS + SLICE_NS);
      if (backlog > max_backlog) { /* stalled: forget the missed work */
        due_done = due - max_backlog;
      }
      long todo = (long)(due - due_done);
      for (long k = 0; k < todo; k++) {
        mem[cursor * PAGE] = value;
        if (++cursor == npages) {
          cursor = 0;
          value++; /* next lap changes every page's content again */
        }
      }
      due_done += (double)todo;
      interval_pages += todo;
      /* keep the doubles small over days of runtime */
      if (t - base > 100 * NS_PER_S) {
        base = t;
        due_done -= due;
      }
    }
    if (t >= next_report) {
      double secs = (double)(t - report_from) / NS_PER_S;
      printf("dirtier pages=%ld rate_mibps=%.2f\n", interval_pages,
             (double)interval_pages * PAGE / (1024.0 * 1024.0) / secs);
      interval_pages = 0;
      report_from = t;
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
    next_slice += SLICE_NS;
    if (next_slice <= t) next_slice = t + SLICE_NS;
    sleep_until_ns(next_slice);
  }
}
