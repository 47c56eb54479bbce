# hangar in a container: a static (musl) build of the `dist` profile, then an image that holds
# only the binary and the CA certificates, running as a non-root user.
#
#   docker build -t hangar .
#   docker run --rm -v "$PWD/policies:/config:ro" hangar validate /config
#
# Plan and drift with credentials from the environment: docs/container.md.

# -- build ------------------------------------------------------------------------------------
FROM rust:1-alpine AS build
# musl-dev, make, cmake, perl: what aws-lc-sys and ring may build with; ca-certificates: the bundle
# the runtime stage copies.
RUN apk add --no-cache musl-dev ca-certificates make cmake perl
WORKDIR /src
COPY . .
RUN cargo build --locked --profile dist --bin hangar \
 && cp target/dist/hangar /hangar \
 && /hangar --version

# -- runtime ----------------------------------------------------------------------------------
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /hangar /usr/local/bin/hangar
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# A numeric id: scratch has no /etc/passwd, and Kubernetes' runAsNonRoot can check a number.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/hangar"]
CMD ["--help"]
