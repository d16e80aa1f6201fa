/* coldmem MIB: fills MIB MiB with non-zero data, then sleeps forever. Memory a
 * migration must move but nothing uses: the guest module ranks it low (the
 * anonymous memory of an inactive process) once the process has slept longer
 * than the module's active window.
 *
 *   coldmem-ready mib=64 pages=16384                           (once) */
#include <sys/mman.h>

#include "common.h"

int main(int argc, char** argv) {
  workload_init();
  if (argc != 2) {
    fprintf(stderr, "usage: coldmem MIB\n");
    return 2;
  }
  const double mib = parse_num("MIB", argv[1]);
  const size_t page = 4096, pages = (size_t)(mib * 1048576.0 / page);
  uint8_t* mem = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (size_t i = 0; i < pages * page / 8; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ((uint64_t*)mem)[i] = x;
  }
  printf("coldmem-ready mib=%.0f pages=%zu\n", mib, pages);
  for (;;) pause();
}
