#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from their Go modules at the
# versions pinned in hack/versions.env, and prints the folder that holds them:
# dir=$(hack/build-control-plane.sh). Cached outside the repository by version.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

begin_cached_build "control plane (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION)" \
  "$cache_root/control-plane/kubernetes-$KUBERNETES_VERSION-etcd-$ETCD_VERSION" \
  "install Go 1.26+ or set KUBEBUILDER_ASSETS to a folder holding etcd, kube-apiserver and kube-controller-manager" \
  etcd kube-apiserver kube-controller-manager

# Steps are chained with && because `set -e` does not apply inside a function whose
# caller tests its status; each runs in a subshell so its cd stays there.
build_etcd() (
  mod="$build_work/etcd"
  mkdir -p "$mod" &&
    cp "$here/etcd-wrapper/main.go" "$mod/main.go" &&
    cd "$mod" &&
    go mod init nexus.local/etcd-wrapper &&
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    go build -trimpath -ldflags='-s -w' -o "$build_bin/etcd" .
)

# k8s.io/kubernetes replaces its staging modules with local folders, which a consumer
# cannot see; each one is pointed at its published v0.x twin instead. The list comes from
# the kubernetes go.mod itself so it follows the pinned version.
build_kubernetes() (
  mod="$build_work/kubernetes" minor=${KUBERNETES_VERSION#v1.}
  mkdir -p "$mod" && cd "$mod" && go mod init nexus.local/kubernetes-wrapper || return 1
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION"; return 1; }
  staged=$(grep -Eo '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}')
  [ -n "$staged" ] || { echo "no staging modules found in $gomod"; return 1; }
  for module in $staged; do go mod edit -replace "$module=$module@v0.$minor" || return 1; done
  go mod edit -require "k8s.io/kubernetes@$KUBERNETES_VERSION" || return 1
  ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  go build -trimpath -ldflags="$ldflags" -o "$build_bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
)

build_step "etcd $ETCD_VERSION did not build; or set KUBEBUILDER_ASSETS to ready binaries" build_etcd
build_step "Kubernetes $KUBERNETES_VERSION did not build; or set KUBEBUILDER_ASSETS to ready binaries" build_kubernetes
finish_cached_build
