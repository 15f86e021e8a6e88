# tests/stack/podman.sh - sourced by the tests of the image and of the
# Kubernetes manifests: rootful podman with its configuration, storage and
# networks under the build folder (nothing of the machine's configuration
# is changed), and the removal of everything named esspi*.
#   esspi_podman_setup CACHE_DIR   then   pm ARGS...   and   esspi_cleanup

esspi_skip() { echo "SKIP: $*"; exit 77; }

# Says plainly what is missing and exits 77 when podman cannot run here.
esspi_podman_setup() {
  local cache=$1
  [ "$(id -u)" = 0 ] || esspi_skip "rootful podman needs root (run deploy/test as root)"
  local tool
  for tool in podman runc iptables; do
    command -v "$tool" >/dev/null || esspi_skip "$tool is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES)"
  done
  [ -x /usr/lib/podman/aardvark-dns ] || esspi_skip "aardvark-dns is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES)"
  ESSPI_DIR=$cache/podman
  mkdir -p "$ESSPI_DIR/networks"
  # runc, not crun (its setrlimit is refused in some sandboxes), and no
  # default ulimits for the same reason; networks kept apart from the host's.
  cat >"$ESSPI_DIR/containers.conf" <<CONF
[containers]
default_ulimits = []
[network]
network_config_dir = "$ESSPI_DIR/networks"
[engine]
runtime = "runc"
CONF
  export CONTAINERS_CONF=$ESSPI_DIR/containers.conf
  pm info >/dev/null 2>"$ESSPI_DIR/info.err" || esspi_skip "podman cannot run here: $(tail -n 3 "$ESSPI_DIR/info.err")"
}

pm() { podman --root "$ESSPI_DIR/storage" --runroot "$ESSPI_DIR/run" "$@"; }

# Every pod, container, volume, network and image named esspi*, ours or
# left by an earlier run that was killed.
esspi_cleanup() {
  local names
  names=$(pm pod ls --format '{{.Name}}' 2>/dev/null | grep '^esspi' || true)
  [ -z "$names" ] || pm pod rm -f $names >/dev/null 2>&1 || true
  names=$(pm ps -a --format '{{.Names}}' 2>/dev/null | grep '^esspi' || true)
  [ -z "$names" ] || pm rm -f -t 0 $names >/dev/null 2>&1 || true
  names=$(pm volume ls --format '{{.Name}}' 2>/dev/null | grep '^esspi' || true)
  [ -z "$names" ] || pm volume rm -f $names >/dev/null 2>&1 || true
  names=$(pm network ls --format '{{.Name}}' 2>/dev/null | grep '^esspi' || true)
  [ -z "$names" ] || pm network rm -f $names >/dev/null 2>&1 || true
  names=$(pm images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep '^localhost/esspi' || true)
  [ -z "$names" ] || pm rmi -f $names >/dev/null 2>&1 || true
  pm image prune -f >/dev/null 2>&1 || true
  # The storage is this test's own (under the build folder): the pause
  # image podman builds for pods and the anonymous volumes go too.
  pm rmi -f localhost/podman-pause:"$(podman --version | awk '{print $3}')-0" >/dev/null 2>&1 || true
  pm volume prune -f >/dev/null 2>&1 || true
}

# The base image: `debootstrap --variant=minbase bookworm` with the runtime
# packages of deploy/Containerfile, imported as localhost/esspi-base.  The
# tree's tarball and the packages are kept in the cache: a second run
# imports the tarball and reaches no network.
esspi_base_image() {
  local root=$1 cache=$2
  command -v debootstrap >/dev/null || esspi_skip "debootstrap is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES)"
  local packages
  packages=$(sed -n '/^ARG RUNTIME_PACKAGES="/,/"$/p' "$root/deploy/Containerfile" \
    | sed 's/^ARG RUNTIME_PACKAGES="//; s/"$//; s/\\$//' | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
  if [ ! -s "$cache/base.tar" ] || [ "$(cat "$cache/base.packages" 2>/dev/null)" != "$packages" ]; then
    local tree=$cache/base.tree started=$SECONDS
    rm -rf "$tree"; mkdir -p "$cache/debs"
    debootstrap --variant=minbase --cache-dir="$cache/debs" --include="$packages" bookworm "$tree" \
      "${ESSP_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1 \
      || { echo "FAIL: debootstrap: $(tail -n 5 "$cache/debootstrap.log")"; return 1; }
    rm -rf "$tree/var/cache/apt/archives/"*.deb "$tree/var/lib/apt/lists/"*
    tar -C "$tree" -cf "$cache/base.tar.new" . && mv "$cache/base.tar.new" "$cache/base.tar"
    echo "$packages" >"$cache/base.packages"
    rm -rf "$tree"
    echo "# debootstrap of the base: $((SECONDS - started)) s"
  fi
  pm import --quiet "$cache/base.tar" localhost/esspi-base:bookworm >/dev/null
}
