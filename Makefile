# tenantctl: build, test, benchmark and demo entry points.
# `make demo` and `make test` each work from a fresh Debian 12 machine (as root).

SWIFT      ?= swift
BASE_IMAGE ?= tenantctl-base:bookworm

.PHONY: all setup base-image build test unit bench bench-ingest clean

all: build

## Install system packages and start a Docker engine if none answers.
setup:
	@scripts/setup-host.sh

## The offline Debian base image that test and runtime images build on.
base-image: setup
	@BASE_IMAGE=$(BASE_IMAGE) scripts/build-base-image.sh

build: setup
	$(SWIFT) build

## Every test: unit tests and the integration tests against the real engine.
test: setup base-image
	TENANTCTL_INTEGRATION=1 $(SWIFT) test

## Unit tests only (no Docker needed).
unit:
	$(SWIFT) test

## Ingest throughput, ack latency and memory (release build, loopback, both durabilities).
bench-ingest:
	$(SWIFT) build -c release --product tenant-ingest
	$(SWIFT) build -c release --product tenant-gateway-sim
	scripts/bench-ingest.sh

clean:
	rm -rf .build
