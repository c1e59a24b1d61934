#!/usr/bin/env bash
# Ingest benchmark: sustained readings/s and ack latency with 100 gateways x 10 sensors on
# loopback, at both durability settings, and the server's resident memory, also with
# 1,000 gateways connected. Release build; the load generator runs on the same machine.
# While it runs, /metrics is scraped every second on --metrics-listen (as Prometheus would),
# so the numbers include counting and exporting; BIN=DIR compares another build (e.g. one
# without metrics, which then is not scraped).
# Usage: scripts/bench-ingest.sh   (env: DURATION=15 GATEWAYS=100 SENSORS=10 WINDOW=8 BIN=.build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
DURATION=${DURATION:-15}
GATEWAYS=${GATEWAYS:-100}
SENSORS=${SENSORS:-10}
WINDOW=${WINDOW:-8}
WORK=$(mktemp -d /tmp/bench-ingest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

METRICS_ARGS=()
SCRAPER=""
start_server() { # durability
  PORT=$(free_port)
  rm -f "$WORK"/bench.db*
  METRICS_ARGS=()
  if "$BIN/tenant-ingest" --help | grep -q -- --metrics-listen; then
    METRICS_PORT=$(free_port)
    METRICS_ARGS=(--metrics-listen "127.0.0.1:$METRICS_PORT")
  fi
  "$BIN/tenant-ingest" --provider bench --store "sqlite:$WORK/bench.db" --listen "127.0.0.1:$PORT" \
    --durability "$1" --log-level warning "${METRICS_ARGS[@]}" 2>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 100); do
    if "$BIN/tenant-ingest" --health-check --listen "127.0.0.1:$PORT"; then
      if [ ${#METRICS_ARGS[@]} -gt 0 ]; then
        ( while kill -0 "$SERVER" 2>/dev/null; do curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null || true; sleep 1; done ) &
        SCRAPER=$!
      fi
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}

stop_server() {
  if [ ${#METRICS_ARGS[@]} -gt 0 ]; then
    curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | grep -E '^tenant_ingest_(readings_stored_total|commits_total) ' | tr '\n' ' ' >&2 || true
    echo >&2
  fi
  kill -TERM "$SERVER"; wait "$SERVER" || true
  if [ -n "$SCRAPER" ]; then kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=""; fi
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$SERVER/stat"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load: $GATEWAYS gateways x $SENSORS sensors, window $WINDOW, ${DURATION}s, unthrottled; binaries: $BIN; machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for durability in normal full; do
  start_server "$durability"
  "$BIN/tenant-gateway-sim" --target "127.0.0.1:$PORT" --gateways "$GATEWAYS" --sensors "$SENSORS" --rate 0 \
    --window "$WINDOW" --duration "$DURATION" --json > "$WORK/sim.json"
  HWM=$(hwm_kb)
  CPU=$(cpu_s)
  stop_server
  /usr/bin/python3 - "$WORK/sim.json" "$durability" "$HWM" "$CPU" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
readings = r['readingsStored'] + r['readingsDuplicate']
print(f"durability={sys.argv[2]:6} readings/s={r['readingsPerSecond']:,.0f} p50={r['latencyP50Ms']:.2f}ms "
      f"p99={r['latencyP99Ms']:.2f}ms acks={r['acks']} errors={r['errors']} unacked={r['unacknowledged']} "
      f"server_peak_rss={int(sys.argv[3])/1024:.1f}MB server_cpu={float(sys.argv[4]) * 1e6 / max(readings, 1):.2f}us/reading")
PY
done

# 1,000 gateways connected, each reporting 10 readings every 2 s.
start_server normal
"$BIN/tenant-gateway-sim" --target "127.0.0.1:$PORT" --gateways 1000 --sensors "$SENSORS" --rate 0.5 \
  --duration "$DURATION" --json > "$WORK/sim1000.json" &
SIM=$!
sleep $((DURATION * 2 / 3))
RSS=$(rss_kb)
wait "$SIM"
HWM=$(hwm_kb)
stop_server
/usr/bin/python3 - "$WORK/sim1000.json" "$RSS" "$HWM" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"1000 gateways connected: rss={int(sys.argv[2])/1024:.1f}MB peak={int(sys.argv[3])/1024:.1f}MB "
      f"acks={r['acks']} readings/s={r['readingsPerSecond']:,.0f} p50={r['latencyP50Ms']:.2f}ms p99={r['latencyP99Ms']:.2f}ms "
      f"errors={r['errors']} unacked={r['unacknowledged']}")
PY
