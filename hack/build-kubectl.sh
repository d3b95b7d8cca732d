#!/usr/bin/env bash
# Builds kubectl from the k8s.io/kubectl module at the version of the pinned control plane
# (KUBERNETES_VERSION in hack/versions.env: Kubernetes 1.X.Y is module v0.X.Y) and prints the
# folder holding the binary kubectl. The tests use it where what a person types matters
# (short names, printer columns), so they check what kubectl itself resolves and prints.
#
# Cached outside the repository, keyed by the version and a hash of the wrapper. Progress
# goes to stderr; stdout carries only the folder: dir=$(hack/build-kubectl.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

module_version="v0.${KUBERNETES_VERSION#v1.}"
wrapper="$here/kubectl-wrapper/main.go"
wrapper_hash=$(sha256sum "$wrapper" | cut -c1-12)
begin_cached_build "kubectl $KUBERNETES_VERSION" \
  "$cache_root/kubectl/$KUBERNETES_VERSION-$wrapper_hash" \
  "install Go 1.26+ to build kubectl $KUBERNETES_VERSION" \
  kubectl

build_kubectl() (
  mkdir -p "$build_work/src" &&
    cp "$wrapper" "$build_work/src/main.go" &&
    cd "$build_work/src" &&
    go mod init nexus.local/kubectl-wrapper &&
    go get "k8s.io/kubectl@$module_version" "k8s.io/component-base@$module_version" &&
    go build -trimpath \
      -ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION" \
      -o "$build_bin/kubectl" .
)

build_step "kubectl $KUBERNETES_VERSION did not build" build_kubectl
finish_cached_build
