# syntax=docker/dockerfile:1
# tech-health: the service image. Build from the repository root:
#   docker build -t tech-health:0.1.0 .
# See docs/deploy.md for running it (one Postgres, several replicas).

ARG RUST_VERSION=1.95

# --- build: the release binary --------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-trixie AS build
WORKDIR /src
# Only what `cargo build` reads. The [[bench]] targets of Cargo.toml must exist for cargo to
# parse the manifest, and include_dir! compiles checks/, golden-tech/ and examples/ into the binary.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
COPY checks ./checks
COPY golden-tech ./golden-tech
COPY examples ./examples
# The registry and target folders are BuildKit caches, so a rebuild after a source change
# recompiles only tech-health; the binary is copied out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tech-health \
    && install -D -m 0755 target/release/tech-health /out/usr/local/bin/tech-health \
    && mkdir -p /out/etc/tech-health/standards /out/var/lib/tech-health \
    && cp -r checks golden-tech /out/etc/tech-health/standards/

# --- runtime: glibc, libgcc and CA certificates, no shell, no package manager ----------------
FROM gcr.io/distroless/cc-debian13:nonroot
LABEL org.opencontainers.image.title="tech-health" \
      org.opencontainers.image.description="Scores Backstage catalog components against Golden Tech standards" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/usr/local/bin/tech-health /usr/local/bin/tech-health
# The bundled standards, readable: the same files the binary carries. To change them, mount a
# folder holding checks/ and golden-tech/ and point TECH_HEALTH_CONFIG_DIR at it.
COPY --from=build /out/etc/tech-health/standards /etc/tech-health/standards
# The SQLite folder of a single-replica run without DATABASE_URL (mount a volume there).
COPY --from=build --chown=65532:65532 /out/var/lib/tech-health /var/lib/tech-health
ENV TECH_HEALTH_BIND=0.0.0.0:7070 \
    TECH_HEALTH_DATA_DIR=/var/lib/tech-health \
    TECH_HEALTH_LOG_FORMAT=json
# distroless' "nonroot", by number so runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 7070
# In-flight requests finish before the process exits (bounded by limits.requestTimeoutSecs).
STOPSIGNAL SIGTERM
# No HEALTHCHECK: the image has no shell or HTTP client; orchestrators probe /healthz and /readyz.
ENTRYPOINT ["tech-health"]
CMD ["serve"]
