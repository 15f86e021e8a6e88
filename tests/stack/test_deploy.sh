#!/usr/bin/env bash
# deploy/up as a newcomer runs it (with the programs of this build): the
# stack comes up with the demo published and its letters in the Maildir
# (no SMTP server set); a second deploy/up starts
# nothing twice; a service killed with SIGKILL is restarted by its
# supervisor; deploy/down stops every service with exit status 0.
set -uo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
export ESSP_HOME=$(mktemp -d) ESSP_BIN=$bin
# Below the ephemeral range (32768 and up), where outgoing connections
# could take a port while a service restarts.
export ESSP_PORT=$(( 10000 + (RANDOM % 700) * 32 ))
trap '"$root/deploy/down" >/dev/null 2>&1; rm -rf "$ESSP_HOME"' EXIT
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
services="intake validation review publication desk notify"
pids() { cat "$ESSP_HOME"/run/{intake,validation,review,publication,desk,notify}.pid 2>/dev/null | tr '\n' ' '; }

"$root/deploy/up" >"$ESSP_HOME/up1.out" 2>&1 || fail "deploy/up: $(tail -5 "$ESSP_HOME/up1.out")"
grep -q "essp directory" "$ESSP_HOME/up1.out" || fail "deploy/up does not say where to look"
grep -q '^ESSP_QUORUM_VOTES=3$' "$ESSP_HOME/essp.conf" || fail "deploy/up wrote no default essp.conf"
grep -q '^# ' "$ESSP_HOME/essp.conf" || fail "the default essp.conf says nothing of its settings"
# Files: essp.conf 0600 (it may hold secrets), logs 0640 in a 0750 folder.
[ "$(stat -c %a "$ESSP_HOME/essp.conf")" = 600 ] || fail "essp.conf is $(stat -c %a "$ESSP_HOME/essp.conf"), not 600"
[ "$(stat -c %a "$ESSP_HOME/log")" = 750 ] || fail "the log folder is $(stat -c %a "$ESSP_HOME/log"), not 750"
for service in $services; do
  mode=$(stat -c %a "$ESSP_HOME/log/$service.log")
  [ "$mode" = 640 ] || fail "log/$service.log is $mode, not 640"
done
# deploy/up returned: every service is ready (essp ping exits 0, one "yes" row each).
"$bin/essp" ping >"$ESSP_HOME/ping.out" 2>&1 || fail "essp ping after deploy/up: $(cat "$ESSP_HOME/ping.out")"
[ "$(grep -cE '^[a-z]+ +yes ' "$ESSP_HOME/ping.out")" = 6 ] || fail "not every service ready: $(cat "$ESSP_HOME/ping.out")"
echo "# kept" >>"$ESSP_HOME/essp.conf"
entries=$("$bin/essp" directory | wc -l)
[ "$entries" -ge 5 ] || fail "the demo published $entries entries, expected at least 5"
# The demo exercises the search: an action by its acronym (GPEC is spelled
# out by one listing, written as GPEC by another), a theme by its acronym.
gpec=$("$bin/essp" directory --q gpec | wc -l)
[ "$gpec" -ge 2 ] || fail "the demo's directory finds $gpec listings for « gpec », expected at least 2"
rse=$("$bin/essp" directory --q RSE --department 49 | wc -l)
[ "$rse" -ge 2 ] || fail "the demo's directory finds $rse listings for « RSE » in 49, expected at least 2"
# The demo's accounts on the desk: their passwords in a file of the owner's only.
accounts=$ESSP_HOME/demo-accounts.txt
[ "$(stat -c %a "$accounts")" = 600 ] || fail "demo-accounts.txt is $(stat -c %a "$accounts" 2>&1), not 600"
[ "$(wc -l <"$accounts")" = 4 ] || fail "demo-accounts.txt holds $(wc -l <"$accounts") accounts, expected 4"
grep -q "^staff	Équipe CRESS	equipe@cress.example	[A-Za-z0-9]\{20\}	totp:[A-Z2-7]\{32\}$" "$accounts" \
  || fail "no staff account with its TOTP secret in demo-accounts.txt"
grep -q "http://127.0.0.1:$((ESSP_PORT + 11))/" "$ESSP_HOME/up1.out" || fail "deploy/up does not print the desk's URL"
# No SMTP server: the demo's letters are files a newcomer opens.
grep -qF "courriels : $ESSP_HOME/mail/new" "$ESSP_HOME/up1.out" || fail "deploy/up does not say where mail goes"
for _ in $(seq 1 100); do
  [ "$(ls "$ESSP_HOME/mail/new" 2>/dev/null | grep -c '\.eml$')" -ge "$entries" ] && break
  sleep 0.1
done
letters=$(ls "$ESSP_HOME/mail/new" | grep -c '\.eml$')
[ "$letters" -ge "$entries" ] || fail "the demo left $letters letters in $ESSP_HOME/mail/new"
grep -qh '^Subject: ' "$ESSP_HOME"/mail/new/*.eml || fail "a letter of the Maildir has no Subject"

before=$(pids)
"$root/deploy/up" >"$ESSP_HOME/up2.out" 2>&1 || fail "second deploy/up failed"
[ "$(pids)" = "$before" ] || fail "a second deploy/up restarted services: $before -> $(pids)"
[ "$(grep -c 'already running' "$ESSP_HOME/up2.out")" = "$(echo $services | wc -w)" ] || fail "second deploy/up: $(cat "$ESSP_HOME/up2.out")"
[ "$("$bin/essp" directory | wc -l)" = "$entries" ] || fail "the demo was loaded twice"
grep -q '^# kept$' "$ESSP_HOME/essp.conf" || fail "a second deploy/up replaced essp.conf"

old=$(cat "$ESSP_HOME/run/review.pid")
kill -KILL "$old"
# Restarted: the pid file names another, living process, and review answers.
# A pid file gone, or a review that never answers, is no restart.
restarted=
for _ in $(seq 1 200); do
  new=$(cat "$ESSP_HOME/run/review.pid" 2>/dev/null)
  [ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" 2>/dev/null && ESSP_TIMEOUT_MS=300 ESSP_RETRIES=1 "$bin/essp" ping review >/dev/null 2>&1 \
    && { restarted=1; break; }
  sleep 0.1
done
[ -n "$restarted" ] || fail "review was not restarted after kill -9 (pid file: '${new:-}', was $old)"
[ "$("$bin/essp" directory | wc -l)" = "$entries" ] || fail "entries changed across a restart"

running=$(pids)
"$root/deploy/down" >/dev/null 2>&1 || fail "deploy/down failed"
for service in $services; do
  grep -q "essp-$service stopped with status 0" "$ESSP_HOME/log/$service.log" \
    || fail "$service did not exit 0 on SIGTERM: $(tail -3 "$ESSP_HOME/log/$service.log")"
done
for pid in $running; do
  kill -0 "$pid" 2>/dev/null && fail "process $pid still running after deploy/down"
done
echo "ok   deploy up, up again, kill -9, down"
echo "1 passed, 0 failed"
