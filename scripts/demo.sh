#!/usr/bin/env bash
# `make demo`: from a fresh Debian 12 machine to a working demo provider with live data.
# Installs what is missing, starts a Docker engine if none answers, builds tenantctl and
# the image, provisions provider "demo" with TLS on its gateway port, feeds it a simulated
# day of solar readings in a minute over TLS, and prints the admin URL and credentials.
# Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PROVIDER="${DEMO_PROVIDER:-demo}"
GATEWAYS="${DEMO_GATEWAYS:-12}"
SENSORS="${DEMO_SENSORS:-3}"
DURATION="${DEMO_SECONDS:-60}"
STATE_DIR=".demo"
CREDENTIALS="$STATE_DIR/$PROVIDER-admin.txt"
# The provider's gateway CA, as a gateway vendor gets it (`tenantctl gateway-ca`).
GATEWAY_CA="$STATE_DIR/$PROVIDER-gateway-ca.pem"
step=0
total=7
progress() { step=$((step + 1)); printf '\n[%d/%d] %s\n' "$step" "$total" "$*"; }
started=$(date +%s)

progress "system packages and Docker engine"
scripts/setup-host.sh

progress "building tenantctl and the servers (release; the first build takes several minutes)"
for product in tenantctl tenant-gateway-sim; do
  swift build -c release --product "$product" 2>&1 | awk '/error:/ || /complete!/ || NR % 25 == 1 { print "    " $0; fflush() }'
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build of $product failed" >&2; exit 1; }
done
BIN="$(swift build -c release --show-bin-path)"
TENANTCTL="$BIN/tenantctl"

progress "building the image (offline, on a debootstrapped Debian base)"
scripts/build-image.sh

progress "creating keyspace '$PROVIDER'"
"$TENANTCTL" create-keyspace "$PROVIDER"

progress "starting provider '$PROVIDER'"
mkdir -p "$STATE_DIR"
chmod 700 "$STATE_DIR"
# Gateways reach a provider over the internet: the demo's only accept TLS, with a certificate
# from the provider's own CA (made by tenantctl, kept in the provider's secrets).
out="$("$TENANTCTL" start-provider "$PROVIDER" --gateway-tls required --json)"
password="$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("admin_password") or "")')"
if [ -n "$password" ]; then
  # Shown once by tenantctl; kept (mode 600, git-ignored) so re-runs of the demo can show it again.
  (umask 077; printf 'admin\n%s\n' "$password" >"$CREDENTIALS")
fi
# start-provider returns once the gateway port answers the protocol and the admin /health is 200.
read -r gateway_port admin_port < <(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["gateway_port"], d["admin_port"])')
"$TENANTCTL" gateway-ca "$PROVIDER" >"$GATEWAY_CA"
echo "    ready: gateway port $gateway_port (TLS, CA in $GATEWAY_CA), admin port $admin_port"

progress "simulating the last 24 hours of $GATEWAYS gateways x $SENSORS sensors in ${DURATION}s, over TLS"
# One report per simulated minute: 1440 reports per gateway spread over DURATION seconds.
"$BIN/tenant-gateway-sim" --target "127.0.0.1:$gateway_port" --tls-ca-file "$GATEWAY_CA" --gateways "$GATEWAYS" --sensors "$SENSORS" \
  --prefix "$PROVIDER-gw-" --start "$(date -u -d '24 hours ago' +%Y-%m-%dT%H:%M:00Z)" \
  --interval 60 --reports 1440 --rate "$(( 1440 / DURATION + 1 ))" --duration "$DURATION" --json >"$STATE_DIR/simulation.json"
# The demo is only a demo if the readings were stored: every report sent must have been acked.
/usr/bin/python3 - "$STATE_DIR/simulation.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("    acked %d reports (%d readings stored) over %d TLS connections; unacknowledged %d"
      % (s["acks"], s["readingsStored"], s.get("tlsHandshakes", 0), s["unacknowledged"]))
if s["acks"] == 0 or s["unacknowledged"] or s.get("tlsHandshakes", 0) == 0:
    sys.exit("the simulated gateways' reports were not all stored over TLS: %s" % s)
PY

cat <<MSG

Demo provider '$PROVIDER' is up ($(( $(date +%s) - started )) s).
  Admin panel:   http://127.0.0.1:$admin_port/
  Sign in as:    admin
  Password:      $( [ -r "$CREDENTIALS" ] && sed -n 2p "$CREDENTIALS" || echo "(shown when the demo was first started)")
  Gateways send: 127.0.0.1:$gateway_port over TLS (the provider's CA: $GATEWAY_CA)
  More data:     $BIN/tenant-gateway-sim --target 127.0.0.1:$gateway_port --tls-ca-file $GATEWAY_CA --prefix $PROVIDER-gw- --gateways 5 --duration 30
  Status:        $TENANTCTL status $PROVIDER
  Stop it:       $TENANTCTL stop $PROVIDER      (data kept; start again with: $TENANTCTL start-provider $PROVIDER --gateway-tls required)
  Remove it:     $TENANTCTL remove $PROVIDER --purge-data --yes
MSG
