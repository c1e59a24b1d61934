#!/usr/bin/env bash
# Cron job: finds every provider that is half up and repairs it.
#   */5 * * * * /opt/tenantctl/examples/check-providers.cron.sh >>/var/log/tenantctl-check.log 2>&1
# `tenantctl start-provider` is idempotent and self-repairing, so re-running it on a
# provider that is `partial` (a container missing or stopped) brings back what is missing
# and leaves the rest alone. A provider whose containers are all `stopped` was stopped on
# purpose (`tenantctl stop`; the engine's unless-stopped policy restarts crashed ones), so it
# is left alone unless REPAIR_STOPPED=1.
set -uo pipefail
TENANTCTL="${TENANTCTL:-tenantctl}"
REPAIR_STOPPED="${REPAIR_STOPPED:-0}"

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
  [ "$state" = "stopped" ] && [ "$REPAIR_STOPPED" != "1" ] && continue
  echo "$(date -Is) $provider is $state: repairing"
  "$TENANTCTL" start-provider "$provider" || { echo "$(date -Is) $provider: repair failed" >&2; status=1; }
done <<<"$pairs"
exit $status
