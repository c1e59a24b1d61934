# The tenantctl image: tenant-ingest, tenant-admin and the gateway simulator.
#
# For hosts with a registry:      docker build -t tenantctl:0.1.0 .
# Offline (no registry, as here): make image   (see image/Dockerfile.prebuilt)
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        libcurl4-openssl-dev libsqlite3-dev libcrypt-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN for p in tenant-ingest tenant-admin tenant-gateway-sim; do swift build -c release --product $p || exit 1; done \
    && mkdir -p /out/bin /out/lib \
    && for p in tenant-ingest tenant-admin tenant-gateway-sim; do \
         bin="$(swift build -c release --show-bin-path)/$p"; cp "$bin" /out/bin/ && strip /out/bin/$p; \
         ldd "$bin" | awk '/=> \// {print $3}' | grep /swift/ | xargs -r -I{} cp -n {} /out/lib/; done

FROM ${RUNTIME_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 libsqlite3-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/lib/ /usr/lib/swift/linux/
COPY --from=build /out/bin/ /usr/local/bin/
RUN echo /usr/lib/swift/linux >/etc/ld.so.conf.d/swift.conf && ldconfig
COPY image/healthcheck /usr/local/bin/healthcheck
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tenant \
    && mkdir -p /data && chown tenant:tenant /data
USER tenant
EXPOSE 6000 80
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/healthcheck"]
CMD ["tenant-ingest"]
