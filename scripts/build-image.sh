#!/usr/bin/env bash
# `make image`: builds the tenantctl image without any registry. Compiles the server
# binaries on this host (release, stripped) and collects the Swift runtime libraries
# they link (once for all three binaries, which is ~100 MB smaller than three static
# copies), then `docker build`s image/Dockerfile.prebuilt on the debootstrapped base.
#   IMAGE=tenantctl:0.1.0 scripts/build-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/TenantModel/Version.swift)"
IMAGE="${IMAGE:-tenantctl:$VERSION}"
BASE_IMAGE="${BASE_IMAGE:-tenantctl-base:bookworm}"
PRODUCTS=(tenant-ingest tenant-admin tenant-gateway-sim)
log() { printf '==> %s\n' "$*" >&2; }

scripts/build-base-image.sh
log "building ${PRODUCTS[*]} (release)"
# One product per call: given several --product flags, swift build builds only the last.
for p in "${PRODUCTS[@]}"; do swift build -c release --product "$p"; done
BIN="$(swift build -c release --show-bin-path)"

CONTEXT="$(mktemp -d /tmp/tenantctl-image.XXXXXX)"
trap 'rm -rf "$CONTEXT"' EXIT
mkdir -p "$CONTEXT/bin" "$CONTEXT/lib"
for p in "${PRODUCTS[@]}"; do
  cp "$BIN/$p" "$CONTEXT/bin/"
  strip "$CONTEXT/bin/$p"
  # The Swift runtime libraries this binary links (the base image has the system ones).
  ldd "$BIN/$p" | awk '/=> \// {print $3}' | grep -E '/swift/|/usr/lib/swift' | xargs -r -I{} cp -n {} "$CONTEXT/lib/"
done
strip --strip-unneeded "$CONTEXT"/lib/*.so* 2>/dev/null || true
cp image/healthcheck "$CONTEXT/bin/"
cp image/Dockerfile.prebuilt "$CONTEXT/Dockerfile"
log "docker build $IMAGE"
docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -t "$IMAGE" "$CONTEXT" >/dev/null
log "image $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
