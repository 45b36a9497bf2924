# syntax=docker/dockerfile:1
#
# One image with every Chatalot binary: the all-in-one `chatalot` (the default command) and
# `gateway`, `auth-svc`, `community-svc`, `message-svc`, `keys-svc`, `signal-svc`.
#
#   docker build -t chatalot .                      (BuildKit: Docker 23+ or `docker buildx build`)
#   docker run --rm chatalot chatalot --help
#
# Nothing is fetched at run time: the SQL migrations are compiled into the binaries
# (`sqlx::migrate!`) and every query is a runtime SQL string, so the build needs no database and
# no sqlx offline data (`.sqlx/`). Configuration is the usual CHATALOT_<SECTION>__<KEY>
# environment; the entrypoint also reads CHATALOT_<SECTION>__<KEY>__FILE=/path (secrets mounted
# as files, see deploy/docker/entrypoint.sh). Deployment guides: deploy/README.md, k8s/README.md.
#
# Stages: `build` (Rust, release), `wasm` (the crypto crate for the browser), `web` (the web
# client), `runtime` (Debian slim, non-root). scripts/check-deploy.sh lints this file (hadolint)
# and checks that its binaries, Rust version and COPY sources match the repository.

# Must equal the channel in rust-toolchain.toml (scripts/check-deploy.sh checks it).
ARG RUST_VERSION=1.95.0
# The builder and the runtime share a Debian release, so the glibc the binaries link against is
# the one they run with.
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------------------- build
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
ARG RUST_VERSION
# The binaries the image ships: each a [[bin]] of the workspace (checked by check-deploy.sh).
ARG BINARIES="chatalot gateway auth-svc community-svc message-svc keys-svc signal-svc"
# The image's toolchain, not the components rust-toolchain.toml lists for developers (rustfmt,
# clippy), which rustup would otherwise try to download.
ENV RUSTUP_TOOLCHAIN=${RUST_VERSION} \
    CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0
WORKDIR /src
# The whole workspace: cargo needs every member's manifest (see .dockerignore for what is left
# out). Cargo.lock is used as is (--locked).
COPY . .
# The registry and target/ live in BuildKit cache mounts, so a rebuild after a source change
# recompiles only what changed; the binaries are copied out of the cache into /out/bin.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eu; \
    set --; \
    for bin in $BINARIES; do set -- "$@" --bin "$bin"; done; \
    cargo build --release --locked "$@"; \
    mkdir -p /out/bin; \
    for bin in $BINARIES; do install -m 0755 "target/release/$bin" /out/bin/; done

# ----------------------------------------------------------------------------------------- wasm
# The crypto crate compiled to WebAssembly for the web client (end-to-end encryption runs in the
# browser): web/scripts/build-wasm.sh adds the wasm32 target, installs wasm-bindgen-cli at the
# version in Cargo.lock, and writes the JavaScript package to web/src/lib/e2e/pkg.
FROM build AS wasm
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    bash web/scripts/build-wasm.sh \
    && mkdir -p /out \
    && cp -r web/src/lib/e2e/pkg /out/pkg

# ------------------------------------------------------------------------------------------ web
# The web client: a static SvelteKit build the gateways serve from gateway.web_root, which the
# runtime stage points at /usr/share/chatalot/web.
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
COPY --from=wasm /out/pkg/ src/lib/e2e/pkg/
RUN npx vite build && mv build /out

# -------------------------------------------------------------------------------------- runtime
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to S3-compatible attachment stores. The chatalot user (uid/gid 10001) is
# fixed so that secret files and volumes can be owned by it (deploy/generate-secrets.sh, k8s
# fsGroup).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 chatalot \
    && useradd --system --no-log-init --uid 10001 --gid chatalot \
        --home-dir /var/lib/chatalot --shell /usr/sbin/nologin chatalot \
    && install -d -o chatalot -g chatalot -m 0750 /var/lib/chatalot /var/lib/chatalot/attachments
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=web /out/ /usr/share/chatalot/web/
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/chatalot-entrypoint
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/chatalot-healthcheck

# Container defaults (each can be overridden like any setting):
# - the admin port listens on every interface so that probes and Prometheus reach it; it is
#   never published by the compose files, and NetworkPolicies restrict it in Kubernetes;
# - JSON logs, one object per line, for log collectors;
# - attachments in /var/lib/chatalot/attachments (a volume in the compose file; S3 in Kubernetes).
ENV CHATALOT_GATEWAY__LISTEN=0.0.0.0:8080 \
    CHATALOT_ADMIN__LISTEN=0.0.0.0:9090 \
    CHATALOT_TELEMETRY__LOG_FORMAT=json \
    CHATALOT_ATTACHMENTS__STORE=/var/lib/chatalot/attachments \
    CHATALOT_GATEWAY__WEB_ROOT=/usr/share/chatalot/web

LABEL org.opencontainers.image.title="Chatalot" \
      org.opencontainers.image.description="Self-hosted chat: every Chatalot service in one image" \
      org.opencontainers.image.licenses="GPL-3.0-or-later"

USER 10001:10001
WORKDIR /var/lib/chatalot
# 8080: public HTTP and WebSocket (gateway, all-in-one). 9090: admin (/metrics, /healthz, /readyz).
EXPOSE 8080 9090
# /readyz on the admin port (whatever CHATALOT_ADMIN__LISTEN says). The start period covers the
# migrations a first start or an upgrade runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["chatalot-healthcheck"]
ENTRYPOINT ["chatalot-entrypoint"]
CMD ["chatalot"]
