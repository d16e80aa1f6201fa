#!/usr/bin/env bash
# The convoy command line as an operator uses it: exit codes, messages, output formats.
# Usage: cli_test.sh CONVOY_BINARY EXAMPLES_DIR
set -uo pipefail
CONVOY="$1"
EXAMPLES="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# TLS material for the daemons' flag checks (deploy/make-certs, openssl).
CERTS="$TMP/certs"
MAKE_CERTS="$(dirname "$0")/../../deploy/make-certs"
{ "$MAKE_CERTS" "$CERTS" ca && "$MAKE_CERTS" "$CERTS" controller ctl IP:127.0.0.1 &&
  "$MAKE_CERTS" "$CERTS" agent h1 IP:127.0.0.1; } >/dev/null
passed=0
failed=0

check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
  local name="$1" want="$2" pattern="$3"
  shift 4
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [[ $got -ne $want ]] || { [[ -n $pattern ]] && ! grep -qE -- "$pattern" "$TMP/out" "$TMP/err"; }; then
    echo "FAIL $name: exit $got (want $want), pattern '$pattern'"
    sed 's/^/  | /' "$TMP/out" "$TMP/err" | head -20
    failed=$((failed + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

check "validate a good file" 0 "valid: 3 hosts, 1 links, 3 VMs" -- "$CONVOY" validate "$EXAMPLES/minimal.yaml"
check "missing file" 2 "cannot open" -- "$CONVOY" validate "$TMP/nope.yaml"

cat >"$TMP/bad.yaml" <<'YAML'
hosts:
  - {name: a1, switch: s, nic_gbps: 1, cpus: 8, memory_gib: 24}
  - {name: a1, switch: s, nic_gbps: -1, cpus: 8, memory_gib: 24}
vms:
  - {name: v, host: zz, vcpus: 1, memory_gib: 1, dirty_mibps: -3}
request: {evacuate: [a9]}
YAML
check "every problem named" 2 "hosts\[1\].name: duplicate host name 'a1'" -- "$CONVOY" validate "$TMP/bad.yaml"
check "unknown host named" 2 "vms\[0\].host: unknown host 'zz'" -- "$CONVOY" plan "$TMP/bad.yaml"
check "negative rate named" 2 "vms\[0\].dirty_mibps: must not be negative" -- "$CONVOY" validate "$TMP/bad.yaml"
printf 'hosts: [{name: a, cpus: many}]\n' >"$TMP/type.yaml"
check "type error named" 2 "hosts\[0\].cpus: expected a number, got 'many'" -- "$CONVOY" validate "$TMP/type.yaml"

check "table with baselines" 0 "makespan vs convoy" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml"
check "json contract" 0 '"eviction_s"' -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" --format json
check "json to a file" 0 "" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" --format json -o "$TMP/plan.json"
check "json file written" 0 '"migrations"' -- cat "$TMP/plan.json"
check "svg" 0 "</svg>" -- "$CONVOY" plan "$EXAMPLES/blade-center-maintenance.yaml" --format svg
check "infeasible exits 3 with reasons" 3 "does not converge" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" -s parallel
check "comma-exact coordinates the app" 0 '"coordinated_app": "webapp"' -- "$CONVOY" plan "$EXAMPLES/comma-tier-5.yaml" -s comma-exact --format json
check "comma-heuristic" 0 "makespan vs comma-heuristic" -- "$CONVOY" plan "$EXAMPLES/comma-tier-9.yaml" -s comma-heuristic
check "solive order noted" 0 "SOLive's post-copy order: no, m, c, ni" -- "$CONVOY" plan "$EXAMPLES/solive-4vm.yaml" -s solive --format json
check "unknown strategy" 2 "unknown strategy 'magic'" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" -s magic
check "unknown format" 2 "format: pdf not in" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" --format pdf

# convoy simulate: every example on SimGrid, every strategy side by side, the JSON contract.
for f in "$EXAMPLES"/*.yaml; do
  case "$(basename "$f")" in demo-apps.yaml) continue ;; esac  # an apps file, not a scenario
  check "simulate $(basename "$f")" 0 '"prediction_mape"' -- "$CONVOY" simulate "$f" --format json
done
check "simulate table with ratios" 0 "completion vs convoy" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml"
check "simulate names the baselines" 0 "nova +kubevirt +proxmox" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml"
check "simulate svg of the first strategy" 0 "Convoy plan: nova" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml" -s nova -s convoy --format svg
check "simulate reports failures" 0 "did not converge" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml" -s parallel
check "simulate to a file" 0 "" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml" -s convoy --format json -o "$TMP/sim.json"
check "simulate file written" 0 '"strategy": "convoy"' -- cat "$TMP/sim.json"
check "simulate same seed same figures" 0 "" -- bash -c "\"$CONVOY\" simulate \"$EXAMPLES/interlink-6.yaml\" --seed 5 >\"$TMP/s1\" && \"$CONVOY\" simulate \"$EXAMPLES/interlink-6.yaml\" --seed 5 >\"$TMP/s2\" && cmp \"$TMP/s1\" \"$TMP/s2\""
check "simulate unknown strategy" 2 "unknown strategy 'magic'" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml" -s magic
check "simulate missing file" 2 "cannot open" -- "$CONVOY" simulate "$TMP/nope.yaml"
check "simulate bad scenario named" 2 "vms\[0\].host: unknown host 'zz'" -- "$CONVOY" simulate "$TMP/bad.yaml"
check "simulate variation in range" 2 "variation" -- "$CONVOY" simulate "$EXAMPLES/workload-3.yaml" --variation 150

# convoy-agent's configuration file (deploy/agent.conf.example); the agent is built next to convoy.
AGENT="$(dirname "$CONVOY")/convoy-agent"
DEPLOY="$EXAMPLES/../deploy"
if [[ -x $AGENT ]]; then
  check "agent example config parses" 0 "Usage:" -- "$AGENT" --config "$DEPLOY/agent.conf.example" --help
  # Every key of the example, uncommented, is one the agent knows.
  sed -E 's/^# ([a-z-]+ = )/\1/' "$DEPLOY/agent.conf.example" >"$TMP/agent.conf"
  check "agent example keys all known" 0 "Usage:" -- "$AGENT" --config "$TMP/agent.conf" --help
  "$AGENT" --help | grep -oE '^  --[a-z-]+' | sed 's/^  --//' | grep -vx config | sort >"$TMP/agent-options"
  grep -oE '^[a-z-]+ = ' "$TMP/agent.conf" | sed 's/ = $//' | sort >"$TMP/agent-keys"
  check "agent example has every key" 0 "" -- diff "$TMP/agent-options" "$TMP/agent-keys"
  printf 'name = "h1"\nlisten = "127.0.0.1:7700"\nheartbeat-intervl-ms = 500\n' >"$TMP/typo.conf"
  check "agent unknown key named" 2 "unknown key 'heartbeat-intervl-ms'" -- "$AGENT" --config "$TMP/typo.conf"
  check "agent unknown key refused with --help" 2 "heartbeat-intervl-ms" -- "$AGENT" --config "$TMP/typo.conf" --help
  printf 'name = "h1"\npoll-interval-ms = 5\n' >"$TMP/range.conf"
  check "agent config value checked" 2 "poll-interval-ms" -- "$AGENT" --config "$TMP/range.conf" --help
  check "agent missing config" 2 "nope.conf" -- "$AGENT" --config "$TMP/nope.conf"
  check "agent wildcard needs --advertise" 2 "give --advertise" -- "$AGENT" --name h1 --listen 0.0.0.0:7700 --controller 127.0.0.1:7600 --insecure
  check "agent needs TLS or --insecure" 2 "no TLS material: give --tls-ca" -- "$AGENT" --name h1 --listen 127.0.0.1:7700
  check "agent TLS needs destinations" 2 "--allow-peer-uri: not given" -- "$AGENT" --name h1 --tls-ca "$CERTS/ca.crt" --tls-cert "$CERTS/h1.crt" --tls-key "$CERTS/h1.key"
else
  echo "skip convoy-agent checks: $AGENT not built"
fi

# convoyd's configuration file (deploy/convoyd.conf.example), the same way.
CONVOYD="$(dirname "$CONVOY")/convoyd"
if [[ -x $CONVOYD ]]; then
  check "convoyd example config parses" 0 "Usage:" -- "$CONVOYD" --config "$DEPLOY/convoyd.conf.example" --help
  sed -E 's/^# ([a-z-]+ = )/\1/' "$DEPLOY/convoyd.conf.example" >"$TMP/convoyd.conf"
  check "convoyd example keys all known" 0 "Usage:" -- "$CONVOYD" --config "$TMP/convoyd.conf" --help
  "$CONVOYD" --help | grep -oE '^  --[a-z-]+' | sed 's/^  --//' | grep -vx config | sort >"$TMP/convoyd-options"
  grep -oE '^[a-z-]+ = ' "$TMP/convoyd.conf" | sed 's/ = $//' | sort >"$TMP/convoyd-keys"
  check "convoyd example has every key" 0 "" -- diff "$TMP/convoyd-options" "$TMP/convoyd-keys"
  printf 'listen = "127.0.0.1:7600"\ntick-msec = 500\n' >"$TMP/convoyd-typo.conf"
  check "convoyd unknown key named" 2 "unknown key 'tick-msec'" -- "$CONVOYD" --config "$TMP/convoyd-typo.conf"
  check "convoyd bad state path" 1 "does not exist" -- "$CONVOYD" --listen 127.0.0.1:0 --state "$TMP/no/such/dir/state.db" --metrics-listen off --insecure
  PORT=$((20000 + RANDOM % 20000))
  "$CONVOYD" --insecure --listen "127.0.0.1:$PORT" --state "$TMP/first.db" --metrics-listen off >/dev/null 2>&1 &
  FIRST=$!
  sleep 1
  check "a second convoyd on a busy address fails" 1 "cannot listen on 127.0.0.1:$PORT" -- "$CONVOYD" --insecure --listen "127.0.0.1:$PORT" --state "$TMP/second.db" --metrics-listen off
  kill "$FIRST"
  check "convoyd needs TLS or --insecure" 2 "no TLS material: give --tls-ca" -- "$CONVOYD" --listen 127.0.0.1:0 --state "$TMP/s.db" --metrics-listen off
  check "convoyd names a bad certificate" 2 "--tls-cert $TMP/nope.crt: cannot read it" -- "$CONVOYD" --listen 127.0.0.1:0 --state "$TMP/s.db" --tls-ca "$CERTS/ca.crt" --tls-cert "$TMP/nope.crt" --tls-key "$CERTS/ctl.key"
  check "convoyd --insecure and TLS exclude each other" 2 "exclude each other" -- "$CONVOYD" --insecure --tls-ca "$CERTS/ca.crt" --tls-cert "$CERTS/ctl.crt" --tls-key "$CERTS/ctl.key"
  check "convoyd token needs TLS" 2 "--tokens-file needs TLS" -- "$CONVOYD" --insecure --tokens-file "$TMP/tokens" --state "$TMP/s.db"
else
  echo "skip convoyd checks: $CONVOYD not built"
fi

# The controller's commands, with no controller: usage errors and an unreachable controller.
NOCTL=127.0.0.1:1
check "the CLI needs TLS or --insecure" 2 "no TLS CA to verify convoyd with" -- env -u CONVOY_INSECURE "$CONVOY" ls --controller "$NOCTL"
check "the CLI's token needs TLS" 2 "--token-file needs TLS" -- "$CONVOY" ls --controller "$NOCTL" --insecure --token-file "$TMP/tokens"
export CONVOY_INSECURE=1
check "evacuate needs a host" 2 "hosts is required" -- "$CONVOY" evacuate
check "watch: controller not reachable" 2 "convoyd at $NOCTL is not reachable" -- "$CONVOY" watch X --controller "$NOCTL"
check "evacuate: controller not reachable" 2 "convoyd at $NOCTL is not reachable" -- "$CONVOY" evacuate h1 --controller "$NOCTL" --yes
check "ls: address from CONVOY_CONTROLLER" 2 "convoyd at $NOCTL is not reachable" -- env CONVOY_CONTROLLER="$NOCTL" "$CONVOY" ls
check "cancel: controller not reachable" 2 "not reachable" -- "$CONVOY" cancel X --controller "$NOCTL"
check "hosts: controller not reachable" 2 "not reachable" -- "$CONVOY" hosts --controller "$NOCTL" --format json
check "vms: controller not reachable" 2 "not reachable" -- "$CONVOY" vms --controller "$NOCTL"
check "plan --live: controller not reachable" 2 "not reachable" -- "$CONVOY" plan --live h1 --to h2 --controller "$NOCTL"
check "plan --live needs hosts" 2 "name the hosts to evacuate" -- "$CONVOY" plan --live --controller "$NOCTL"
check "request options need --live" 2 "--to is for the live inventory: add --live" -- "$CONVOY" plan "$EXAMPLES/workload-3.yaml" --to b1
check "evacuate: unknown mode" 2 "--mode: unknown mode 'bogus'" -- "$CONVOY" evacuate h1 --mode bogus --controller "$NOCTL"
check "evacuate: apps file missing" 2 "--apps: cannot open" -- "$CONVOY" evacuate h1 --apps "$TMP/nope.yaml" --controller "$NOCTL"
check "evacuate: apps file type error" 2 "type.yaml: hosts\[0\].cpus: expected a number" -- "$CONVOY" evacuate h1 --apps "$TMP/type.yaml" --controller "$NOCTL"
check "watch documents its exit codes" 0 "4 it failed or was cancelled" -- "$CONVOY" watch --help

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
