# tenantctl: build, test, benchmark and demo entry points.
# `make demo` and `make test` each work from a fresh Debian 12 machine (as root).

SWIFT      ?= swift
BASE_IMAGE ?= tenantctl-base:bookworm
TEST_IMAGE ?= tenantctl-test-listener:latest

.PHONY: all setup base-image image demo build test unit screenshots bench bench-ingest clean fuzz

all: build

## Install system packages and start a Docker engine if none answers.
setup:
	@scripts/setup-host.sh

## The offline Debian base image that test and runtime images build on.
base-image: setup
	@BASE_IMAGE=$(BASE_IMAGE) scripts/build-base-image.sh

## The tenantctl image (servers + simulator), built offline on the base image.
image: base-image
	@scripts/build-image.sh

## The main job: a working demo provider with live data.
demo: setup
	@scripts/demo.sh

## Every benchmark; each area adds a bench-* target.
bench: $(filter bench-%,$(shell sed -n 's/^\(bench-[a-z0-9-]*\):.*/\1/p' Makefile))

build: setup
	$(SWIFT) build

## Every test: unit tests, the integration tests against the real engine and the
## end-to-end tests against the real image.
## The swarm suite and the second-engine suite run against a second dockerd of another Docker
## version (Debian 13's 26.1, API 1.45; the main engine is Debian 12's 20.10, API 1.41):
## scripts/swarm-engine.sh runs it in its own network namespace, stopped afterwards; its data
## root is kept, so the next run reuses the loaded images. The node-loss suite runs on a
## three-node swarm of the same version (scripts/swarm-cluster.sh), forgotten afterwards.
test: setup base-image test-fixtures image
	@second=$$(scripts/docker-second-engine.sh) && \
	  eval "$$(DOCKERD=$$second scripts/swarm-engine.sh up)" && eval "$$(DOCKERD=$$second scripts/swarm-cluster.sh up)" && \
	  export TENANTCTL_SWARM_HOST TENANTCTL_SWARM_NODE_ADDR TENANTCTL_SECOND_ENGINE_HOST TENANTCTL_SWARM_CLUSTER_HOST && \
	  TENANTCTL_INTEGRATION=1 $(SWIFT) test; status=$$?; scripts/swarm-cluster.sh down; scripts/swarm-engine.sh down; exit $$status
	scripts/fuzz-gateway-protocol.sh 60

## libFuzzer over the gateway framer + parser (FUZZ_SECONDS, default 1 hour); `make test`
## runs the same target for 60 s. Crashing inputs land in .build-fuzz/.
fuzz:
	scripts/fuzz-gateway-protocol.sh $${FUZZ_SECONDS:-3600}

## Refresh docs/screenshots/ from the headless-browser test.
screenshots:
	TENANTCTL_UPDATE_SCREENSHOTS=1 $(SWIFT) test --filter BrowserTests

## Unit tests only (no Docker needed). Installs what they use (Chromium, aiosmtpd, the
## Python Cassandra driver, sqlite3) first; the integration and end-to-end suites show as skipped.
unit:
	@scripts/setup-host.sh --packages-only
	$(SWIFT) test

## Admin panel latency (dashboard, month chart over a year of 1-minute data) and memory.
.PHONY: bench-admin
bench-admin:
	$(SWIFT) build -c release --product tenant-admin
	/usr/bin/python3 scripts/bench-admin.py .build/release/tenant-admin

## Ingest throughput, ack latency and memory (release build, loopback, both durabilities).
bench-ingest:
	$(SWIFT) build -c release --product tenant-ingest
	$(SWIFT) build -c release --product tenant-gateway-sim
	scripts/bench-ingest.sh

## Ingest p99 with and without the SQLite retention purge running (release build).
.PHONY: bench-retention
bench-retention:
	$(SWIFT) build -c release --product tenant-ingest
	$(SWIFT) build -c release --product tenant-gateway-sim
	scripts/bench-retention.sh

## Idle cost per provider: N providers (default 40; N=100 make bench-density) on the real image,
## whole-machine and attributed CPU running vs stopped, host memory per provider.
.PHONY: bench-density
bench-density:
	$(SWIFT) build -c release --product tenantctl
	scripts/bench-density.py .build/release/tenantctl --providers $${N:-40}

clean:
	rm -rf .build

.PHONY: test-cassandra test-cassandra-integration bench-cql

## Cassandra store: unit tests (no server needed).
test-cassandra:
	$(SWIFT) test --filter 'CQL|TenantCassandra'

## Cassandra store against a real cluster: TENANT_CASSANDRA_CONTACT_POINTS=host:9042[,...]
## (plus TENANT_CASSANDRA_USERNAME/_PASSWORD/_REPLICATION as needed); see docs/cassandra.md.
test-cassandra-integration:
	@test -n "$$TENANT_CASSANDRA_CONTACT_POINTS" || { echo "set TENANT_CASSANDRA_CONTACT_POINTS=host:9042[,...]" >&2; exit 2; }
	$(SWIFT) test --filter 'CassandraIntegrationTests|AdminStoreClusterConformanceTests'

## CQL codec encode/decode throughput (release build).
bench-cql:
	$(SWIFT) run -c release cql-bench

# --- Provisioning (tenantctl) ---
.PHONY: test-fixtures docs bench-provision

## Integration-test fixture image: accepts TCP on TENANT_LISTEN, nothing else (not the real servers).
test-fixtures: base-image
	docker build -q --build-arg BASE_IMAGE=$(BASE_IMAGE) -t $(TEST_IMAGE) Tests/Fixtures/listener

## Regenerate docs/command-reference.md from tenantctl --help.
docs:
	$(SWIFT) build --product tenantctl
	scripts/gen-command-reference.sh .build/debug/tenantctl > docs/command-reference.md

## Provisioning benchmark (release build): new provider vs bare curl, already running, list of 100.
bench-provision: test-fixtures
	$(SWIFT) build -c release --product tenantctl
	TENANTCTL_TEST_IMAGE=$(TEST_IMAGE) scripts/bench-provision.sh .build/release/tenantctl

## Fleet benchmark (release build): apply -f of N=100 new providers until ready, a re-run
## with nothing to do, prune. IMAGE= defaults to tenantctl:0.1.0 if present, else the fixture.
.PHONY: bench-fleet
bench-fleet: test-fixtures
	$(SWIFT) build -c release --product tenantctl
	scripts/bench-fleet.sh .build/release/tenantctl

# --- Swarm ---
.PHONY: test-swarm swarm-up swarm-down swarm-cluster-up swarm-cluster-down

## A single-node swarm for the swarm tests, isolated from the main engine (prints TENANTCTL_SWARM_HOST).
swarm-up:
	@scripts/swarm-engine.sh up

swarm-down:
	@scripts/swarm-engine.sh down

## Three nodes (a drained manager, two workers) for the node-loss tests (prints TENANTCTL_SWARM_CLUSTER_HOST).
swarm-cluster-up:
	@scripts/swarm-cluster.sh up

swarm-cluster-down:
	@scripts/swarm-cluster.sh down

## The swarm suite and the plan's unit tests against that swarm (left running for the next run;
## the host's dockerd unless DOCKERD=/path/to/dockerd: scripts/docker-second-engine.sh prints one).
test-swarm: test-fixtures
	@eval "$$(scripts/swarm-engine.sh up)" && export TENANTCTL_SWARM_HOST TENANTCTL_SWARM_NODE_ADDR && \
	  TENANTCTL_INTEGRATION=1 $(SWIFT) test --filter 'SwarmIntegrationTests|SwarmPlanTests|SwarmDetectionTests'
