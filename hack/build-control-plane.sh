#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from their Go modules at the
# versions pinned in hack/versions.env, and prints the folder that holds them.
#
# The binaries are cached outside the repository, keyed by version, so a rebuild only
# happens when a pin changes. Progress goes to stderr; stdout carries only the folder,
# so callers can do: dir=$(hack/build-control-plane.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}
dest="$cache_root/control-plane/kubernetes-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
binaries=(etcd kube-apiserver kube-controller-manager)

complete() {
  local b
  for b in "${binaries[@]}"; do [ -x "$dest/$b" ] || return 1; done
}

if complete; then
  echo "$dest"
  exit 0
fi

# Two cold runs at once (a test run and the demo, say) would build twice into one folder;
# the second waits for the first and then finds the binaries.
mkdir -p "$cache_root/control-plane"
exec 9>"$cache_root/control-plane/.build.lock"
flock 9
if complete; then
  echo "$dest"
  exit 0
fi

fail() {
  echo "control plane build failed: $1" >&2
  exit 1
}

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed; install Go 1.26+ or set KUBEBUILDER_ASSETS to a folder holding ${binaries[*]}"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work="$cache_root/control-plane/.work-$KUBERNETES_VERSION-$ETCD_VERSION"
log="$cache_root/control-plane/build-$KUBERNETES_VERSION-$ETCD_VERSION.log"
mkdir -p "$work" "$cache_root/control-plane"
: >"$log"
staging="$work/bin"
rm -rf "$staging"
mkdir -p "$staging"
started=$(date +%s)
echo "building control plane (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION) into $dest; first build takes several minutes, log: $log" >&2

build_etcd() {
  local mod="$work/etcd"
  rm -rf "$mod" && mkdir -p "$mod"
  cp "$here/etcd-wrapper/main.go" "$mod/main.go"
  (
    cd "$mod"
    go mod init nexus.local/etcd-wrapper
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go build -trimpath -ldflags='-s -w' -o "$staging/etcd" .
  ) >>"$log" 2>&1
}

# k8s.io/kubernetes replaces its staging modules with local folders, which a consumer
# cannot see; each one is pointed at its published v0.x twin instead. The list comes from
# the kubernetes go.mod itself so it follows the pinned version.
build_kubernetes() {
  local mod="$work/kubernetes" gomod minor staging_version
  rm -rf "$mod" && mkdir -p "$mod"
  minor=${KUBERNETES_VERSION#v1.}
  staging_version="v0.$minor"
  (
    cd "$mod"
    go mod init nexus.local/kubernetes-wrapper
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION" >&2; exit 1; }
    grep -Eo '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" |
      awk '{print $1}' |
      while read -r staged; do go mod edit -replace "$staged=$staged@$staging_version"; done
    go mod edit -require "k8s.io/kubernetes@$KUBERNETES_VERSION"
    local git_minor=${minor%%.*}
    local ldflags="-s -w"
    ldflags+=" -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
    ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=$git_minor"
    ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
    go build -trimpath -ldflags="$ldflags" -o "$staging/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  ) >>"$log" 2>&1
}

build_etcd || fail "etcd $ETCD_VERSION did not build (see $log); or set KUBEBUILDER_ASSETS to ready binaries"
build_kubernetes || fail "Kubernetes $KUBERNETES_VERSION did not build (see $log); or set KUBEBUILDER_ASSETS to ready binaries"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$staging" "$dest"
rm -rf "$work"
echo "control plane built in $(($(date +%s) - started))s" >&2
echo "$dest"
