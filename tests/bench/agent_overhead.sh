#!/usr/bin/env bash
# Overhead of migrating through convoy-agent against plain `virsh migrate --live --p2p`: the
# same guest, the same bandwidth cap, moved back and forth between h1 and h2 of the testbed,
# alternating the two tools (and so the directions), RUNS times each. Prints a table and the ratio of the medians
# (convoy / virsh; issue 3 wants at most 1.05).
# Usage: tests/bench/agent_overhead.sh [RUNS=5] [BANDWIDTH_MIBPS=16] [MEMORY_MIB=128]
# Needs root. Brings the testbed up (and down at the end) unless CONVOY_TESTBED_KEEP=1 and it
# is up already.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-5}
BW=${2:-16}
MEM=${3:-128}
BUILD=${BUILD:-$ROOT/build}
STATE=${CONVOY_TESTBED_DIR:-/run/convoy-testbed}
CONVOY=$BUILD/bin/convoy
export CONVOY_AGENT=$BUILD/bin/convoy-agent
[[ -x $CONVOY && -x $CONVOY_AGENT ]] || { echo "build convoy and convoy-agent first" >&2; exit 2; }

started=0
if [[ ! -f $STATE/hosts ]]; then
  "$ROOT/scripts/build-guest" >/dev/null
  "$ROOT/scripts/testbed" up --hosts 2 >/dev/null
  started=1
fi
cleanup() { [[ $started == 1 && ${CONVOY_TESTBED_KEEP:-0} != 1 ]] && "$ROOT/scripts/testbed" down >/dev/null; }
trap cleanup EXIT

declare -A IP AGENT URI
while read -r name ip uri agent; do IP[$name]=$ip; AGENT[$name]=$agent; URI[$name]=$uri; done <"$STATE/hosts"
# The agents serve TLS: `convoy agent` presents the testbed controller's certificate.
# shellcheck disable=SC1091
[[ ! -f "$STATE/tls/env" ]] || . "$STATE/tls/env"

GUEST=bench-overhead
"$ROOT/scripts/testbed" guest "$GUEST" --host h1 --memory-mib "$MEM" >/dev/null
for _ in $(seq 1 60); do grep -q "convoy-alive $GUEST 3" "$STATE/guests/$GUEST.log" 2>/dev/null && break; sleep 1; done

where=h1
now() { date +%s.%N; }
convoy_times=()
virsh_times=()
printf '%-4s %-7s %-9s %10s\n' run tool direction seconds
for i in $(seq 1 "$RUNS"); do
  # Odd runs convoy first, even runs virsh first: each tool moves the guest both ways.
  order="convoy virsh"
  ((i % 2)) || order="virsh convoy"
  for tool in $order; do
    to=$([[ $where == h1 ]] && echo h2 || echo h1)
    t0=$(now)
    if [[ $tool == convoy ]]; then
      "$CONVOY" agent --agent "${AGENT[$where]}" migrate "$GUEST" --dest-host "$to" \
        --dest-uri "qemu+tcp://${IP[$to]}/system" --dest-address "${IP[$to]}" \
        --bandwidth "$BW" --wait --quiet >/dev/null
    else
      virsh -c "${URI[$where]}" migrate --live --p2p "$GUEST" "qemu+tcp://${IP[$to]}/system" \
        --migrateuri "tcp://${IP[$to]}" --bandwidth "$BW" >/dev/null
    fi
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    printf '%-4s %-7s %-9s %10.3f\n' "$i" "$tool" "$where->$to" "$secs"
    if [[ $tool == convoy ]]; then convoy_times+=("$secs"); else virsh_times+=("$secs"); fi
    where=$to
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mc=$(median "${convoy_times[@]}")
mv=$(median "${virsh_times[@]}")
echo
printf 'median convoy-agent %.3f s, virsh %.3f s, ratio %.3f (guest %d MiB, cap %d MiB/s, %d runs each)\n' \
  "$mc" "$mv" "$(awk -v a="$mc" -v b="$mv" 'BEGIN {print a / b}')" "$MEM" "$BW" "$RUNS"
