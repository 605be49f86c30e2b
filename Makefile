# Thin wrappers; CI runs `make test` (see .ci/run and README.md).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test unit e2e lint fmt bench crds chart down build cluster-up

## run: the product's main job on a local control plane (see README).
run:
	@scripts/run.sh

## test: everything CI checks: formatting, clippy, unit tests, end-to-end tests.
test: lint unit e2e

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace --exclude anchorage-e2e

e2e: build
	e2e/local-cluster up
	$(CARGO) test -p anchorage-e2e -- --test-threads=2

build:
	$(CARGO) build --bin anchorage

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench -p anchorage-pki

crds: build
	target/debug/anchorage crds --out-dir config/crd
	cp config/crd/*.yaml charts/anchorage/crds/

cluster-up:
	e2e/local-cluster up

down:
	-e2e/local-cluster down
