#!/usr/bin/env bash
# Onboarding runbook: provisions one solar provider from a settings file.
#   examples/onboard-provider.sh examples/acme.provider
# Creates the provider's keyspace, starts its stack, and prints where its admin panel
# is and the one-time admin password. Safe to re-run: every step is idempotent.
set -euo pipefail
TENANTCTL="${TENANTCTL:-tenantctl}"
file="${1:?usage: $0 SETTINGS_FILE}"
[ -r "$file" ] || { echo "cannot read settings file $file" >&2; exit 2; }

# Read KEY=VALUE lines without executing the file.
declare -A cfg=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  line="${line%%#*}"; line="${line#"${line%%[![:space:]]*}"}"; line="${line%"${line##*[![:space:]]}"}"
  [ -z "$line" ] && continue
  if [[ "$line" =~ ^([A-Z_]+)=([A-Za-z0-9_.:,/-]*)$ ]]; then
    cfg["${BASH_REMATCH[1]}"]="${BASH_REMATCH[2]}"
  else
    echo "$file:$lineno: expected KEY=VALUE, got: $line" >&2; exit 2
  fi
done <"$file"

provider="${cfg[PROVIDER]:-}"
[ -n "$provider" ] || { echo "$file: PROVIDER is required" >&2; exit 2; }
store="${cfg[STORE]:-sqlite}"

args=(--store "$store")
[ -n "${cfg[GATEWAY_PORT]:-}" ] && args+=(--gateway-port "${cfg[GATEWAY_PORT]}")
[ -n "${cfg[ADMIN_PORT]:-}" ] && args+=(--admin-port "${cfg[ADMIN_PORT]}")
[ -n "${cfg[MEMORY]:-}" ] && args+=(--memory "${cfg[MEMORY]}")
[ -n "${cfg[CPUS]:-}" ] && args+=(--cpus "${cfg[CPUS]}")
[ -n "${cfg[CASSANDRA]:-}" ] && args+=(--cassandra "${cfg[CASSANDRA]}")
keyspace_args=(--store "$store")
[ -n "${cfg[CASSANDRA]:-}" ] && keyspace_args+=(--cassandra "${cfg[CASSANDRA]}")

echo "==> creating keyspace for $provider"
"$TENANTCTL" create-keyspace "$provider" "${keyspace_args[@]}"
echo "==> starting $provider"
"$TENANTCTL" start-provider "$provider" "${args[@]}"
echo "==> $provider status"
"$TENANTCTL" status "$provider"
