# deploy/lib.sh - shared by deploy/up, deploy/down, deploy/test and deploy/bench.
# Sourced, not run.  Everything here works on a minimal Debian (bookworm).

ESSP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ESSP_SERVICES="intake validation review publication desk notify"

# What building and running need, and what the tests need on top.
ESSP_BUILD_PACKAGES="build-essential cmake pkg-config libzmq3-dev libczmq-dev libmsgpack-dev
  liblmdb-dev libsodium-dev libjansson-dev libcmocka-dev libmicrohttpd-dev liboath-dev
  libqrencode-dev libcurl4-openssl-dev"
ESSP_TEST_PACKAGES="python3 python3-zmq python3-msgpack python3-nacl lmdb-utils chromium fonts-dejavu-core
  nodejs nginx openssl python3-aiosmtpd prometheus"
# The tests across hosts (stack.hosts: ip and ss for network namespaces;
# stack.systemd: systemd-analyze, setpriv and unshare).
ESSP_HOSTS_PACKAGES="iproute2 systemd util-linux"
# The container image and the Kubernetes manifests (stack.image, stack.k8s):
# rootful podman with runc, its DNS, a Debian base made by debootstrap,
# kubectl for kustomize (Debian's kubernetes-client; a kubectl already
# installed is used as it is: essp_image_packages), npm for the schema check
# (likewise).
ESSP_IMAGE_PACKAGES="podman runc conmon netavark aardvark-dns iptables catatonit debootstrap"
ESSP_K8S_PACKAGES="kubernetes-client npm python3-yaml"
# Only when deploy/test is asked for line coverage (ESSP_COVERAGE=1).
ESSP_COVERAGE_PACKAGES="gcovr"
# Only for deploy/bench (essp-bench --peers): the stacks a user would pick
# instead, measured beside essp in the same run; their servers, started by
# the bench on loopback, and the client libraries it is built with when
# they are there.  Neither the build nor deploy/test needs them.
ESSP_BENCH_PACKAGES="redis-server nats-server libhiredis-dev libnats-dev"

essp_log() { printf 'essp: %s\n' "$*" >&2; }

# Installs the Debian packages of $* that are missing (as root), or says
# which are missing and how to get them (as anyone else).
essp_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    essp_log "missing Debian packages: ${missing[*]}"
    essp_log "run as root, or: sudo apt-get install ${missing[*]}"
    return 1
  fi
  essp_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ESSP_IMAGE_PACKAGES, without kubernetes-client when a kubectl is there
# already, nor npm when an npm is (those of other packages, which
# Debian's would conflict with: a Node.js that bundles npm).
essp_image_packages() {
  local pkg
  for pkg in $([ "${ESSP_TEST_IMAGE:-0}" = 1 ] && echo "$ESSP_IMAGE_PACKAGES") $ESSP_K8S_PACKAGES; do
    [ "$pkg" = kubernetes-client ] && command -v kubectl >/dev/null && continue
    [ "$pkg" = npm ] && command -v npm >/dev/null && continue
    echo "$pkg"
  done
}

# Configures and builds into $1 (default ./build) with extra cmake args.
essp_build() {
  local dir=${1:-$ESSP_ROOT/build}; shift || true
  cmake -S "$ESSP_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >/dev/null
}

# Builds into $1 with gcov's instrumentation, runs the unit tests only
# (ctest -L unit: what the units reach, not what the stack tests do) and
# prints the line coverage of common/ and proto/, file by file (gcovr).
essp_coverage() {
  local dir=$1
  find "$dir" -name '*.gcda' -delete 2>/dev/null || true
  essp_build "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=--coverage \
    -DCMAKE_EXE_LINKER_FLAGS=--coverage
  ctest --test-dir "$dir" -L unit --output-on-failure -j "$(nproc)"
  local part
  for part in common proto; do
    essp_log "line coverage of $part/ by the unit tests"
    gcovr --root "$ESSP_ROOT" --object-directory "$dir" --filter "$ESSP_ROOT/$part/" \
      --exclude-directories "$dir/CMakeFiles" --txt
  done
}

# The stack's home and ports, exported for the services and the CLI.
essp_environment() {
  export ESSP_HOME=$(realpath -m "${ESSP_HOME:-$ESSP_ROOT/var}")
  export ESSP_PORT=${ESSP_PORT:-7700}
  mkdir -p "$ESSP_HOME/log" "$ESSP_HOME/run"
  # Logs name applications and people: readable by the owner and its group
  # (an operator's), by nobody else.
  chmod 0750 "$ESSP_HOME/log"
}

# pid of a running service (from the pid file it writes), or nothing.
essp_pid() {
  local file=$ESSP_HOME/run/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "essp-$1" "/proc/$pid/cmdline" 2>/dev/null \
    && echo "$pid"
}

essp_supervisor_pid() {
  local file=$ESSP_HOME/run/$1.supervisor.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
