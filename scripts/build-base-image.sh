#!/usr/bin/env bash
# Builds the base image `tenantctl-base:bookworm` without any registry: debootstrap a
# minimal Debian 12 root from the machine's own apt mirror, add the few runtime
# libraries the binaries link (libcurl, libsqlite3), and `docker import` it.
# Skips the work when the image exists already (pass --force to rebuild).
set -euo pipefail
IMAGE="${BASE_IMAGE:-tenantctl-base:bookworm}"
log() { printf '==> %s\n' "$*" >&2; }

if [ "${1:-}" != "--force" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "base image $IMAGE present"
  exit 0
fi

# The mirror this machine installs from (deb822 sources or the classic list).
MIRROR="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)"
[ -n "$MIRROR" ] || MIRROR="$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)"
[ -n "$MIRROR" ] || MIRROR="http://deb.debian.org/debian"

ROOT="$(mktemp -d /tmp/tenantctl-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
log "debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase --include=libcurl4,libsqlite3-0,ca-certificates,tzdata \
  bookworm "$ROOT" "$MIRROR" >/tmp/tenantctl-debootstrap.log 2>&1 \
  || { tail -20 /tmp/tenantctl-debootstrap.log >&2; exit 1; }
# Trim what a runtime image never uses.
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* \
       "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/*
log "importing $IMAGE"
tar -C "$ROOT" -c . | docker import --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
log "base image $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
