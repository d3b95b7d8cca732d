#!/usr/bin/env bash
# Builds the Istio judge (hack/istio-judge: Istio's validation, translation to Envoy
# filters and a proxyless gRPC enforcement harness, driven by the tests over stdin/stdout)
# against istio.io/istio at ISTIO_JUDGE_VERSION (hack/versions.env) and prints the folder
# holding the binary istio-judge.
#
# The module's go.mod and go.sum are committed, so every build resolves the same module
# graph; the build refuses to run when go.mod names another istio.io/istio than the pin.
# The binary is cached outside the repository, keyed by the pin and a hash of the module's
# files; the Go build cache of Istio's large package graph has its own folder under the
# cache, kept across source changes, so only a first build compiles Istio (minutes) and a
# changed judge relinks in seconds. Progress goes to stderr; stdout carries only the
# folder: dir=$(hack/build-istio-judge.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

[ -n "${ISTIO_JUDGE_VERSION:-}" ] || { echo "istio judge build failed: ISTIO_JUDGE_VERSION is not set in $here/versions.env" >&2; exit 1; }
module_dir="$here/istio-judge"
sources_hash=$(cd "$module_dir" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
begin_cached_build "istio judge (istio.io/istio $ISTIO_JUDGE_VERSION)" \
  "$cache_root/istio-judge/$ISTIO_JUDGE_VERSION-$sources_hash" \
  "install Go 1.26+ to build the Istio judge" \
  istio-judge

build_judge() (
  cd "$module_dir" || return 1
  pinned=$(awk '$1 == "istio.io/istio" { print $2; exit }' go.mod)
  [ "$pinned" = "$ISTIO_JUDGE_VERSION" ] ||
    { echo "hack/istio-judge/go.mod requires istio.io/istio $pinned, but ISTIO_JUDGE_VERSION is $ISTIO_JUDGE_VERSION; run go get istio.io/istio@$ISTIO_JUDGE_VERSION there"; return 1; }
  # -mod=readonly: the committed go.sum decides; a build never rewrites the module files.
  GOFLAGS=-mod=readonly GOCACHE="$cache_root/istio-judge/gocache" \
    go build -trimpath -ldflags="-s -w" -o "$build_bin/istio-judge" .
)

build_step "the Istio judge did not build" build_judge
echo '{"op":"validate","objects":[]}' | "$build_bin/istio-judge" 2>>"$build_log" | grep -q '"ok":true' ||
  build_fail "the built Istio judge does not answer (full log: $build_log)"
finish_cached_build
