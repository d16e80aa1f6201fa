#!/usr/bin/env bash
# Staging throughput into one local Redis: 1 GiB of chunks through the agent's RedisPageStager
# (and through the whole relay, fed as the source QEMU feeds it) against redis-benchmark's SET
# with the same value size and pipeline depth on one connection, in the same run, alternating,
# ROUNDS times each; the medians and their ratio (issue 7 wants the stager at >= 70%). Then
# Redis's memory per stored value at a few sizes around jemalloc's 256 KiB size class.
# Usage: tests/bench/stage_throughput.sh [ROUNDS=3] [MIB=1024] [WINDOW=8] [CHUNK=258048]
# Needs redis-server and redis-benchmark (scripts/setup installs them) and build/bin/stage_bench.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}
MIB=${2:-1024}
WINDOW=${3:-8}
CHUNK=${4:-258048}
BENCH=${BUILD:-$ROOT/build}/bin/stage_bench
[[ -x $BENCH ]] || { echo "build stage_bench first (cmake --build build --target stage_bench)" >&2; exit 2; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark missing (scripts/setup)" >&2; exit 2; }

DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop_redis() {
  [[ -s $DIR/redis.pid ]] || return 0
  kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
  while redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.1; done
  rm -f "$DIR/redis.pid"
}
# Every measurement gets a fresh server: one that already held a GiB keeps its pages faulted
# in (jemalloc does not give them back at once), which would favour whoever runs second.
fresh_redis() {
  stop_redis
  redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --maxmemory 3gb \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$DIR/redis.pid" \
    --logfile "$DIR/redis.log" --dir "$DIR" >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start: $(tail -3 "$DIR/redis.log")" >&2
  exit 1
}
cleanup() {
  stop_redis
  rm -rf "$DIR"
}
trap cleanup EXIT

CHUNKS=$((MIB * 1048576 / CHUNK))
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "# $MIB MiB in $CHUNKS values of $CHUNK bytes (distinct keys), pipeline depth $WINDOW, one connection, a fresh redis-server $(redis-server --version | grep -o 'v=[^ ]*') for each"
printf '%-5s %-16s %10s\n' round tool MiB/s
bench=() stager=() relay=()
for r in $(seq 1 "$ROUNDS"); do
  fresh_redis
  rps=$(redis-benchmark -h 127.0.0.1 -p "$PORT" -c 1 -P "$WINDOW" -t set -d "$CHUNK" -n "$CHUNKS" \
    -r 100000000 --csv 2>/dev/null | awk -F'"' '$2 == "SET" {print $4}')
  b=$(awk -v r="$rps" -v c="$CHUNK" 'BEGIN { printf "%.1f", r * c / 1048576 }')
  bench+=("$b")
  printf '%-5s %-16s %10s\n' "$r" redis-benchmark "$b"
  fresh_redis
  s=$("$BENCH" --mode stager --address "127.0.0.1:$PORT" --chunk "$CHUNK" --window "$WINDOW" --mib "$MIB" | field mibps)
  stager+=("$s")
  printf '%-5s %-16s %10s\n' "$r" stager "$s"
  fresh_redis
  l=$("$BENCH" --mode relay --address "127.0.0.1:$PORT" --chunk "$CHUNK" --window "$WINDOW" --mib "$MIB" | field mibps)
  relay+=("$l")
  printf '%-5s %-16s %10s\n' "$r" relay "$l"
done
mb=$(printf '%s\n' "${bench[@]}" | median)
ms=$(printf '%s\n' "${stager[@]}" | median)
ml=$(printf '%s\n' "${relay[@]}" | median)
echo
printf '%-16s %10s %8s\n' median MiB/s 'vs SET'
printf '%-16s %10s %8s\n' redis-benchmark "$mb" 100%
printf '%-16s %10s %7.0f%%\n' stager "$ms" "$(awk -v a="$ms" -v b="$mb" 'BEGIN { print 100 * a / b }')"
printf '%-16s %10s %7.0f%%\n' relay "$ml" "$(awk -v a="$ml" -v b="$mb" 'BEGIN { print 100 * a / b }')"

# For reference only: without -r redis-benchmark overwrites one key, so the server never
# allocates (the staged stream needs distinct keys: that is not the comparison).
fresh_redis
rps=$(redis-benchmark -h 127.0.0.1 -p "$PORT" -c 1 -P "$WINDOW" -t set -d "$CHUNK" -n "$CHUNKS" \
  --csv 2>/dev/null | awk -F'"' '$2 == "SET" {print $4}')
printf '%-16s %10s %8s\n' "(one key)" "$(awk -v r="$rps" -v c="$CHUNK" 'BEGIN { printf "%.1f", r * c / 1048576 }')" ''

echo
echo "# Redis memory per stored value (used_memory delta / values, 64 MiB of values each)"
printf '%-12s %16s %10s\n' value_bytes bytes_per_value overhead
for size in 4096 129024 131072 258048 262144; do
  fresh_redis
  line=$("$BENCH" --mode memory --address "127.0.0.1:$PORT" --chunk "$size" --mib 64)
  printf '%-12s %16s %9s%%\n' "$size" "$(echo "$line" | field bytes_per_value)" "$(echo "$line" | field overhead_pct)"
done
awk -v a="$ms" -v b="$mb" 'BEGIN { exit (a >= 0.7 * b) ? 0 : 1 }' ||
  { echo "stage_throughput: the stager reached less than 70% of redis-benchmark" >&2; exit 1; }
