#!/usr/bin/env bash
# Cron job: converges this host to its fleet file (examples/fleet.yaml).
#   */5 * * * * FLEET=/etc/tenantctl/fleet.yaml /opt/tenantctl/examples/check-providers.cron.sh >>/var/log/tenantctl-check.log 2>&1
# `tenantctl apply -f` is idempotent: providers running as the file says are not touched
# (one engine call for the whole fleet), a provider that is half up (a container missing or
# stopped) is repaired, changed settings recreate only the containers they affect, and a
# provider newly listed is created. One failing provider does not stop the others; the exit
# status is 1 if any failed. PRUNE=1 also removes the fleet's providers that are no longer
# listed (their data is kept).
#
# A provider that apply creates gets a one-time admin password; this job keeps it out of the
# log (create new providers by hand with `tenantctl apply -f` to see it).
set -uo pipefail
TENANTCTL="${TENANTCTL:-tenantctl}"
FLEET="${FLEET:-$(dirname "$0")/fleet.yaml}"
PRUNE="${PRUNE:-0}"

args=(apply -f "$FLEET" --json)
[ "$PRUNE" = "1" ] && args+=(--prune)
json="$("$TENANTCTL" "${args[@]}")"
status=$?
# Exit 64: the file has problems (printed on stderr, one line each); nothing was changed.
[ -z "$json" ] && { echo "$(date -Is) tenantctl apply -f $FLEET failed (exit $status)" >&2; exit "$status"; }
# One line a provider that changed or failed, passwords left out (python3 ships with Debian).
printf '%s' "$json" | /usr/bin/python3 -c '
import datetime, json, sys
stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
for r in json.load(sys.stdin):
    if r["ok"] and r["action"] == "unchanged":
        continue
    line = " ".join([stamp, r["provider"] + ":", r["action"], "ok" if r["ok"] else "FAILED: " + r.get("error", "")])
    if r.get("admin_password"):
        line += " (new admin password withheld from this log)"
    print(line, file=sys.stdout if r["ok"] else sys.stderr)
' || { echo "$(date -Is) cannot parse tenantctl apply --json" >&2; exit 1; }
exit $status
