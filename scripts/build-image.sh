#!/usr/bin/env bash
# `make image`: builds the tenantctl image without any registry. Compiles the server
# binaries on this host (release, static Swift runtime, stripped), then `docker build`s
# image/Dockerfile.prebuilt on the debootstrapped base image.
#   IMAGE=tenantctl:0.1.0 scripts/build-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/TenantModel/Version.swift)"
IMAGE="${IMAGE:-tenantctl:$VERSION}"
BASE_IMAGE="${BASE_IMAGE:-tenantctl-base:bookworm}"
PRODUCTS=(tenant-ingest tenant-admin tenant-gateway-sim)
log() { printf '==> %s\n' "$*" >&2; }

scripts/build-base-image.sh
log "building ${PRODUCTS[*]} (release, static Swift runtime)"
args=()
for p in "${PRODUCTS[@]}"; do args+=(--product "$p"); done
swift build -c release --static-swift-stdlib "${args[@]}"
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)"

CONTEXT="$(mktemp -d /tmp/tenantctl-image.XXXXXX)"
trap 'rm -rf "$CONTEXT"' EXIT
mkdir -p "$CONTEXT/bin"
for p in "${PRODUCTS[@]}"; do
  cp "$BIN/$p" "$CONTEXT/bin/"
  strip "$CONTEXT/bin/$p"
done
cp image/healthcheck "$CONTEXT/bin/"
cp image/Dockerfile.prebuilt "$CONTEXT/Dockerfile"
log "docker build $IMAGE"
docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -t "$IMAGE" "$CONTEXT" >/dev/null
log "image $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
