#!/usr/bin/env bash
# What the guest module costs the guest, as seed 003 measures it (section 5.4, 4.4% there), in
# two TCG guests booted directly with QEMU (no testbed):
#  1. the paper's malloc/free microbenchmark (tests/guest/mallocbench.c: chunks of 1000
#     malloc(4096), each written, then freed; every pair costs a page allocation, a fault and a
#     page free), ROUNDS rounds (ABBA) of SECONDS without and SECONDS with the module loaded;
#  2. the module's own probes from the inside: ROUNDS rounds (ABBA) of PAIRS order-0 page
#     allocations and frees in a kernel loop, the free-bitmap probes off and on.
# Prints every phase and each summary (medians, and the median and quartiles of the per-round
# ratio with/without). The guests run with QEMU's instruction counter as their clock (-icount
# shift=0: one nanosecond per guest instruction), so the figures count the guest's own work and
# the load of a shared machine does not blur them; ICOUNT=0 times them by the host's clock.
# Usage: tests/bench/enlight_cost.sh [ROUNDS=8] [SECONDS=1] [PAIRS=50000]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-8}
SECONDS_EACH=${2:-1}
PAIRS=${3:-50000}
"$ROOT/scripts/build-guest" >/dev/null
ICOUNT_ARGS=()
[[ "${ICOUNT:-1}" == 0 ]] || ICOUNT_ARGS=(-icount shift=0,sleep=off)
LOG=$(mktemp /tmp/convoy-enlight-cost.XXXXXX)
QEMU=
trap '[[ -z "$QEMU" ]] || kill "$QEMU" 2>/dev/null || true; rm -f "$LOG"' EXIT

# run_guest TITLE LIMIT_S KERNEL_ARGS: boots, waits for the summary, prints the table.
run_guest() {
  local title=$1 limit=$2 args=$3 i
  : >"$LOG"
  qemu-system-x86_64 -machine pc,accel=tcg -m 256 -nographic -nodefaults -serial "file:$LOG" \
    ${ICOUNT_ARGS[@]+"${ICOUNT_ARGS[@]}"} \
    -kernel "$ROOT/build/guest/vmlinuz" -initrd "$ROOT/build/guest/initramfs.img" \
    -append "console=ttyS0 quiet convoy.name=cost $args" &
  QEMU=$!
  for ((i = 0; i < limit; i++)); do
    grep -q "mallocbench summary" "$LOG" 2>/dev/null && break
    kill -0 "$QEMU" 2>/dev/null || { echo "QEMU exited" >&2; cat "$LOG" >&2; exit 1; }
    sleep 1
  done
  kill "$QEMU" 2>/dev/null || true
  wait "$QEMU" 2>/dev/null || true
  QEMU=
  grep -q "mallocbench summary" "$LOG" || { echo "no summary after $limit s" >&2; tail "$LOG" >&2; exit 1; }
  echo "== $title"
  printf '%-6s %-7s %10s %12s\n' round module pairs ns_per_pair
  sed -n 's/^mallocbench round=\([0-9]*\) module=\([01]\) pairs=\([0-9]*\) ns_per_pair=\([0-9.]*\).*/\1 \2 \3 \4/p' "$LOG" |
    while read -r r m p ns; do printf '%-6s %-7s %10s %12s\n' "$r" "$m" "$p" "$ns"; done
  grep "mallocbench summary" "$LOG" | tr -d '\r'
}

run_guest "malloc/free pairs, without (0) and with (1) the module loaded" \
  $((300 + ROUNDS * SECONDS_EACH * 120)) \
  "convoy.enlight=none convoy.run=\"mallocbench $SECONDS_EACH $ROUNDS /lib/modules/convoy_enlight.ko\""
run_guest "page allocation and free in the kernel, probes off (0) and on (1)" \
  $((300 + ROUNDS * 60)) "convoy.enlight=on convoy.run=\"mallocbench --kernel $ROUNDS $PAIRS\""
