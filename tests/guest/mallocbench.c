/* mallocbench SECONDS [ROUNDS MODULE_KO [PARAMS]] | --kernel ROUNDS PAIRS: the cost of the guest
 * module to the guest, as seed 003 measures it (section 5.4): repeated memory
 * allocation, as fast as possible, in chunks of 1000 malloc(4096) (each chunk
 * written once, so that the kernel has to supply the page) followed by their
 * 1000 free() calls. glibc gives the memory back to the kernel when the chunk
 * is freed (the heap top shrinks past its trim threshold), so every pair
 * costs a page allocation, a fault and a page free in the kernel: the paths
 * the module's free-bitmap probes sit on.
 *
 * Without ROUNDS: one line per SECONDS. With ROUNDS: ROUNDS rounds of SECONDS
 * without and SECONDS with MODULE_KO loaded (finit_module / delete_module),
 * the order alternating from round to round (ABBA) so that a machine getting
 * busier or quieter does not favour either, and a summary: the medians of
 * each, and the median and quartiles of the per-round ratio with/without:
 *   mallocbench round=1 module=0 pairs=123000 ns_per_pair=1234.5
 *   mallocbench summary rounds=8 module0_ns=1234.5 module1_ns=1290.1 overhead_pct=4.5
 *     ratio_median=1.041 ratio_q1=0.990 ratio_q3=1.090
 *
 * --kernel: the probes' own cost, without user space and page faults around it: with the
 * module loaded, ROUNDS rounds (ABBA) of its "bench PAIRS" (PAIRS order-0 page allocations and
 * frees in a kernel loop) with the free-bitmap probes off and on ("track off|on"), same lines
 * and summary with module= meaning the probes. */
#include <sys/syscall.h>

#include "common.h"

#define CHUNK 1000

static double run(double seconds, long* pairs_out) {
  static char* p[CHUNK];
  const int64_t start = now_ns(), end = start + (int64_t)(seconds * NS_PER_S);
  long pairs = 0;
  int64_t t;
  do {
    for (int i = 0; i < CHUNK; i++) {
      p[i] = malloc(4096);
      if (!p[i]) abort();
      p[i][0] = (char)i;
    }
    for (int i = 0; i < CHUNK; i++) free(p[i]);
    pairs += CHUNK;
    t = now_ns();
  } while (t < end);
  *pairs_out = pairs;
  return (double)(t - start) / (double)pairs;
}

static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int module_loaded(void) { return access("/proc/convoy_enlight", F_OK) == 0; }

static int load(const char* ko, const char* params) {
  int fd = open(ko, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = (int)syscall(SYS_finit_module, fd, params, 0);
  close(fd);
  return rc;
}

static int unload(void) { return (int)syscall(SYS_delete_module, "convoy_enlight", O_NONBLOCK); }

static int control(const char* cmd) {
  int fd = open("/proc/convoy_enlight/control", O_WRONLY);
  if (fd < 0) return -1;
  const int rc = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -1;
  close(fd);
  return rc;
}

/* The module's last "bench": ns per allocation and free. */
static double kernel_bench(long pairs) {
  char cmd[64], stats[4096];
  snprintf(cmd, sizeof(cmd), "bench %ld", pairs);
  if (control(cmd) != 0) return -1;
  int fd = open("/proc/convoy_enlight/stats", O_RDONLY);
  if (fd < 0) return -1;
  const ssize_t n = read(fd, stats, sizeof(stats) - 1);
  close(fd);
  if (n <= 0) return -1;
  stats[n] = '\0';
  const char* at = strstr(stats, "bench_ns_per_pair ");
  return at ? strtod(at + 18, NULL) : -1;
}

static void summary(int rounds, double* without, double* with) {
  double ratio[64];
  for (int r = 0; r < rounds; r++) ratio[r] = with[r] / without[r];
  const double a = median(without, rounds), b = median(with, rounds);
  const double rm = median(ratio, rounds); /* sorts ratio */
  printf("mallocbench summary rounds=%d module0_ns=%.1f module1_ns=%.1f overhead_pct=%.1f "
         "ratio_median=%.3f ratio_q1=%.3f ratio_q3=%.3f\n",
         rounds, a, b, (b - a) / a * 100, rm, ratio[rounds / 4], ratio[(3 * rounds) / 4]);
}

int main(int argc, char** argv) {
  workload_init();
  double without[64], with[64];
  if (argc == 4 && strcmp(argv[1], "--kernel") == 0) {
    const int rounds = (int)parse_num("ROUNDS", argv[2]);
    const long pairs = (long)parse_num("PAIRS", argv[3]);
    if (rounds < 1 || rounds > 64) return 2;
    for (int r = 1; r <= rounds; r++) {
      for (int k = 0; k <= 1; k++) {
        const int m = (r % 2) ? k : 1 - k;
        if (control(m ? "track on" : "track off") != 0) perror("track");
        const double ns = kernel_bench(pairs);
        printf("mallocbench round=%d module=%d pairs=%ld ns_per_pair=%.1f kernel=1\n", r, m, pairs,
               ns);
        (m ? with : without)[r - 1] = ns;
      }
    }
    control("track on");
    summary(rounds, without, with);
    for (;;) pause();
  }
  if (argc != 2 && argc != 4 && argc != 5) {
    fprintf(stderr, "usage: mallocbench SECONDS [ROUNDS MODULE_KO [PARAMS]] | --kernel ROUNDS PAIRS\n");
    return 2;
  }
  const double seconds = parse_num("SECONDS", argv[1]);
  long pairs;
  if (argc == 2) {
    for (;;) {
      const double ns = run(seconds, &pairs);
      printf("mallocbench module=%d pairs=%ld ns_per_pair=%.1f\n", module_loaded(), pairs, ns);
    }
  }
  const int rounds = (int)parse_num("ROUNDS", argv[2]);
  const char* ko = argv[3];
  const char* params = argc == 5 ? argv[4] : "";
  if (rounds < 1 || rounds > 64) return 2;
  for (int r = 1; r <= rounds; r++) {
    for (int k = 0; k <= 1; k++) {
      const int m = (r % 2) ? k : 1 - k;
      if (module_loaded() && unload() != 0) perror("delete_module");
      if (m && load(ko, params) != 0) perror("finit_module");
      sleep_ns(NS_PER_S / 5); /* past the module's start-up scan */
      const double ns = run(seconds, &pairs);
      printf("mallocbench round=%d module=%d pairs=%ld ns_per_pair=%.1f\n", r, module_loaded(),
             pairs, ns);
      (m ? with : without)[r - 1] = ns;
    }
  }
  summary(rounds, without, with);
  for (;;) pause();
}
