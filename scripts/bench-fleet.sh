#!/usr/bin/env bash
# Benchmark of `tenantctl apply -f` against the local Docker engine (not a test).
#   1. apply a fleet of N new providers (default 100): wall time of apply, which returns once
#      every provider is ready (gateway answers the protocol, admin /health 200); with the
#      TCP-only fixture image it cannot wait (--no-wait): then only until started
#   2. apply again with nothing to do (median of 5)
#   3. apply an empty file with --prune --purge-data, which removes everything step 1 made
# Prints the machine's load (uptime) with the figures: the machine may be shared.
# Usage: scripts/bench-fleet.sh path/to/tenantctl   (make bench-fleet builds release first)
#   N=100 PARALLEL=4 IMAGE=tenantctl:0.1.0 (default: that image if present, else the fixture)
set -euo pipefail
TENANTCTL=${1:-.build/release/tenantctl}
N=${N:-100}
PARALLEL=${PARALLEL:-4}
if [ -z "${IMAGE:-}" ]; then
    IMAGE=tenantctl:0.1.0
    docker image inspect "$IMAGE" >/dev/null 2>&1 || IMAGE=tenantctl-test-listener:latest
fi
docker image inspect "$IMAGE" >/dev/null
FLEET="fl-bench-$$"
PREFIX="fl_bench$$"
DIR=$(mktemp -d)
export TENANTCTL_LOCK_FILE=${TENANTCTL_LOCK_FILE:-/run/lock/tenantctl.lock}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2-$1:.2f}')"; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
cleanup() {
    printf 'fleet: %s\nproviders: {}\n' "$FLEET" > "$DIR/empty.yaml"
    "$TENANTCTL" apply -f "$DIR/empty.yaml" --prune --purge-data >/dev/null 2>&1 || true
    # Whatever a failed run left: only objects of this run's providers.
    for kind in "ps -aq" "network ls -q" "volume ls -q"; do
        for id in $(docker $kind --filter "label=io.tenantctl.fleet=$FLEET"); do
            case $kind in ps*) docker rm -f "$id" >/dev/null ;; network*) docker network rm "$id" >/dev/null ;; volume*) docker volume rm "$id" >/dev/null ;; esac
        done
    done
    rm -rf "$DIR"
}
trap cleanup EXIT

{
    printf 'fleet: %s\ndefaults:\n  image: %s\n  memory: 128m\nproviders:\n' "$FLEET" "$IMAGE"
    for i in $(seq "$N"); do printf '  %s_%d: {}\n' "$PREFIX" "$i"; done
} > "$DIR/fleet.yaml"

WAIT=()
# The TCP-only fixture does not speak the protocol: there apply cannot wait for readiness.
[ "$IMAGE" = tenantctl-test-listener:latest ] && WAIT=(--no-wait)
echo "image $IMAGE, $N providers, --parallel $PARALLEL ${WAIT[*]}"
echo "load before: $(uptime)"
start=$(now)
set +e
"$TENANTCTL" apply -f "$DIR/fleet.yaml" --parallel "$PARALLEL" --json "${WAIT[@]}" > "$DIR/apply.json"
status=$?
set -e
applied=$(now)
python3 - "$DIR/apply.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
failed = [r for r in results if not r["ok"]]
ready = [r for r in results if r.get("ready")]
print(f"apply: {len(results) - len(failed)} ok ({len(ready)} ready: gateway answers the protocol, admin /health 200), {len(failed)} failed")
for r in failed[:3]:
    print(f"  failure: {r['provider']}: {r.get('error', '')[:200]}")
PY
echo "apply until ready (exit $status):    $(elapsed "$start" "$applied") s"
echo "load after apply: $(uptime)"

runs=()
for _ in 1 2 3 4 5; do
    s=$(now)
    "$TENANTCTL" apply -f "$DIR/fleet.yaml" >/dev/null || true
    runs+=("$(elapsed "$s" "$(now)")")
done
echo "apply again, nothing to do (median of 5): $(printf '%s\n' "${runs[@]}" | median) s"

s=$(now)
printf 'fleet: %s\nproviders: {}\n' "$FLEET" > "$DIR/empty.yaml"
"$TENANTCTL" apply -f "$DIR/empty.yaml" --prune --purge-data --parallel "$PARALLEL" > /dev/null || true
echo "prune all with --purge-data:          $(elapsed "$s" "$(now)") s"
echo "load at the end: $(uptime)"
