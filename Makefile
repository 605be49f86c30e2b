# Thin wrappers; CI runs `make test` (see .ci/run and README.md).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test unit e2e lint chart fmt bench crds down build cluster-up doc

## run: the product's main job on a local control plane (see README).
run:
	@scripts/run.sh

## test: everything CI checks: formatting, clippy, docs, unit tests, chart checks, e2e tests.
test: lint unit chart e2e

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS=-Dwarnings $(CARGO) doc --workspace --no-deps --quiet

unit:
	$(CARGO) test --workspace --exclude anchorage-e2e

## e2e: starts the local control plane (target/e2e) and runs the end-to-end tests against it.
e2e: build
	e2e/local-cluster up
	$(CARGO) test -p anchorage-e2e -- --test-threads=3

## chart: helm lint/template checks (builds helm v3.22.0 into ~/.cache on first use).
chart:
	charts/anchorage/tests/render.sh

build:
	$(CARGO) build --bin anchorage

fmt:
	$(CARGO) fmt --all

## bench: CSR signing vs `openssl speed`, then the scale/memory run on the local control plane.
bench:
	$(CARGO) bench -p anchorage-pki
	$(CARGO) build --release --bin anchorage
	e2e/local-cluster up
	ANCHORAGE_BIN=$(CURDIR)/target/release/anchorage $(CARGO) bench -p anchorage-e2e --bench scale

crds: build
	target/debug/anchorage crds --out-dir config/crd
	cp config/crd/*.yaml charts/anchorage/crds/

cluster-up:
	e2e/local-cluster up

## down: stops the control planes started by `make run` and `make e2e`.
down:
	-ANCHORAGE_E2E_DIR=$(CURDIR)/target/run/cluster e2e/local-cluster down
	-e2e/local-cluster down
