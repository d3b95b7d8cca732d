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

fail() {
  echo "cert-manager build failed: $1" >&2
  exit 1
}

wrapper="$here/cert-manager-wrapper/main.go"
[ -f "$wrapper" ] || fail "missing $wrapper"
wrapper_hash=$(sha256sum "$wrapper" | cut -c1-12)
cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}
dest="$cache_root/cert-manager/$CERT_MANAGER_VERSION-$wrapper_hash"
binary=cert-manager-controller

if [ -x "$dest/$binary" ]; then
  echo "$dest"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed; install Go 1.26+ to build cert-manager $CERT_MANAGER_VERSION"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work="$cache_root/cert-manager/.work-$CERT_MANAGER_VERSION-$wrapper_hash"
log="$cache_root/cert-manager/build-$CERT_MANAGER_VERSION-$wrapper_hash.log"
mkdir -p "$cache_root/cert-manager"
rm -rf "$work"
mkdir -p "$work/src" "$work/bin"
: >"$log"
started=$(date +%s)
echo "building cert-manager controller $CERT_MANAGER_VERSION into $dest; first build takes a few minutes, log: $log" >&2

cp "$wrapper" "$work/src/main.go"
(
  cd "$work/src"
  go mod init nexus.local/cert-manager-wrapper
  go get "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION"
  go build -trimpath \
    -ldflags="-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
    -o "$work/bin/$binary" .
) >>"$log" 2>&1 ||
  fail "cert-manager $CERT_MANAGER_VERSION did not build (last log line: $(tail -n 1 "$log"); full log: $log)"

rm -rf "$dest"
mv "$work/bin" "$dest"
rm -rf "$work"
echo "cert-manager controller built in $(($(date +%s) - started))s" >&2
echo "$dest"
