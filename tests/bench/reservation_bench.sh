#!/usr/bin/env bash
# SOLive's Fig. 7 on the testbed (seed 002, section V): a guest migrates away from h1 while
# another guest on h1 sends as fast as it can to h3, saturating h1's uplink (RATE_MBIT, shaped
# by h1's own Open vSwitch). The migration runs without a reservation, with Algorithm 1
# (adaptive) and with a fixed reservation, at urgency 55, 75 and 95; each configuration RUNS
# times, interleaved. Prints per run and per configuration: the migration's total time, and
# the sender's own throughput during the migration and in the 6 s after it (it must get its
# bandwidth back).
# Usage: tests/bench/reservation_bench.sh [RUNS=2] [RATE_MBIT=40] [MEMORY_MIB=128]
# Needs root; brings up its own testbed (scripts/testbed up --ovs) and takes it down at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-2}
RATE=${2:-40}
MEM=${3:-128}
BUILD=${BUILD:-$ROOT/build}
STATE=${CONVOY_TESTBED_DIR:-/run/convoy-testbed}
CONVOY=$BUILD/bin/convoy
export CONVOY_AGENT=$BUILD/bin/convoy-agent
[[ -x $CONVOY && -x $CONVOY_AGENT ]] || { echo "build convoy and convoy-agent first" >&2; exit 2; }
TB="$ROOT/scripts/testbed"

"$ROOT/scripts/build-guest" >/dev/null
"$TB" up --hosts 3 --ovs --rate-mbit "$RATE" >/dev/null
trap '"$TB" down >/dev/null' EXIT
declare -A IP AGENT
while read -r name ip _ agent; do IP[$name]=$ip; AGENT[$name]=$agent; done <"$STATE/hosts"
# The agents serve TLS: `convoy agent` presents the testbed controller's certificate.
# shellcheck disable=SC1091
[[ ! -f "$STATE/tls/env" ]] || . "$STATE/tls/env"

beats() { { grep -a -c "convoy-alive $1 " "$STATE/guests/$1.log" 2>/dev/null || true; } | tail -1; }
wait_boot() { for _ in $(seq 1 120); do (($(beats "$1") >= 3)) && return 0; sleep 0.5; done; return 1; }

"$TB" guest sink --host h3 --ip 10.77.0.131/24 --run "netrecv 9000" >/dev/null
"$TB" guest net --host h1 --ip 10.77.0.132/24 --run "netsend 10.77.0.131 9000 0" >/dev/null
wait_boot sink && wait_boot net || { echo "guests did not boot" >&2; exit 1; }
sleep 5

# Mean of the sender's "netsend bytes_per_s=B" lines from byte offset $1 to $2 of its log, Mb/s.
sender_mbps() {
  tail -c +"$(($1 + 1))" "$STATE/guests/net.log" | head -c "$(($2 - $1))" |
    sed -n 's/.*netsend bytes_per_s=\([0-9]*\).*/\1/p' |
    awk '{ s += $1; n++ } END { if (n) printf "%.1f", s * 8 / 1e6 / n; else print "-" }'
}
log_size() { stat -c %s "$STATE/guests/net.log"; }

CONFIGS=("none 0" "adaptive 55" "adaptive 75" "adaptive 95" "fixed 55" "fixed 75" "fixed 95")
declare -A TOTAL COUNT DURING AFTER
printf '%-4s %-9s %7s %13s %18s %17s\n' run policy urgency migration_s sender_during_mbps \
  sender_after_mbps
k=0
for run in $(seq 1 "$RUNS"); do
  for config in "${CONFIGS[@]}"; do
    read -r policy urgency <<<"$config"
    k=$((k + 1))
    g="mig$k"
    "$TB" guest "$g" --host h1 --memory-mib "$MEM" --run "dirtier 2 16" >/dev/null
    wait_boot "$g" || { echo "guest $g did not boot" >&2; exit 1; }
    args=()
    [[ $policy == none ]] || args=(--reservation "$policy" --urgency "$urgency" --dest-agent "${AGENT[h2]}")
    before=$(log_size)
    line=$("$CONVOY" agent --agent "${AGENT[h1]}" migrate "$g" --dest-host h2 \
      --dest-uri "qemu+tcp://${IP[h2]}/system" --dest-address "${IP[h2]}" "${args[@]}" \
      --wait --quiet) || { echo "migration of $g failed: $line" >&2; exit 1; }
    during=$(log_size)
    sleep 6
    after=$(log_size)
    seconds=$(sed -n 's/.* elapsed=\([0-9.]*\)s.*/\1/p' <<<"$line")
    d=$(sender_mbps "$before" "$during")
    a=$(sender_mbps "$during" "$after")
    printf '%-4s %-9s %7s %13s %18s %17s\n' "$run" "$policy" "$urgency" "$seconds" "$d" "$a"
    key="$policy $urgency"
    TOTAL[$key]=$(awk -v x="${TOTAL[$key]:-0}" -v y="$seconds" 'BEGIN { print x + y }')
    DURING[$key]=$(awk -v x="${DURING[$key]:-0}" -v y="$d" 'BEGIN { print x + y }')
    AFTER[$key]=$(awk -v x="${AFTER[$key]:-0}" -v y="$a" 'BEGIN { print x + y }')
    COUNT[$key]=$((${COUNT[$key]:-0} + 1))
    "$TB" exec h2 virsh -q -c qemu:///system destroy "$g" >/dev/null
  done
done

echo
echo "mean over $RUNS run(s); uplink ${RATE} Mbit/s; guest ${MEM} MiB (dirtier 2 MiB/s over 16 MiB)"
printf '%-9s %7s %13s %14s %18s %17s\n' policy urgency migration_s vs_none sender_during_mbps \
  sender_after_mbps
base=$(awk -v t="${TOTAL[none 0]}" -v n="${COUNT[none 0]}" 'BEGIN { print t / n }')
for config in "${CONFIGS[@]}"; do
  n=${COUNT[$config]}
  awk -v c="$config" -v t="${TOTAL[$config]}" -v d="${DURING[$config]}" -v a="${AFTER[$config]}" \
    -v n="$n" -v b="$base" 'BEGIN { split(c, p, " ");
      printf "%-9s %7s %13.1f %13.0f%% %18.1f %17.1f\n", p[1], p[2], t / n, 100 * (t / n) / b, d / n, a / n }'
done
