/* cpuburn
 * Spins on integer arithmetic forever. Once a second:
 *   cpuburn iters_per_s=N */
#include "common.h"

int main(int argc, char** argv) {
  (void)argv;
  workload_init();
  if (argc != 1) {
    fprintf(stderr, "usage: cpuburn\n");
    return 2;
  }
  volatile uint64_t x = 88172645463325252ULL;
  long long iters = 0;
  int64_t report_from = now_ns(), next_report = report_from + NS_PER_S;
  for (;;) {
    for (int i = 0; i < 4096; i++) { /* xorshift64 */
      uint64_t v = x;
      v ^= v << 13;
      v ^= v >> 7;
      v ^= v << 17;
      x = v;
    }
    iters += 4096;
    int64_t t = now_ns();
    if (t >= next_report) {
      printf("cpuburn iters_per_s=%.0f\n", (double)iters * NS_PER_S / (double)(t - report_from));
      iters = 0;
      report_from = t;
      next_report += NS_PER_S;
      if (next_report <= t) next_report = t + NS_PER_S;
    }
  }
}
