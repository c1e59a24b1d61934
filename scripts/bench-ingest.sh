#!/usr/bin/env bash
# Ingest benchmark: sustained readings/s and ack latency with 100 gateways x 10 sensors on
# loopback, at both durability settings, and the server's resident memory, also with
# 1,000 gateways connected. Release build; the load generator runs on the same machine.
# While it runs, /metrics is scraped every second on --metrics-listen (as Prometheus would),
# so the numbers include counting and exporting; BIN=DIR compares another build (e.g. one
# without metrics, which then is not scraped).
# Then TLS against plain in the same run (--tls required, P-256 certificate from a throwaway
# CA made with openssl): throughput and p99 unthrottled, p99 at the same offered load, and the
# cost of a handshake (client-side time, server CPU per connection over plain).
# Usage: scripts/bench-ingest.sh   (env: DURATION=15 GATEWAYS=100 SENSORS=10 WINDOW=8 BIN=.build/release
#        SECTIONS="durability thousand tls" to run only some)
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

SECTIONS=${SECTIONS:-durability thousand tls}
METRICS_ARGS=()
SCRAPER=""
TLS_ARGS=()
start_server() { # durability [extra server flags...]
  PORT=$(free_port)
  rm -f "$WORK"/bench.db*
  METRICS_ARGS=()
  if "$BIN/tenant-ingest" --help | grep -q -- --metrics-listen; then
    METRICS_PORT=$(free_port)
    METRICS_ARGS=(--metrics-listen "127.0.0.1:$METRICS_PORT")
  fi
  "$BIN/tenant-ingest" --provider bench --store "sqlite:$WORK/bench.db" --listen "127.0.0.1:$PORT" \
    --durability "$1" --log-level warning "${METRICS_ARGS[@]}" "${@:2}" 2>"$WORK/server.log" &
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
  [[ " $SECTIONS " == *" durability "* ]] || break
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
if [[ " $SECTIONS " == *" thousand "* ]]; then
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
fi

# TLS vs plain, same binaries, same run.
if [[ " $SECTIONS " == *" tls "* ]]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$WORK/ca.key" -subj "/CN=bench gateway CA" -days 2 -out "$WORK/ca.pem" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/server.key" 2>/dev/null
  openssl req -new -key "$WORK/server.key" -subj "/CN=127.0.0.1" -out "$WORK/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$WORK/ext.cnf"
  openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
    -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null
  SERVER_TLS=(--tls required --tls-cert-file "$WORK/server.pem" --tls-key-file "$WORK/server.key")
  CLIENT_TLS=(--tls-ca-file "$WORK/ca.pem")
  summary() { # json label cpu_seconds
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
readings = r['readingsStored'] + r['readingsDuplicate']
hs = f" handshakes={r['tlsHandshakes']} handshake_p50={r['tlsHandshakeP50Ms']:.2f}ms mean={r['tlsHandshakeMeanMs']:.2f}ms" if r.get('tlsHandshakes') else ""
print(f"{sys.argv[2]:22} readings/s={r['readingsPerSecond']:,.0f} p50={r['latencyP50Ms']:.2f}ms p99={r['latencyP99Ms']:.2f}ms "
      f"acks={r['acks']} errors={r['errors']} unacked={r['unacknowledged']} server_cpu={float(sys.argv[3]) * 1e6 / max(readings, 1):.2f}us/reading{hs}")
PY
  }
  run() { # label rate reports-per-gateway gateways [server tls] -- [client tls]
    local label=$1 rate=$2 reports=$3 gateways=$4; shift 4
    local server=() client=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do server+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    client=("$@")
    start_server normal "${server[@]}"
    local before; before=$(cpu_s)
    local limit=(--duration "$DURATION")
    [ "$reports" != 0 ] && limit=(--reports "$reports" --duration 120)
    "$BIN/tenant-gateway-sim" --target "127.0.0.1:$PORT" --gateways "$gateways" --sensors "$SENSORS" --rate "$rate" \
      --window "$WINDOW" "${limit[@]}" --json "${client[@]}" > "$WORK/$label.json"
    local cpu; cpu=$(awk -v a="$(cpu_s)" -v b="$before" 'BEGIN {print a - b}')
    echo "$cpu" > "$WORK/$label.cpu"
    stop_server 2>/dev/null
    summary "$WORK/$label.json" "$label" "$cpu"
  }
  echo "TLS vs plain ($GATEWAYS gateways x $SENSORS sensors, window $WINDOW, ${DURATION}s each; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  run plain-unthrottled 0 0 "$GATEWAYS"
  run tls-unthrottled 0 0 "$GATEWAYS" "${SERVER_TLS[@]}" -- "${CLIENT_TLS[@]}"
  # The same offered load for both, half of what plain sustained: p99 at equal load.
  RATE=$(/usr/bin/python3 -c "import json; r=json.load(open('$WORK/plain-unthrottled.json')); print(round(r['readingsPerSecond'] / 2 / $GATEWAYS / $SENSORS, 2))")
  run plain-at-half-load "$RATE" 0 "$GATEWAYS"
  run tls-at-half-load "$RATE" 0 "$GATEWAYS" "${SERVER_TLS[@]}" -- "${CLIENT_TLS[@]}"
  # Handshake cost: 500 connections sending one report each, TLS vs plain.
  run plain-500-connections 0 1 500
  run tls-500-connections 0 1 500 "${SERVER_TLS[@]}" -- "${CLIENT_TLS[@]}"
  /usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
j = lambda name: json.load(open(f"{w}/{name}.json"))
c = lambda name: float(open(f"{w}/{name}.cpu").read())
plain, tls = j("plain-unthrottled"), j("tls-unthrottled")
print(f"TLS/plain throughput unthrottled: {tls['readingsPerSecond'] / max(plain['readingsPerSecond'], 1) * 100:.0f}% "
      f"(p99 {tls['latencyP99Ms']:.2f} vs {plain['latencyP99Ms']:.2f} ms); at half load p99 {j('tls-at-half-load')['latencyP99Ms']:.2f} vs {j('plain-at-half-load')['latencyP99Ms']:.2f} ms")
print(f"handshake: server CPU {(c('tls-500-connections') - c('plain-500-connections')) / 500 * 1000:.2f} ms per connection over plain, "
      f"client-side time p50 {j('tls-500-connections')['tlsHandshakeP50Ms']:.2f} ms")
PY
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
