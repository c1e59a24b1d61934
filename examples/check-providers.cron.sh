#!/usr/bin/env bash
# Cron job: finds every provider that is not fully running and repairs it.
#   */5 * * * * /opt/tenantctl/examples/check-providers.cron.sh >>/var/log/tenantctl-check.log 2>&1
# `tenantctl start-provider` is idempotent and self-repairing, so re-running it on a
# provider that is half up brings back what is missing and leaves the rest alone.
# Providers an operator stopped on purpose are listed in /etc/tenantctl/stopped (one id a line).
set -uo pipefail
TENANTCTL="${TENANTCTL:-tenantctl}"
STOPPED_LIST="${STOPPED_LIST:-/etc/tenantctl/stopped}"

json="$("$TENANTCTL" list --json)" || { echo "$(date -Is) tenantctl list failed" >&2; exit 1; }
# One "provider state" pair a line (python3 ships with Debian; no jq needed).
pairs="$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["provider"], p["state"])
')" || { echo "$(date -Is) cannot parse tenantctl list --json" >&2; exit 1; }

status=0
while read -r provider state; do
  [ -z "$provider" ] && continue
  [ "$state" = "running" ] && continue
  if [ -f "$STOPPED_LIST" ] && grep -qx "$provider" "$STOPPED_LIST"; then continue; fi
  echo "$(date -Is) $provider is $state: repairing"
  "$TENANTCTL" start-provider "$provider" || { echo "$(date -Is) $provider: repair failed" >&2; status=1; }
done <<<"$pairs"
exit $status
