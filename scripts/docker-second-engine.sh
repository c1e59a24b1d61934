#!/usr/bin/env bash
# A second Docker engine version for the tests: Debian 13's docker.io (26.1, Engine API 1.45)
# unpacked beside the host's own (Debian 12: 20.10, API 1.41), never installed over it.
# Prints the path of its dockerd; scripts/swarm-engine.sh runs it (DOCKERD=...) in its own
# network namespace, with the host's containerd and runc. Idempotent: a second run only prints.
set -euo pipefail
VERSION="${SECOND_DOCKER_VERSION:-26.1.5+dfsg1-9+deb13u1+b1}"
ROOT="/opt/tenantctl-docker-${VERSION%%+*}"
DOCKERD="$ROOT/usr/sbin/dockerd"
log() { printf '==> second engine: %s\n' "$*" >&2; }

if [ ! -x "$DOCKERD" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" >"$work/sources.list"
  # A source list for Debian 13 on the command line only: the host's apt state is untouched.
  apt_options=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives" -o APT::Sandbox::User=root)
  log "downloading Debian 13's docker.io $VERSION"
  apt-get -qq "${apt_options[@]}" update
  (cd "$work" && apt-get -qq "${apt_options[@]}" download "docker.io=$VERSION")
  mkdir -p "$ROOT.partial"
  dpkg-deb -x "$work"/docker.io_*.deb "$ROOT.partial"
  rm -rf "$ROOT"
  mv "$ROOT.partial" "$ROOT"
  log "$("$DOCKERD" --version)"
fi
echo "$DOCKERD"
