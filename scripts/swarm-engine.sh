#!/usr/bin/env bash
# A single-node Docker Swarm for the swarm tests, isolated from the main engine at
# /var/run/docker.sock: a second dockerd in its own network namespace (its own iptables),
# reached over a veth pair, with its own data/exec roots and address pools.
#   scripts/swarm-engine.sh up     # idempotent; prints TENANTCTL_SWARM_HOST=unix://...
#   scripts/swarm-engine.sh down   # stops that dockerd and removes the namespace (keeps the data root,
#                                  # so the next `up` reuses the loaded images and is fast)
#   scripts/swarm-engine.sh stop   # stops only the dockerd, as a node that fails would (`up` restarts it)
# SWARM_NODE=N picks the node (default 1: namespace tenantctl-swarmN, address 10.209.N.2, host name
# tenantctl-swarmN). SWARM_JOIN=ADDR joins the swarm whose manager's engine answers at ADDR:2375
# as a worker instead of starting a swarm of its own (scripts/swarm-cluster.sh).
# IMAGES="a b" picks the images copied in (default: tenantctl:0.1.0 and the test listener,
# each only if the main engine has it). Never pulls: the namespace's resolver is 127.0.0.1.
# DOCKERD picks the engine binary (default: the host's); the docker-proxy and docker-init
# shipped beside it are used, so another Docker version runs as a whole (scripts/docker-second-engine.sh).
set -euo pipefail
N="${SWARM_NODE:-1}"
RUN="/run/tcsw$N"                      # short: containerd's socket path lives under it
# A restarted node runs the engine it ran before unless told otherwise.
DOCKERD="${DOCKERD:-$(cat "$RUN/dockerd.path" 2>/dev/null || command -v dockerd)}"
ENGINE_SBIN="$(dirname "$DOCKERD")"
PROXY="$ENGINE_SBIN/docker-proxy"; [ -x "$PROXY" ] || PROXY=/usr/sbin/docker-proxy
ENGINE_MAJOR="$("$DOCKERD" --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')"
NS="tenantctl-swarm$N"
HOST_IF="tcsw${N}h"; NS_IF="tcsw${N}n"
# 10.209.N.0/24 for the veth link; 10.210/16 and 10.211/16 inside the engine: none clash with
# the main engine's 172.17/16, its default pools (172.18+/192.168) or the provider pool 10.200/16.
HOST_ADDR="10.209.$N.1"; NS_ADDR="10.209.$N.2"
# One data root per engine version: a newer engine migrates it, an older one cannot read it back.
DATA="/var/lib/tenantctl-swarm$N-v${ENGINE_MAJOR:-0}"
SOCK="$RUN/docker.sock"
IMAGES="${IMAGES:-tenantctl:0.1.0 tenantctl-test-listener:latest}"
log() { printf '==> swarm%s: %s\n' "$N" "$*" >&2; }
sdocker() { docker -H "unix://$SOCK" "$@"; }
answers() { curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

stop_engine() {
  if [ -f "$RUN/docker.pid" ] && kill -0 "$(cat "$RUN/docker.pid")" 2>/dev/null; then
    local pid; pid="$(cat "$RUN/docker.pid")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}

down() {
  if answers; then
    # A test engine: what tests left behind (an interrupted run) would restart with it next time.
    services="$(sdocker service ls -q --filter label=io.tenantctl.provider 2>/dev/null || true)"  # none on a worker
    [ -z "$services" ] || sdocker service rm $services >/dev/null || true
  fi
  stop_engine
  ip link del "$HOST_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  # The staged cgroup hierarchies, once no swarm namespace is left (running engines keep their copy).
  if ! ip netns list | grep -q '^tenantctl-swarm' && mountpoint -q /run/tenantctl-cgroup; then
    umount -R /run/tenantctl-cgroup || true
  fi
  if ! ip netns list | grep -q '^tenantctl-swarm'; then
    iptables -D DOCKER-USER -d 10.209.0.0/16 -j DROP 2>/dev/null || true
    iptables -D DOCKER-USER -s 10.209.0.0/16 -d 10.209.0.0/16 -j ACCEPT 2>/dev/null || true
  fi
  log "down"
}

up() {
  if ! ip netns list | grep -qw "$NS"; then
    ip netns add "$NS"
  fi
  mkdir -p "/etc/netns/$NS" "$RUN" "$DATA"
  # Swarm tasks look the image up in a registry before using the local one; with no resolver
  # that lookup waits for DNS timeouts (~20 s per task). 127.0.0.1 answers "refused" at once.
  echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
    ip addr add "$HOST_ADDR/24" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip netns exec "$NS" ip addr add "$NS_ADDR/24" dev "$NS_IF"
    ip netns exec "$NS" ip link set "$NS_IF" up
    ip netns exec "$NS" ip link set lo up
    ip netns exec "$NS" ip route add default via "$HOST_ADDR" 2>/dev/null || true
  fi
  # Containers of the main engine never reach the test namespaces (this engine's TCP API
  # above all): DOCKER-USER is the main engine's chain for forwarded container traffic.
  # Nodes reach each other through this host (swarm control 2377, gossip 7946, VXLAN 4789):
  # that forwarded traffic is accepted before the drop.
  if iptables -L DOCKER-USER >/dev/null 2>&1; then
    iptables -C DOCKER-USER -d 10.209.0.0/16 -j DROP 2>/dev/null || iptables -I DOCKER-USER -d 10.209.0.0/16 -j DROP
    iptables -C DOCKER-USER -s 10.209.0.0/16 -d 10.209.0.0/16 -j ACCEPT 2>/dev/null ||
      iptables -I DOCKER-USER -s 10.209.0.0/16 -d 10.209.0.0/16 -j ACCEPT
  fi
  if ! answers; then
    local driver=""
    if [ -f /var/lib/tenantctl-dockerd-driver ]; then driver="--storage-driver=$(cat /var/lib/tenantctl-dockerd-driver)"; fi
    # `ip netns exec` gives the command its own mount namespace with a fresh /sys, without
    # cgroups. On a cgroup v2 host mount cgroup2 there; on a v1/hybrid host (controllers bound
    # to v1 hierarchies, so a cgroup2 mount has none and the engine refuses CPU limits) bind
    # the host's hierarchies, staged under /run where the new namespace still sees them.
    local cgroups="mount -t cgroup2 none /sys/fs/cgroup"
    if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
      if ! mountpoint -q /run/tenantctl-cgroup; then
        mkdir -p /run/tenantctl-cgroup
        mount --rbind /sys/fs/cgroup /run/tenantctl-cgroup
        # Out of the host's peer group, so unmounting it later never propagates to /sys/fs/cgroup.
        mount --make-rprivate /run/tenantctl-cgroup
      fi
      cgroups="mount --rbind /run/tenantctl-cgroup /sys/fs/cgroup"
    fi
    log "starting $("$DOCKERD" --version)"
    echo "$DOCKERD" >"$RUN/dockerd.path"
    # Its own host name (a UTS namespace): the swarm names nodes by it.
    nohup ip netns exec "$NS" unshare --uts sh -c "$cgroups && hostname $NS && PATH=$ENGINE_SBIN:$(dirname "$ENGINE_SBIN")/bin:\$PATH exec $DOCKERD \
      -H unix://$SOCK -H tcp://$NS_ADDR:2375 --tls=false --data-root $DATA --exec-root $RUN/exec --pidfile $RUN/docker.pid \
      --userland-proxy-path $PROXY --bip 10.210.$N.1/24 \
      --default-address-pool base=10.211.0.0/16,size=24 $driver" >"$RUN/dockerd.log" 2>&1 &
    for _ in $(seq 1 150); do answers && break; sleep 0.2; done
    answers || { log "dockerd did not start; see $RUN/dockerd.log"; tail -20 "$RUN/dockerd.log" >&2; exit 1; }
  fi
  if [ -n "${SWARM_JOIN:-}" ]; then
    # A node that was in the swarm rejoins it by itself when its engine restarts.
    if [ "$(sdocker info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
      log "joining the swarm of $SWARM_JOIN"
      local token; token="$(docker -H "tcp://$SWARM_JOIN:2375" swarm join-token -q worker)"
      sdocker swarm join --advertise-addr "$NS_ADDR" --token "$token" "$SWARM_JOIN:2377" >/dev/null
    fi
  else
    if [ "$(sdocker info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
      log "swarm init"
      # Overlay subnets from 10.212/16 unless tenantctl chooses one (it does, from its own pool).
      sdocker swarm init --advertise-addr "$NS_ADDR" --default-addr-pool 10.212.0.0/16 >/dev/null
    fi
    # A restarted manager answers service calls once it leads again (a second or so).
    for _ in $(seq 1 75); do sdocker node ls >/dev/null 2>&1 && break; sleep 0.2; done
    sdocker node ls >/dev/null || { log "the swarm has no leader; see $RUN/dockerd.log"; exit 1; }
  fi
  for image in $IMAGES; do
    local want; want="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
    [ -n "$want" ] || { log "main engine has no $image: not copied"; continue; }
    if [ "$(sdocker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)" != "$want" ]; then
      log "loading $image"
      docker save "$image" | sdocker load -q >/dev/null
    fi
  done
  log "ready at $NS_ADDR"
  echo "TENANTCTL_SWARM_HOST=unix://$SOCK"
  echo "TENANTCTL_SWARM_NODE_ADDR=$NS_ADDR"
  # The same engine over TCP, on the veth only this host reaches: what a remote engine looks
  # like to tenantctl (probes go to that address, not to loopback).
  echo "TENANTCTL_SECOND_ENGINE_HOST=tcp://$NS_ADDR:2375"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  stop) stop_engine; log "engine stopped" ;;
  *) echo "usage: $0 up|down|stop" >&2; exit 2 ;;
esac
