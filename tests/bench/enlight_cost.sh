#!/usr/bin/env bash
# What the guest module costs the guest, as seed 003 measures it (section 5.4, 4.4% there): a
# malloc/free microbenchmark (tests/guest/mallocbench.c: chunks of 1000 malloc(4096), each
# written, then freed) in one TCG guest, alternating ROUNDS times between SECONDS without the
# module and SECONDS with it loaded (its free-bitmap probes on the page allocator), and the
# medians of the time per malloc/free pair. Boots QEMU directly (no testbed, no root needed
# beyond reading the image); prints every phase and the summary.
# Usage: tests/bench/enlight_cost.sh [ROUNDS=8] [SECONDS=3] [MODULE_PARAMS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-8}
SECONDS_EACH=${2:-3}
PARAMS=${3:-}
"$ROOT/scripts/build-guest" >/dev/null
LOG=$(mktemp /tmp/convoy-enlight-cost.XXXXXX)
trap 'kill "$QEMU" 2>/dev/null || true; rm -f "$LOG"' EXIT
run="mallocbench $SECONDS_EACH $ROUNDS /lib/modules/convoy_enlight.ko"
[[ -z "$PARAMS" ]] || run="$run $PARAMS"
qemu-system-x86_64 -machine pc,accel=tcg -m 256 -nographic -nodefaults -serial "file:$LOG" \
  -kernel "$ROOT/build/guest/vmlinuz" -initrd "$ROOT/build/guest/initramfs.img" \
  -append "console=ttyS0 quiet convoy.name=cost convoy.enlight=none convoy.run=\"$run\"" &
QEMU=$!
limit=$((60 + ROUNDS * SECONDS_EACH * 2 * 3))
for ((i = 0; i < limit; i++)); do
  grep -q "mallocbench summary" "$LOG" 2>/dev/null && break
  kill -0 "$QEMU" 2>/dev/null || { echo "QEMU exited" >&2; cat "$LOG" >&2; exit 1; }
  sleep 1
done
grep -q "mallocbench summary" "$LOG" || { echo "no summary after ${limit} s" >&2; tail "$LOG" >&2; exit 1; }
printf '%-6s %-7s %10s %12s\n' round module pairs ns_per_pair
sed -n 's/^mallocbench round=\([0-9]*\) module=\([01]\) pairs=\([0-9]*\) ns_per_pair=\([0-9.]*\).*/\1 \2 \3 \4/p' "$LOG" |
  while read -r r m p ns; do printf '%-6s %-7s %10s %12s\n' "$r" "$m" "$p" "$ns"; done
grep "mallocbench summary" "$LOG" | tr -d '\r'
