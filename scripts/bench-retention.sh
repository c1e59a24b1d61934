#!/usr/bin/env bash
# Retention purge vs ingest latency (SQLite): the same ingest load twice on a copy of one store
# holding OLD_ROWS readings older than the retention: once without retention, once with
# `retention_days` set so that the purge (500-row transactions, gateway by gateway) runs for
# the whole measurement. Prints readings/s, p50/p99 ack latency, rows purged while measuring,
# and the machine's load average. Release build; load generator on the same machine.
# Usage: scripts/bench-retention.sh   (env: RATE=0 DURATION=20 GATEWAYS=100 SENSORS=10 OLD_ROWS=3000000 BIN=.build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
DURATION=${DURATION:-20}
GATEWAYS=${GATEWAYS:-100}
SENSORS=${SENSORS:-10}
OLD_ROWS=${OLD_ROWS:-3000000}
WINDOW=${WINDOW:-8}
RATE=${RATE:-0}
WORK=$(mktemp -d /tmp/bench-retention.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The store: schema from tenant-ingest itself, then old readings of the simulator's gateways
# (a year ago, one per sensor per minute), written directly.
"$BIN/tenant-ingest" --migrate-only --store "sqlite:$WORK/base.db" --log-level warning
/usr/bin/python3 - "$WORK/base.db" "$OLD_ROWS" "$GATEWAYS" "$SENSORS" <<'PY'
import sqlite3, sys, time
path, rows, gateways, sensors = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path)
start = int((time.time() - 365 * 86400) * 1000)
per_gateway = rows // gateways
def gen():
    for g in range(gateways):
        gid = "gw-%05d" % g
        for i in range(per_gateway):
            yield (gid, start + (i // sensors) * 60000, "inv-%d" % (i % sensors), 1000.0)
db.executemany("INSERT INTO readings (gateway, at, sensor, power) VALUES (?, ?, ?, ?)", gen())
db.executemany("INSERT OR IGNORE INTO gateways (id, first_seen, last_seen) VALUES (?, ?, ?)", [("gw-%05d" % g, start, start) for g in range(gateways)])
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"store: {per_gateway * gateways:,} old readings, {db.execute('PRAGMA page_count').fetchone()[0] * 4096 / 2**20:.0f} MiB", flush=True)
PY

old_rows() { /usr/bin/python3 -c "import sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]); print(db.execute('SELECT count(*) FROM readings WHERE gateway >= \"gw-\" AND at < ?', (int((time.time()-300*86400)*1000),)).fetchone()[0])" "$1"; }

BEFORE=$(old_rows "$WORK/base.db")
echo "machine: $(nproc) cores; load: $GATEWAYS gateways x $SENSORS sensors, window $WINDOW, rate $RATE reports/s per gateway (0: unthrottled), ${DURATION}s; binaries: $BIN"
for mode in off purge; do
  cp "$WORK/base.db" "$WORK/run.db"
  rm -f "$WORK"/run.db-wal "$WORK"/run.db-shm
  if [ "$mode" = purge ]; then
    /usr/bin/python3 -c "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute(\"INSERT INTO settings (key, value) VALUES ('retention_days', '30')\"); db.commit()" "$WORK/run.db"
  fi
  PORT=$(free_port)
  TENANT_RETENTION_FIRST_PASS_SECONDS=1 "$BIN/tenant-ingest" --provider bench --store "sqlite:$WORK/run.db" --listen "127.0.0.1:$PORT" \
    --log-level info 2>"$WORK/server-$mode.log" &
  SERVER=$!
  for _ in $(seq 100); do "$BIN/tenant-ingest" --health-check --listen "127.0.0.1:$PORT" && break; sleep 0.1; done
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  "$BIN/tenant-gateway-sim" --target "127.0.0.1:$PORT" --gateways "$GATEWAYS" --sensors "$SENSORS" --rate "$RATE" --window "$WINDOW" \
    --duration "$DURATION" --start "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --json > "$WORK/sim-$mode.json"
  AFTER=$(old_rows "$WORK/run.db")
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  kill -TERM "$SERVER"; wait "$SERVER" || true
  /usr/bin/python3 - "$WORK/sim-$mode.json" "$mode" "$BEFORE" "$AFTER" "$LOAD_BEFORE" "$LOAD_AFTER" "$DURATION" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
purged = int(sys.argv[3]) - int(sys.argv[4])
print(f"retention={sys.argv[2]:5} readings/s={r['readingsPerSecond']:,.0f} p50={r['latencyP50Ms']:.2f}ms p99={r['latencyP99Ms']:.2f}ms "
      f"acks={r['acks']} errors={r['errors']} unacked={r['unacknowledged']} purged_while_measuring={purged:,} "
      f"({purged / float(sys.argv[7]):,.0f} rows/s) load_before={sys.argv[5]} load_after={sys.argv[6]}")
PY
done
grep -h "retention purge" "$WORK"/server-purge.log | tail -1 || true
