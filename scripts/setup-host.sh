#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine for building, testing and running tenantctl:
# installs the system packages the build and the tests need, and starts a Docker
# engine if none answers. Idempotent: re-running it changes nothing that is in place.
# With --packages-only it installs the packages and leaves the engine alone (`make unit`).
set -euo pipefail
packages_only=false
if [ "${1:-}" = "--packages-only" ]; then packages_only=true; fi

log() { printf '==> %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: build (libcurl, sqlite, libcrypt headers), engine (docker.io),
# offline base image (debootstrap), browser and SMTP peers for the admin tests, and a real
# Prometheus (with promtool) that scrapes both servers in PrometheusScrapeTests. Installing it
# starts no daemon here (no systemd); the test runs its own on loopback.
PACKAGES=(make git pkg-config libcurl4-openssl-dev libsqlite3-dev libcrypt-dev tzdata docker.io debootstrap
          ca-certificates curl sqlite3 iproute2 procps chromium python3-aiosmtpd python3-cassandra prometheus)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $packages_only; then exit 0; fi

engine_answers() { curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }

if ! engine_answers; then
  log "starting dockerd"
  driver_args=()
  if [ -f /var/lib/tenantctl-dockerd-driver ]; then driver_args=(--storage-driver="$(cat /var/lib/tenantctl-dockerd-driver)"); fi
  $SUDO sh -c "nohup dockerd ${driver_args[*]} >/var/log/dockerd.log 2>&1 &"
  for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  if ! engine_answers && [ ${#driver_args[@]} -eq 0 ]; then
    # overlay2 works on most hosts; where it cannot mount, vfs always can.
    log "dockerd did not come up with overlay2; retrying with --storage-driver=vfs"
    $SUDO pkill dockerd || true
    sleep 1
    echo vfs | $SUDO tee /var/lib/tenantctl-dockerd-driver >/dev/null
    $SUDO sh -c "nohup dockerd --storage-driver=vfs >/var/log/dockerd.log 2>&1 &"
    for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  fi
  engine_answers || { log "the Docker engine did not start; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi
log "docker engine answers: $(curl -s --unix-socket /var/run/docker.sock http://localhost/version | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/API \1/p')"
