#!/usr/bin/env bash
# Builds cert-manager's controller from the github.com/cert-manager/cert-manager Go module
# at CERT_MANAGER_VERSION (hack/versions.env) and prints the folder holding the binary
# cert-manager-controller.
#
# Upstream's main package sits in a nested module (cmd/controller) that the Go module
# proxy does not serve, so hack/cert-manager-wrapper/main.go stands in for it; every
# controller it runs is upstream code from the pinned module.
#
# The binary is cached outside the repository, keyed by the cert-manager version and a
# hash of the wrapper, so a rebuild only happens when either changes. Progress goes to
# stderr; stdout carries only the folder: dir=$(hack/build-cert-manager.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

wrapper="$here/cert-manager-wrapper/main.go"
wrapper_hash=$(sha256sum "$wrapper" | cut -c1-12)
begin_cached_build "cert-manager controller $CERT_MANAGER_VERSION" \
  "$cache_root/cert-manager/$CERT_MANAGER_VERSION-$wrapper_hash" \
  "install Go 1.26+ to build cert-manager $CERT_MANAGER_VERSION" \
  cert-manager-controller

build_controller() (
  mkdir -p "$build_work/src" &&
    cp "$wrapper" "$build_work/src/main.go" &&
    cd "$build_work/src" &&
    go mod init nexus.local/cert-manager-wrapper &&
    go get "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" &&
    go build -trimpath \
      -ldflags="-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
      -o "$build_bin/cert-manager-controller" .
)

build_step "cert-manager $CERT_MANAGER_VERSION did not build" build_controller
finish_cached_build
