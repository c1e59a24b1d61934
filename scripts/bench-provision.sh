#!/usr/bin/env bash
# Benchmark of tenantctl provisioning against the local Docker engine (not a test).
#   1. baseline: the bare Engine API calls (create + start of the same two containers) with curl
#   2. start-provider for a new provider (whole process: version, list, network, volume, containers)
#   3. start-provider for a provider that is already running
#   4. tenantctl list with 100 providers (200 label-only, never started containers)
# Usage: scripts/bench-provision.sh path/to/tenantctl   (make bench-provision builds release first)
set -euo pipefail
TENANTCTL=${1:-.build/release/tenantctl}
IMAGE=${TENANTCTL_TEST_IMAGE:-tenantctl-test-listener:latest}
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
RUNS=${RUNS:-7}
API=$(curl -s --unix-socket "$SOCK" http://localhost/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["ApiVersion"])')
PREFIX="bench$$"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2-$1:.4f}')"; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
engine() { curl -sf --unix-socket "$SOCK" -X "$1" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://localhost/v$API$2"; }
cleanup() {
    for id in $(docker ps -aq --filter "label=io.tenantctl.provider" --filter "name=$PREFIX"); do docker rm -f "$id" >/dev/null; done
    docker ps -aq --filter "label=bench.tenantctl=$PREFIX" | xargs -r docker rm -f >/dev/null
    for n in $(docker network ls -q --filter "name=tenantctl_$PREFIX"); do docker network rm "$n" >/dev/null; done
    for v in $(docker volume ls -q --filter "name=tenantctl_$PREFIX"); do docker volume rm "$v" >/dev/null; done
}
trap cleanup EXIT
docker image inspect "$IMAGE" >/dev/null

echo "engine API $API, image $IMAGE, $RUNS runs each, median seconds"

# 1. Baseline: the same create bodies tenantctl would send (taken from `tenantctl plan`),
#    network and volume made beforehand (untimed), then create+start x2 in sequence.
base=()
for i in $(seq "$RUNS"); do
    id="${PREFIX}_b$i"
    "$TENANTCTL" plan "$id" --image "$IMAGE" --gateway-port $((21000 + i)) --admin-port $((22000 + i)) > /tmp/$PREFIX.plan.json
    python3 - "$id" /tmp/$PREFIX.plan.json /tmp/$PREFIX <<'PY'
import json, sys
ident, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
for req in json.load(open(path)):
    p = req["path"]
    if "/containers/create" in p:
        role = "ingest" if "remote_server" in p else "admin"
        json.dump(req["body"], open(f"{out}.{role}.json", "w"))
PY
    engine POST /networks/create "{\"Name\":\"tenantctl_$id\",\"CheckDuplicate\":true}" >/dev/null
    start=$(now)
    for role in ingest admin; do
        name=$([ $role = ingest ] && echo "remote_server_$id" || echo "admin_panel_$id")
        engine POST "/containers/create?name=$name" "$(cat /tmp/$PREFIX.$role.json)" >/dev/null
        engine POST "/containers/$name/start" >/dev/null
    done
    end=$(now)
    base+=("$(elapsed "$start" "$end")")
    docker rm -f "remote_server_$id" "admin_panel_$id" >/dev/null
    docker network rm "tenantctl_$id" >/dev/null
    docker volume rm "tenantctl_${id}_data" >/dev/null 2>&1 || true
done
BASE=$(printf '%s\n' "${base[@]}" | median)
echo "baseline curl create+start x2:        $BASE s"

# 2 + 3. start-provider, new and already running.
new=(); again=()
for i in $(seq "$RUNS"); do
    id="${PREFIX}_n$i"
    start=$(now); "$TENANTCTL" start-provider "$id" --image "$IMAGE" --no-wait >/dev/null; end=$(now)
    new+=("$(elapsed "$start" "$end")")
    start=$(now); "$TENANTCTL" start-provider "$id" --image "$IMAGE" --no-wait >/dev/null; end=$(now)
    again+=("$(elapsed "$start" "$end")")
    "$TENANTCTL" remove "$id" --purge-data --yes >/dev/null
done
NEW=$(printf '%s\n' "${new[@]}" | median)
AGAIN=$(printf '%s\n' "${again[@]}" | median)
echo "start-provider, new provider:         $NEW s  ($(python3 -c "print(f'{($NEW/$BASE-1)*100:+.0f}')")% vs baseline; target <= +15%)"
echo "start-provider, already running:      $AGAIN s  (target < 0.1)"

# 4. list with 100 providers: 200 created (never started) containers with tenantctl labels.
for i in $(seq 100); do
    for role in ingest admin; do
        engine POST "/containers/create?name=${PREFIX}_l${i}_$role" \
            "{\"Image\":\"$IMAGE\",\"Labels\":{\"io.tenantctl.provider\":\"${PREFIX}_l$i\",\"io.tenantctl.role\":\"$role\",\"bench.tenantctl\":\"$PREFIX\"}}" >/dev/null
    done
done
list=(); listjson=()
for i in $(seq "$RUNS"); do
    start=$(now); "$TENANTCTL" list >/dev/null; end=$(now); list+=("$(elapsed "$start" "$end")")
    start=$(now); "$TENANTCTL" list --json >/dev/null; end=$(now); listjson+=("$(elapsed "$start" "$end")")
done
echo "list, 100 providers:                  $(printf '%s\n' "${list[@]}" | median) s  (target < 0.2)"
echo "list --json, 100 providers:           $(printf '%s\n' "${listjson[@]}" | median) s  (target < 0.2)"
