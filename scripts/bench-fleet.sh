#!/usr/bin/env bash
# Benchmark of `tenantctl apply -f` against the local Docker engine (not a test).
#   1. apply a fleet of N new providers (default 100): wall time of apply, then until every
#      container's health check passes (images with the servers; the TCP-only fixture has no
#      health check, so there "ready" is when its published ports accept a connection)
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

echo "image $IMAGE, $N providers, --parallel $PARALLEL"
echo "load before: $(uptime)"
start=$(now)
set +e
"$TENANTCTL" apply -f "$DIR/fleet.yaml" --parallel "$PARALLEL" --json > "$DIR/apply.json"
status=$?
set -e
applied=$(now)
python3 - "$DIR/apply.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
failed = [r for r in results if not r["ok"]]
print(f"apply: {len(results) - len(failed)} ok, {len(failed)} failed")
for r in failed[:3]:
    print(f"  first failures: {r['provider']}: {r.get('error', '')[:160]}")
PY
echo "apply (exit $status):                 $(elapsed "$start" "$applied") s"

# Ready: every started container healthy (or, without a health check, its port answering).
ports=$(python3 -c 'import json,sys; print(" ".join(str(p) for r in json.load(open(sys.argv[1])) if r["ok"] for p in (r["gateway_port"], r["admin_port"])))' "$DIR/apply.json")
expected=$(( $(wc -w <<<"$ports") ))
hashealth=$(docker image inspect -f '{{if .Config.Healthcheck}}yes{{end}}' "$IMAGE")
deadline=$(( $(date +%s) + 180 ))
while :; do
    if [ "$IMAGE" = tenantctl-test-listener:latest ]; then
        ready=0
        for p in $ports; do (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && ready=$((ready + 1)); done
    else
        ready=$(docker ps -q --filter "label=io.tenantctl.fleet=$FLEET" --filter health=healthy | wc -l)
    fi
    [ "$ready" -ge "$expected" ] && break
    [ "$(date +%s)" -ge "$deadline" ] && { echo "not ready after 180 s: $ready of $expected containers"; break; }
    sleep 0.5
done
echo "until ready ($ready/$expected containers): $(elapsed "$start" "$(now)") s${hashealth:+ (health checks)}"
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
