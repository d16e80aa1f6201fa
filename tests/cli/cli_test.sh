#!/usr/bin/env bash
# The convoy command line as an operator uses it: exit codes, messages, output formats.
# Usage: cli_test.sh CONVOY_BINARY EXAMPLES_DIR
set -uo pipefail
CONVOY="$1"
EXAMPLES="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
