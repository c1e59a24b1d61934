#!/usr/bin/env bash
# A three-node swarm for the node-loss tests, apart from the single-node one of swarm-engine.sh:
# nodes 2, 3 and 4 of scripts/swarm-engine.sh (each its own dockerd in its own network namespace,
# reaching the others through this host). Node 2 is the manager tenantctl talks to, drained so
# tasks run on the workers 3 and 4: stopping a worker's engine is a node loss the manager sees.
#   scripts/swarm-cluster.sh up     # prints TENANTCTL_SWARM_CLUSTER_HOST=unix://...
#   scripts/swarm-cluster.sh down   # stops the three engines and forgets the swarm
# DOCKERD as for swarm-engine.sh. Only the test listener image is copied to the nodes.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MANAGER=2 WORKERS="3 4"
MANAGER_ADDR="10.209.$MANAGER.2"
node() { local n="$1"; shift; SWARM_NODE="$n" IMAGES="tenantctl-test-listener:latest" "$HERE/swarm-engine.sh" "$@"; }

up() {
  node "$MANAGER" up >/dev/null
  local manager="unix:///run/tcsw$MANAGER/docker.sock"
  # Heartbeats every 2 s (the default is 5 s): a lost node is seen as down within seconds, and a
  # node that a busy machine slows for a second is not taken for lost.
  docker -H "$manager" swarm update --dispatcher-heartbeat 2s >/dev/null
  for n in $WORKERS; do SWARM_JOIN="$MANAGER_ADDR" node "$n" up >/dev/null; done
  docker -H "$manager" node update --availability drain "tenantctl-swarm$MANAGER" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(docker -H "$manager" node ls --format '{{.Status}}' | grep -c '^Ready$')" = 3 ] && break
    sleep 0.2
  done
  docker -H "$manager" node ls >&2
  echo "TENANTCTL_SWARM_CLUSTER_HOST=$manager"
}

down() {
  for n in $WORKERS $MANAGER; do
    node "$n" down
    # The next `up` starts a new swarm: a worker that kept its state would wait for an old manager.
    rm -rf /var/lib/tenantctl-swarm"$n"-v*
  done
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
