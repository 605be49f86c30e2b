# syntax=docker/dockerfile:1
#
# anchorage controller image.
#
#   docker build -t anchorage:0.1.0 .
#   docker run --rm anchorage:0.1.0 --help
#
# Builder and runtime are both Debian 12 (bookworm): the binary links glibc and OpenSSL 3
# (libssl3) dynamically, so the runtime must not be older than the builder. The plain
# `rust:1.95` tag is Debian 13 (trixie) and its binaries do not run on bookworm; keep the two
# FROM lines on the same Debian release when changing either.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifests and sources of every workspace member (cargo loads all members' manifests, the
# e2e crate included, even when building one package). .dockerignore keeps target/ and the
# e2e Go build tree out of the context.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY e2e ./e2e
# The cache mounts keep the crates.io registry and target/ between builds (BuildKit); the
# binary is copied out of the cached target/ because cache mounts are not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --package anchorage --bin anchorage \
    && install -D -m 0755 target/release/anchorage /out/anchorage

FROM debian:bookworm-slim
# libssl3: the OpenSSL the binary links; ca-certificates: for any HTTPS besides the in-cluster
# API server (whose CA comes from the ServiceAccount mount).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 nonroot \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin nonroot
COPY --from=builder /out/anchorage /usr/local/bin/anchorage
LABEL org.opencontainers.image.title="anchorage" \
      org.opencontainers.image.description="cert-manager compatible private-CA controller for Linkerd certificates" \
      org.opencontainers.image.licenses="Apache-2.0"
# Numeric so Kubernetes can verify runAsNonRoot without resolving a user name.
USER 65532:65532
# 9402: /metrics; 9403: /livez and /readyz.
EXPOSE 9402 9403
ENTRYPOINT ["/usr/local/bin/anchorage"]
CMD ["controller"]
