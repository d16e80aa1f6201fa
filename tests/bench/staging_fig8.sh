#!/usr/bin/env bash
# Seed 002's Fig. 8 on the testbed: the eviction time of a direct migration against one staged
# through 1, 2 and 3 Redis intermediaries, while the destination's ingress is capped at 50% to
# 100% of the source's egress. h1 is the source (egress RATE Mb/s), h2 the destination (its
# ingress capped with HTB on the bridge's port towards it: ingress policing does not work on
# this kernel), h3..h5 the intermediaries, each capped at the rate its column says (as the
# paper reserved 900, 2 x 450, 3 x 300 and 3 x 450 Mb/s against a 900 Mb/s source). The guest is
# migrated h1 -> h2 (measured), then back unshaped, for every cell.
# The eviction time is measured the same way for both: from the start of the request until the
# source's uplink has sent 99.5% of what it sends for the migration (its eth0 byte counter,
# sampled every 0.1 s): the last byte the destination (direct) or Redis (staged) needs. The
# agent's own figure for a staged migration (last byte stored, StagingProgress.eviction_s)
# and the end of each migration (libvirt's, with its Finish and the VM's resume) are printed
# too, with the VM's downtime as libvirt measured it.
# Usage: flock /tmp/convoy-testbed.lock tests/bench/staging_fig8.sh [RATE_MBIT=200] [REPS=1]
#        [MEMORY_MIB=256] ["PCTS"="50 60 70 80 90 100"]
# Needs root; brings the testbed up with 5 hosts and takes it down at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RATE=${1:-200}
REPS=${2:-1}
MEM=${3:-256}
PCTS=${4:-"50 60 70 80 90 100"}
BUILD=${BUILD:-$ROOT/build}
STATE=${CONVOY_TESTBED_DIR:-/run/convoy-testbed}
CONVOY=$BUILD/bin/convoy
export CONVOY_AGENT=$BUILD/bin/convoy-agent
[[ -x $CONVOY && -x $CONVOY_AGENT ]] || { echo "build convoy and convoy-agent first" >&2; exit 2; }
TB=$ROOT/scripts/testbed

"$ROOT/scripts/build-guest" >/dev/null
"$TB" down >/dev/null 2>&1 || true
"$TB" up --hosts 5 --redis h3,h4,h5 --redis-maxmemory-mib 1024 --rate-mbit "$RATE" >/dev/null
trap '"$TB" down >/dev/null 2>&1' EXIT

declare -A IP
while read -r name ip _ _; do IP[$name]=$ip; done <"$STATE/hosts"
GUEST=fig8
"$TB" guest "$GUEST" --host h1 --memory-mib "$MEM" --run "dirtier 1 $((MEM / 2))" >/dev/null
for _ in $(seq 1 120); do grep -q "convoy-alive $GUEST 5" "$STATE/guests/$GUEST.log" 2>/dev/null && break; sleep 1; done

# The columns: name, intermediaries, each one's ingress (Mb/s).
third=$((RATE / 3))
half=$((RATE / 2))
COLUMNS_=("direct||0" "1x$RATE|h3|$RATE" "2x$half|h3,h4|$half" "3x$third|h3,h4,h5|$third"
  "3x$half|h3,h4,h5|$half")

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

migrate() { # migrate FROM TO [VIA...]: the agent's last progress line
  local from=$1 to=$2 via=${3:-}
  local stage=()
  if [[ -n "$via" ]]; then
    local addresses=() h
    for h in ${via//,/ }; do addresses+=("${IP[$h]}:6379"); done
    stage=(--stage-via "$(IFS=,; echo "${addresses[*]}")" --dest-agent "${IP[$to]}:7700")
  fi
  "$CONVOY" agent -a "${IP[$from]}:7700" --timeout-s 60 migrate "$GUEST" --dest-host "$to" \
    --dest-uri "qemu+tcp://${IP[$to]}/system" --dest-address "${IP[$to]}" --downtime-ms 300 \
    "${stage[@]}" --wait --quiet
}

tx_bytes() { nsenter --net=/run/netns/cvtb-h1 awk '$1 == "eth0:" {print $10}' /proc/net/dev; }
now() { date +%s.%N; }

declare -A EVICT TOTAL DOWN AGENT
printf '%-10s %5s %4s %10s %10s %9s %12s %10s\n' column dest% rep eviction_s agent_evict total_s \
  downtime_ms stream_MiB
for pct in $PCTS; do
  for column in "${COLUMNS_[@]}"; do
    IFS='|' read -r name via each <<<"$column"
    for rep in $(seq 1 "$REPS"); do
      "$TB" shape all "$RATE" >/dev/null
      "$TB" shape h2 $((RATE * pct / 100)) --in >/dev/null
      for h in ${via//,/ }; do "$TB" shape "$h" "$each" --in >/dev/null; done
      (while :; do echo "$(now) $(tx_bytes)"; sleep 0.1; done) >"$STATE/fig8.samples" &
      sampler=$!
      t0=$(now)
      line=$(migrate h1 h2 "$via") || { kill $sampler; echo "run failed: $line" >&2; exit 1; }
      sleep 0.3
      kill $sampler
      wait $sampler 2>/dev/null || true
      # When the uplink had sent 99.5% of the run's bytes.
      evict=$(awk -v t0="$t0" 'NR == 1 {b0 = $2} {t[NR] = $1; b[NR] = $2}
        END {goal = b0 + 0.995 * (b[NR] - b0); for (i = 1; i <= NR; i++) if (b[i] >= goal) {
          printf "%.2f", t[i] - t0; exit } }' "$STATE/fig8.samples")
      total=$(echo "$line" | field elapsed)
      down=$(echo "$line" | field downtime)
      agent=$(echo "$line" | field evicted)
      stream=$(echo "$line" | field staged)
      printf '%-10s %5s %4s %10s %10s %9s %12s %10s\n' "$name" "$pct" "$rep" "$evict" \
        "${agent:--}" "$total" "${down:-?}" "${stream:--}"
      EVICT[$name,$pct]+="$evict "
      AGENT[$name,$pct]+="${agent:-$total} "
      TOTAL[$name,$pct]+="$total "
      DOWN[$name,$pct]+="${down:-0} "
      # Back to h1 at full speed for the next cell.
      "$TB" shape all 1000 >/dev/null
      migrate h2 h1 >/dev/null || { echo "the way back failed" >&2; exit 1; }
    done
  done
done

mean() { awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF }' <<<"$1"; }
table() { # table TITLE ARRAY
  local -n cells=$2
  echo
  echo "# $1 (source egress $RATE Mb/s; mean of $REPS)"
  printf '%-22s' "destination ingress"
  for column in "${COLUMNS_[@]}"; do printf ' %10s' "${column%%|*}"; done
  echo
  for pct in $PCTS; do
    printf '%-22s' "$pct% ($((RATE * pct / 100)) Mb/s)"
    for column in "${COLUMNS_[@]}"; do printf ' %10s' "$(mean "${cells[${column%%|*},$pct]}")"; done
    echo
  done
}
table "eviction time, s (the source's uplink done)" EVICT
table "eviction time as the agents report it, s (staged: last byte in Redis; direct: the end)" AGENT
table "total migration time, s (libvirt's end)" TOTAL
table "downtime, ms" DOWN
