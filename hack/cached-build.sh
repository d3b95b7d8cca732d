# Sourced by the hack/build-*.sh scripts: the part every cached Go build shares.
# A build lands in a folder under the cache (outside the repository) named by its pins;
# the folder appears only once complete, a lock keeps two runs from building at once, and
# progress goes to stderr so that stdout carries only the folder.

cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}

build_fail() {
  echo "$build_name build failed: $1" >&2
  exit 1
}

build_complete() {
  local b
  for b in "${build_binaries[@]}"; do [ -x "$build_dest/$b" ] || return 1; done
}

# begin_cached_build NAME DEST GO_HINT BINARY...
# Prints DEST and exits when every BINARY is there already. Otherwise waits for any other
# build of the same kind, checks again, and prepares an empty $build_work with $build_bin
# (where the binaries go), $build_log, and Go set up to build only with the local toolchain.
begin_cached_build() {
  build_name=$1 build_dest=$2
  local go_hint=$3
  shift 3
  build_binaries=("$@")
  if build_complete; then
    echo "$build_dest"
    exit 0
  fi
  local parent
  parent=$(dirname "$build_dest")
  mkdir -p "$parent"
  exec 9>"$parent/.build.lock"
  flock 9
  if build_complete; then
    echo "$build_dest"
    exit 0
  fi
  command -v go >/dev/null 2>&1 || build_fail "Go is not installed; $go_hint"
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
  build_work="$build_dest.work"
  build_bin="$build_work/bin"
  build_log="$build_dest.log"
  rm -rf "$build_work"
  mkdir -p "$build_bin"
  : >"$build_log"
  build_started=$(date +%s)
  echo "building $build_name into $build_dest; a first build takes minutes, log: $build_log" >&2
}

# Runs a command with its output in the build log; on failure, names the last log line.
build_step() {
  local what=$1
  shift
  "$@" >>"$build_log" 2>&1 || build_fail "$what (last log line: $(tail -n 1 "$build_log"); full log: $build_log)"
}

finish_cached_build() {
  rm -rf "$build_dest"
  mv "$build_bin" "$build_dest"
  rm -rf "$build_work"
  echo "$build_name built in $(($(date +%s) - build_started))s" >&2
  echo "$build_dest"
}
