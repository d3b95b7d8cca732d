#!/usr/bin/env bash
# Builds the two stand-in base images `make image` builds the Dockerfile on, where the
# public ones (node:24-bookworm, distroless nodejs24) cannot be pulled: both from Debian
# bookworm packages (mmdebstrap) and the Node.js pinned in hack/node.env.
#   runtime: --variant=extract of base-files, netbase, tzdata, libc6, libgcc-s1 and
#            libstdc++6 (no shell, no package manager), the users of distroless
#            (root, nobody, nonroot 65532), a dpkg status file naming every package (for
#            scanners and the SBOM) and node at /nodejs/bin/node, as distroless has it.
#   build:   --variant=minbase (a shell and coreutils for the build steps), node and npm.
# The images are committed with fixed timestamps, and cached by a key of this script and
# the pins: the rootfs tarballs in the project's cache, the images in buildah's storage
# (re-imported from the tarballs when missing). Debian's security fixes arrive when the
# key changes: BASE_REFRESH below, or the Dockerfile's base image defaults (Renovate's
# weekly group moves their digests when Debian's security rebuilds land).
# Prints two lines: the build image's name, then the runtime image's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../node.env
source "$here/../node.env"
cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}
# Changing this date rebuilds both bases with the Debian packages current on that day.
BASE_REFRESH=2026-12-04
SUITE=bookworm
MIRRORS=(
  "deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main"
)
RUNTIME_PACKAGES=base-files,netbase,tzdata,libc6,libgcc-s1,libstdc++6
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -u -d "$BASE_REFRESH" +%s)}

key=$({ cat "$here/build-bases.sh" "$here/../node.env"; grep -E '^ARG (BUILD|RUNTIME)_IMAGE=' "$here/../../Dockerfile"; } | sha256sum | cut -c1-16)
dest="$cache_root/image-bases/$key"
build_image="localhost/nexus-build-base:$key"
runtime_image="localhost/nexus-runtime-base:$key"

fail() { echo "base image build failed: $1" >&2; exit 1; }

# fetch_npm_package NAME VERSION INTEGRITY -> prints the checked tarball
fetch_npm_package() {
  local name=$1 version=$2 integrity=$3 file="$cache_root/image-bases/$1-$2.tgz" sum
  if [ ! -f "$file" ]; then
    local work
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent "$name@$version" >/dev/null) || fail "npm pack $name@$version"
    mv "$work/$name-$version.tgz" "$file"
    rm -rf "$work"
  fi
  sum="sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)"
  [ "$sum" = "$integrity" ] || { rm -f "$file"; fail "$name@$version: sha512 is not the pin in hack/node.env"; }
  echo "$file"
}

# The dpkg status file of an extract-variant rootfs (dpkg never ran there): one stanza per
# downloaded package, from the .debs themselves, sorted by name.
write_dpkg_status() {
  local root=$1 deb name stanzas
  stanzas=$(mktemp -d)
  for deb in "$root"/var/cache/apt/archives/*.deb; do
    name=$(dpkg-deb -f "$deb" Package)
    {
      echo "Package: $name"
      echo "Status: install ok installed"
      dpkg-deb -f "$deb" Priority Section Installed-Size Maintainer Architecture Multi-Arch Source Version Homepage
      echo
    } >"$stanzas/$name"
  done
  (cd "$stanzas" && LC_ALL=C ls | while read -r name; do cat "$name"; done) >"$root/var/lib/dpkg/status"
  rm -rf "$stanzas"
}

install_node() {
  local root=$1 bin_dir=$2 tarball
  tarball=$(bash "$here/../ensure-node.sh" --tarball)
  mkdir -p "$root$bin_dir"
  tar -xzf "$tarball" -O package/bin/node >"$root$bin_dir/node"
  # The nodejs.org binary carries 18 MB of symbols no production process reads; the
  # dynamic symbol table native add-ons link against stays.
  strip --strip-unneeded "$root$bin_dir/node"
  chmod 0755 "$root$bin_dir/node"
  touch -d "@$SOURCE_DATE_EPOCH" "$root$bin_dir/node"
}

# The extract variant runs no customize hooks: its hook runs right after the extraction.
build_rootfs() {
  local variant=$1 packages=$2 hook=$3 out=$4 hook_option=--customize-hook
  [ "$variant" = extract ] && hook_option=--extract-hook
  mmdebstrap --mode=unshare --variant="$variant" ${packages:+--include="$packages"} \
    "$hook_option=$hook" "$SUITE" "$out" "${MIRRORS[@]}"
}

import_image() {
  local rootfs=$1 name=$2
  shift 2
  local ctr
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$rootfs" / >/dev/null
  buildah config "$@" "$ctr"
  buildah commit --quiet --timestamp "$SOURCE_DATE_EPOCH" --rm "$ctr" "$name" >/dev/null
}

# mmdebstrap's customize hooks (run as `sh -c`) call back into this script.
case "${1:-}" in
  --customize-runtime)
    root=$2
    write_dpkg_status "$root"
    install_node "$root" /nodejs/bin
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
    mkdir -p "$root/home/nonroot" && chown 65532:65532 "$root/home/nonroot" && chmod 0700 "$root/home/nonroot"
    chmod 1777 "$root/tmp"
    # As distroless: documentation other than each package's copyright file goes.
    find "$root/usr/share/doc" -type f ! -name copyright -delete
    rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/lintian" "$root/usr/share/locale"
    exit 0 ;;
  --customize-build)
    root=$2 npm_tgz=$3
    install_node "$root" /usr/local/bin
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    exit 0 ;;
esac

mkdir -p "$cache_root/image-bases"
exec 9>"$cache_root/image-bases/.build.lock"
flock 9

if [ ! -f "$dest/runtime.tar" ] || [ ! -f "$dest/build.tar" ]; then
  for c in mmdebstrap buildah dpkg-deb strip; do command -v "$c" >/dev/null || fail "$c is not installed (make image installs it from Debian)"; done
  started=$(date +%s)
  rm -rf "$dest.work" && mkdir -p "$dest.work"
  echo "building the stand-in base images ($SUITE, Node.js $NODE_VERSION) into $dest" >&2
  build_rootfs extract "$RUNTIME_PACKAGES" "bash '$here/build-bases.sh' --customize-runtime \"\$1\"" "$dest.work/runtime.tar" \
    || fail "mmdebstrap of the runtime base"
  npm_tgz=$(fetch_npm_package npm "$NPM_VERSION" "$NPM_INTEGRITY")
  build_rootfs minbase "" "bash '$here/build-bases.sh' --customize-build \"\$1\" '$npm_tgz'" "$dest.work/build.tar" \
    || fail "mmdebstrap of the build base"
  rm -rf "$dest" && mv "$dest.work" "$dest"
  echo "stand-in base images built in $(($(date +%s) - started))s" >&2
fi

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if ! buildah inspect --type image "$runtime_image" >/dev/null 2>&1; then
  import_image "$dest/runtime.tar" "$runtime_image" --env PATH="$path" --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --user 65532 --workingdir /home/nonroot --entrypoint '["/nodejs/bin/node"]'
fi
if ! buildah inspect --type image "$build_image" >/dev/null 2>&1; then
  import_image "$dest/build.tar" "$build_image" --env PATH="$path" --cmd '["bash"]'
fi
echo "$build_image"
echo "$runtime_image"
