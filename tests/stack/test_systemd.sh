#!/usr/bin/env bash
# systemd on a plain server: deploy/install into a DESTDIR (twice: nothing
# replaced that an operator wrote; --prefix goes into the units), the units
# checked by systemd-analyze verify and security (the exposure scores are
# printed and bounded), then the stack started from the units as systemd
# would.  This machine's PID 1 is not systemd (the test says which it is),
# so each service unit's ExecStart line runs under the unit's own terms:
# its User= and Group=, its Environment= and EnvironmentFile=, no new
# privileges and no capability, in a mount namespace of its own where the
# system is read-only but for ReadWritePaths= (ProtectSystem=strict) and
# /tmp is its own (PrivateTmp).  The services answer ready, run as essp,
# write their data as essp; essp-tick.service's line ticks; SIGTERM stops
# each with status 0.  Needs root (a user, mounts): else exit 77.
set -uo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIP: the systemd test cannot run here: $*"; exit 77; }
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || skip "it needs root (it makes the user essp and mounts)"
for tool in systemd-analyze:systemd setpriv:util-linux unshare:util-linux nsenter:util-linux useradd:passwd; do
  command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} is missing (Debian package ${tool#*:})"
done
services="intake validation review publication desk notify"
work=$(mktemp -d -p "$(dirname "$bin")" systemd-test.XXXXXX)
chmod 0755 "$work"
dest=$work/root
made_user=
pids=
cleanup() {
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  [ -n "$made_user" ] && userdel essp 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# -- deploy/install -----------------------------------------------------------
DESTDIR=$dest "$root/deploy/install" --bin-dir "$bin" >"$work/install1.out" 2>&1 \
  || fail "deploy/install: $(tail -5 "$work/install1.out")"
for program in essp essp-intake essp-validation essp-review essp-publication essp-desk essp-notify essp-mirror; do
  [ -x "$dest/usr/local/bin/$program" ] || fail "deploy/install did not install $program"
done
for unit in essp@.service essp-tick.service essp-tick.timer essp-backup.service essp-backup.timer; do
  [ -f "$dest/etc/systemd/system/$unit" ] || fail "deploy/install did not install $unit"
done
[ "$(stat -c %a "$dest/etc/essp/essp.conf")" = 640 ] || fail "essp.conf is $(stat -c %a "$dest/etc/essp/essp.conf"), not 640"
grep -q '^ESSP_QUORUM_VOTES=3$' "$dest/etc/essp/essp.conf" || fail "the default essp.conf has no quorum"
[ -f "$dest/etc/essp/essp.env" ] || fail "deploy/install wrote no essp.env"
# The operator's settings: this host runs the whole stack on loopback.
port=$(( 10000 + (RANDOM % 700) * 32 ))
printf 'ESSP_HOME=/var/lib/essp\nESSP_PORT=%s\nESSP_BIND=127.0.0.1\n' "$port" >"$dest/etc/essp/essp.env"
echo "# kept" >>"$dest/etc/essp/essp.conf"
sums() { (cd "$dest" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(sums)
DESTDIR=$dest "$root/deploy/install" --bin-dir "$bin" >"$work/install2.out" 2>&1 || fail "second deploy/install failed"
[ "$(sums)" = "$before" ] || fail "a second deploy/install changed files: $(diff <(echo "$before") <(sums) | head -5)"
DESTDIR=$work/opt "$root/deploy/install" --prefix /opt/essp --bin-dir "$bin" >/dev/null 2>&1 || fail "deploy/install --prefix"
[ -x "$work/opt/opt/essp/bin/essp-review" ] || fail "--prefix /opt/essp: no /opt/essp/bin/essp-review"
grep -q '^ExecStart=/opt/essp/bin/essp-%i$' "$work/opt/etc/systemd/system/essp@.service" \
  || fail "--prefix /opt/essp: the unit does not start /opt/essp/bin/essp-%i"
echo "ok   deploy/install: programs, units, settings; a second run changes nothing; --prefix"

# -- systemd-analyze ----------------------------------------------------------
units=$dest/etc/systemd/system
mkdir -p "$work/etc-work"
# installed COMMAND...: runs COMMAND where the DESTDIR's /etc (over the
# machine's) and /usr/local/bin are in place, as after a real install,
# in a mount namespace of its own: the machine's stay as they are.
installed() {
  exec unshare --mount --propagation private bash -c '
    dest=$1 work=$2; shift 2
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dest/etc,workdir=$work/etc-work" /etc &&
    mount --bind "$dest/usr/local/bin" /usr/local/bin && exec "$@"' installed "$dest" "$work" "$@"
}
cp "$units/essp@.service" "$units/essp@intake.service"   # an instance, for the checks
verify=$(installed systemd-analyze verify /etc/systemd/system/essp@intake.service /etc/systemd/system/essp-tick.service \
  /etc/systemd/system/essp-tick.timer /etc/systemd/system/essp-backup.service /etc/systemd/system/essp-backup.timer 2>&1) \
  || fail "systemd-analyze verify: $verify"
rm "$units/essp@intake.service"
# A warning is a failure too.
[ -z "$verify" ] || fail "systemd-analyze verify says: $verify"
echo "ok   systemd-analyze verify"
for unit in essp@intake.service essp-tick.service essp-backup.service; do
  file=$units/$unit
  [ "$unit" = essp@intake.service ] && { cp "$units/essp@.service" "$units/$unit"; }
  score=$(cd "$units" && systemd-analyze security --offline=true "$unit" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
  [ "$unit" = essp@intake.service ] && rm "$units/$unit"
  [ -n "$score" ] || fail "systemd-analyze security gave no score for $unit"
  echo "systemd-analyze security $unit: exposure $score"
  awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "$unit: exposure $score, over 2.0"
done
echo "ok   systemd-analyze security: every unit at 2.0 or below (OK)"

# -- the units started as systemd would --------------------------------------
pid1=$(cat /proc/1/comm)
if [ "$pid1" = systemd ]; then
  echo "PID 1 is systemd, but this test leaves the machine's own units alone: the ExecStart lines run as below"
else
  echo "PID 1 is $pid1, not systemd: the units cannot be started here; their ExecStart lines run under each unit's user, settings and confinement"
fi
if ! id essp >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/essp --no-create-home --shell /usr/sbin/nologin essp || fail "useradd essp"
  made_user=1
fi
chown root:essp "$dest/etc/essp/essp.conf"
chown essp:essp "$dest/var/lib/essp" "$dest/var/backups/essp"

# value KEY UNIT: the unit's KEY= values, one per line.
value() { sed -n "s/^$1=//p" "$2"; }
# confined UNIT INSTANCE COMMAND...: runs COMMAND as the unit would, in a
# mount namespace: /etc, /usr/local/bin, /var/lib/essp and
# /var/backups/essp are the DESTDIR's; then every mount but the API file systems and the unit's
# ReadWritePaths= is read-only, /tmp and /var/tmp its own.
confined() {
  local unit=$1 instance=$2; shift 2
  local file=$units/$unit user group writable env=() line
  user=$(value User "$file"); group=$(value Group "$file")
  writable=$(value ReadWritePaths "$file" | tr ' ' '\n')
  for line in $(value Environment "$file"); do env+=("$line"); done
  while IFS= read -r line; do env+=("$line"); done < <(grep -E '^[A-Z_]+=' "$dest/etc/essp/essp.env")
  exec unshare --mount --propagation private bash -c '
    set -e
    dest=$1 work=$2 writable=$3; shift 3
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dest/etc,workdir=$work/etc-work" /etc
    mount --bind "$dest/usr/local/bin" /usr/local/bin
    mount -t tmpfs tmpfs /var/lib
    mount -t tmpfs tmpfs /var/backups
    for dir in /var/lib/essp /var/backups/essp $writable; do
      mkdir -p "$dir" "$dest$dir"; mount --bind "$dest$dir" "$dir"
    done
    # A mount left writable would leave the system writable: no start then.
    for point in $(awk "{print \$5}" /proc/self/mountinfo | sort -u); do
      case $point in /proc*|/sys*|/dev*) continue ;; esac
      for dir in $writable; do [ "$point" = "$dir" ] && continue 2; done
      mount -o remount,bind,ro "$point" || { echo "confined: cannot make $point read-only" >&2; exit 1; }
    done
    mount -t tmpfs -o mode=1777 tmpfs /tmp
    mount -t tmpfs -o mode=1777 tmpfs /var/tmp
    exec "$@"' confined "$dest" "$work" "$writable" \
    setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs --bounding-set=-all --inh-caps=-all \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/essp USER="$user" "${env[@]}" "$@"
}

for service in $services; do
  exec_start=$(value ExecStart "$units/essp@.service" | sed "s/%i/$service/g")
  confined essp@.service "$service" $exec_start >>"$work/$service.out" 2>&1 &
  pids="$pids $!"
done
ready=
for _ in $(seq 1 150); do
  ESSP_TIMEOUT_MS=300 ESSP_RETRIES=1 ESSP_HOME=$dest/var/lib/essp ESSP_PORT=$port "$bin/essp" ping >"$work/ping.out" 2>&1 \
    && { ready=1; break; }
  # A service that could not start (its confinement refused) ends the wait.
  for pid in $pids; do
    kill -0 "$pid" 2>/dev/null || fail "a service exited before it was ready: $(tail -n 3 "$work"/*.out)"
  done
  sleep 0.1
done
echo "the services answered ready $SECONDS s after the test began"
[ -n "$ready" ] || fail "the services did not come up ready: $(cat "$work/ping.out"; tail -3 "$work"/*.out)"
[ "$(grep -cE '^[a-z]+ +yes ' "$work/ping.out")" = 6 ] || fail "not every service ready: $(cat "$work/ping.out")"
for pid in $pids; do
  [ "$(ps -o user= -p "$pid")" = essp ] || fail "process $pid runs as $(ps -o user= -p "$pid"), not essp"
  grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status" || fail "process $pid may gain privileges"
  grep -q '^CapBnd:[[:space:]]*0000000000000000$' "/proc/$pid/status" || fail "process $pid keeps capabilities"
done
others=$(find "$dest/var/lib/essp" ! -user essp | head -3)
[ -z "$others" ] || fail "files in the data folder not the essp user's: $others"
# In each service's own mount namespace: root, whom only a read-only mount
# stops, cannot write the programs or the settings; the unit's user can
# write its state directory (ESSP_HOME, one of its ReadWritePaths=).
user=$(value User "$units/essp@.service") group=$(value Group "$units/essp@.service")
state=$(sed -n 's/^ESSP_HOME=//p' "$dest/etc/essp/essp.env")
[ -n "$state" ] || fail "essp.env sets no ESSP_HOME"
for pid in $pids; do
  for dir in /usr/local/bin /etc; do
    out=$(LC_ALL=C nsenter --target "$pid" --mount touch "$dir/essp-write-probe" 2>&1) \
      && fail "process $pid: $dir is writable in its mount namespace"
    case $out in *"Read-only file system"*) ;; *) fail "process $pid: writing $dir: $out" ;; esac
  done
  out=$(nsenter --target "$pid" --mount setpriv --reuid="$user" --regid="$group" --init-groups \
    sh -c 'touch "$1/essp-write-probe" && rm "$1/essp-write-probe"' probe "$state" 2>&1) \
    || fail "process $pid: $user cannot write $state: $out"
done
echo "ok   the six services from essp@.service's ExecStart: ready, as essp, no privilege, a read-only system"

# The clock's unit: its ExecStart with a staff key of the host, made by
# the operator as the user essp.
(confined essp@.service "" /usr/local/bin/essp staff init operator) >"$work/staff.out" 2>&1 || fail "essp staff init: $(cat "$work/staff.out")"
tick=$(value ExecStart "$units/essp-tick.service")
(confined essp-tick.service "" $tick) >"$work/tick.out" 2>&1 || fail "essp-tick.service's ExecStart: $(cat "$work/tick.out")"
echo "ok   essp-tick.service's ExecStart ticks"

# The backup's unit: its ExecStart is a shell line over several lines,
# with systemd's escapes ($$ for $, %% for %) undone as systemd does.
backup=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$units/essp-backup.service" | sed 's/^ExecStart=//; s/\\$//' \
  | tr -d '\n' | sed 's/\$\$/$/g; s/%%/%/g')
script=$(printf '%s' "$backup" | sed -n "s/^\/bin\/sh -c '\(.*\)'$/\1/p")
[ -n "$script" ] || fail "essp-backup.service's ExecStart is not /bin/sh -c '...': $backup"
(confined essp-backup.service "" /bin/sh -c "$script") >"$work/backup.out" 2>&1 \
  || fail "essp-backup.service's ExecStart: $(cat "$work/backup.out")"
made=$(find "$dest/var/backups/essp" -mindepth 1 -maxdepth 1 -type d -name '20*' | wc -l)
[ "$made" = 1 ] || fail "essp-backup.service's ExecStart made $made backups in /var/backups/essp"
echo "ok   essp-backup.service's ExecStart backs up into /var/backups/essp"

for pid in $pids; do
  kill -TERM "$pid"
  wait "$pid"
  status=$?
  [ "$status" = 0 ] || fail "a service stopped with status $status on SIGTERM (Restart=on-failure would restart it)"
done
pids=
echo "ok   SIGTERM stops every service with status 0"
echo "6 passed, 0 failed"
