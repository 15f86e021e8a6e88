#!/usr/bin/env bash
# stack.image: deploy/Containerfile's runtime stage built by rootful podman
# from a local Debian base (debootstrap, no registry), with this build's
# programs; the stack as one container per service on a podman network,
# each finding the others by name; an application submitted from another
# container, voted and published, read back from the publication stream
# and from a mirror's site built in a container of its own.  Then the pods
# of deploy/k8s (overlay small) under `podman kube play`.
#   tests/stack/test_image.sh BIN_DIR CACHE_DIR
set -uo pipefail
bin=$(realpath "$1")
cache=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/stack/podman.sh"
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
started=$SECONDS

# A first run on a machine makes its Debian base with debootstrap (minutes,
# from Debian's mirror) and builds the image: asked for, not by default.
[ "${ESSP_TEST_IMAGE:-0}" = 1 ] || { echo "stack.image is skipped: ESSP_TEST_IMAGE=1 deploy/test runs it (it installs podman and debootstrap, makes a Debian base on its first run: minutes)"; exit 77; }
esspi_podman_setup "$cache"
command -v kubectl >/dev/null || esspi_skip "kubectl is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES: kubernetes-client)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || esspi_skip "python3-yaml is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES)"
trap esspi_cleanup EXIT
esspi_cleanup

# --- the image
esspi_base_image "$root" "$cache" || fail "no base image"
echo "# base ready after $((SECONDS - started)) s"
pm build --quiet --target runtime --build-arg BASE=localhost/esspi-base:bookworm \
  -f "$root/deploy/Containerfile" -t localhost/esspi-runtime "$root" >"$cache/build.log" 2>&1 \
  || fail "podman build of deploy/Containerfile's runtime stage: $(tail -n 20 "$cache/build.log")"
context=$cache/context
rm -rf "$context"; mkdir -p "$context/bin"
for program in essp essp-intake essp-validation essp-review essp-publication essp-desk essp-notify essp-mirror; do
  cp "$bin/$program" "$context/bin/" || fail "$bin/$program is missing"
done
pm build --quiet --build-arg RUNTIME=localhost/esspi-runtime -f "$root/tests/stack/image.Containerfile" \
  -t localhost/esspi-image "$context" >>"$cache/build.log" 2>&1 \
  || fail "podman build of the image: $(tail -n 20 "$cache/build.log")"
image=localhost/esspi-image
size=$(pm image inspect --format '{{.Size}}' "$image")
echo "# image built after $((SECONDS - started)) s: $((size / 1024 / 1024)) MiB (runtime stage $(( $(pm image inspect --format '{{.Size}}' localhost/esspi-runtime) / 1024 / 1024 )) MiB)"

# What the runtime holds: no compiler, a user that is not root, the volume.
whoami=$(pm run --rm "$image" sh -c 'for tool in cc gcc c99 ld as make; do
  command -v "$tool" && exit 1; done; id -un') || fail "the image holds a compiler tool: $whoami"
[ "$whoami" = essp ] || fail "the image runs as $whoami, not as the user essp"
[ "$(pm image inspect --format '{{.Config.User}}' "$image")" = essp ] || fail "the image's user is not essp"
pm image inspect --format '{{json .Config.Volumes}}' "$image" | grep -q '/var/lib/essp' \
  || fail "the image declares no volume /var/lib/essp"

# --- the stack: one container per service on one network
pm network create esspi-net >/dev/null || fail "podman network create"
[ "$(pm network inspect --format '{{.DNSEnabled}}' esspi-net)" = true ] \
  || fail "the podman network has no DNS (aardvark-dns): containers cannot find each other by name"
# Where each service is, by name on the network: the settings a host gives.
endpoints=(
  -e ESSP_INTAKE_ENDPOINT=tcp://intake:7700 -e ESSP_VALIDATION_ENDPOINT=tcp://validation:7701
  -e ESSP_REVIEW_ENDPOINT=tcp://review:7702 -e ESSP_PUBLICATION_ENDPOINT=tcp://publication:7703
  -e ESSP_DESK_ENDPOINT=tcp://desk:7709 -e ESSP_NOTIFY_ENDPOINT=tcp://notify:7712
  -e ESSP_REVIEW_SECURE_ENDPOINT=tcp://review:7705 -e ESSP_INTAKE_SECURE_ENDPOINT=tcp://intake:7706
  -e ESSP_VALIDATION_SECURE_ENDPOINT=tcp://validation:7707 -e ESSP_DESK_SECURE_ENDPOINT=tcp://desk:7710
  -e ESSP_NOTIFY_SECURE_ENDPOINT=tcp://notify:7713 -e ESSP_DESK_URL=http://desk:7711/
  -e ESSP_DURABLE=1 -e ESSP_MAP_MB=64
)
# Each service its own data volume; the public certificates and the keys
# the services make at their first start in one volume of keys, as on one
# host (across hosts, deploy/README.md « Conteneurs et Kubernetes »).
for service in intake validation review publication desk notify; do
  pm run -d --name "esspi-$service" --hostname "$service" --network esspi-net --network-alias "$service" \
    -v "esspi-$service:/var/lib/essp:U" -v esspi-keys:/var/lib/essp/keys:U "${endpoints[@]}" \
    "$image" "essp-$service" >/dev/null || fail "essp-$service did not start in its container"
done
pm run -d --name esspi-cli --hostname cli --network esspi-net -v esspi-cli:/var/lib/essp:U \
  -v esspi-keys:/var/lib/essp/keys:U -v "$root/tests/fixtures/applications/valid:/fixtures:ro" \
  "${endpoints[@]}" "$image" sleep infinity >/dev/null || fail "the CLI's container did not start"
cli() { pm exec esspi-cli "$@"; }
logs() { local s; for s in intake validation review publication desk notify; do
  echo "--- $s"; pm logs --tail 8 "esspi-$s" 2>&1; done; }

# SIGTERM to every container named, all at once, as podman stop and a
# kubelet send it; each must end with status 0 within 30 s (Kubernetes'
# terminationGracePeriodSeconds).  One that has not is described (its
# threads and where each waits in the kernel) before it is killed.
stop_all() {
  local name pid t deadline=$((SECONDS + 30)) late=""
  pm kill -s TERM "$@" >/dev/null
  for name in "$@"; do
    while [ "$(pm inspect --format '{{.State.Running}}' "$name")" = true ] && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
    if [ "$(pm inspect --format '{{.State.Running}}' "$name")" = true ]; then
      pid=$(pm inspect --format '{{.State.Pid}}' "$name")
      late="$late $name (threads:$(for t in /proc/"$pid"/task/*; do
        printf ' %s in %s, syscall %s;' "$(cat "$t/comm")" "$(cat "$t/wchan")" "$(cut -d' ' -f1 "$t/syscall")"; done))"
      pm kill -s KILL "$name" >/dev/null 2>&1
    fi
  done
  [ -z "$late" ] || fail "not stopped 30 s after SIGTERM:$late"
  for name in "$@"; do
    code=$(pm inspect --format '{{.State.ExitCode}}' "$name")
    [ "$code" = 0 ] || fail "$name stopped with status $code"
  done
}

# Every service ready: it answers and hears from every stream it follows,
# across the containers (essp ping exits 0 when all are).
ready=0
for _ in $(seq 1 300); do
  cli env ESSP_TIMEOUT_MS=300 ESSP_RETRIES=1 essp ping >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.2
done
[ "$ready" = 1 ] || fail "the stack in containers is not ready: $(cli essp ping 2>&1) $(logs)"
echo "# stack ready after $((SECONDS - started)) s"
for service in intake validation review publication desk notify; do
  [ "$(pm exec "esspi-$service" id -u)" = 10001 ] || fail "essp-$service runs as $(pm exec "esspi-$service" id -un), not essp"
done
# intake's gateway and a metrics port answer on the containers' addresses.
address=$(pm inspect --format '{{(index .NetworkSettings.Networks "esspi-net").IPAddress}}' esspi-intake)
curl -sf "http://$address:7704/healthz" | grep -q '"ready":true' \
  || fail "intake's gateway at $address:7704/healthz is not ready: $(curl -s "http://$address:7704/healthz")"
curl -sf "http://$address:7716/metrics" | grep -q '^essp_uptime_seconds' \
  || fail "intake's metrics at $address:7716 do not answer"

# --- an application through the stack, from the CLI's container
cli essp staff init operator >/dev/null || fail "essp staff init"
for member in "Claire Moreau:researchers" "Hervé Le Guen:local_authorities" "Sophie Bernard:ess_networks"; do
  cli essp member add "${member%%:*}" --college "${member##*:}" >/dev/null \
    || fail "essp member add ${member%%:*}: $(cli essp member add "${member%%:*}" --college "${member##*:}" 2>&1)"
done
receipt=$(cli essp submit /fixtures/mutuelle-entraide-vendee.json --key esspi-image) \
  || fail "essp submit from the CLI's container"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$receipt")
[ -n "$id" ] || fail "no id in the receipt: $receipt"
state() { cli essp status "$id" | sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p' | head -n 1; }
# The file reaches the committee once validation and review have applied
# intake's and validation's streams: wait for that state.
for _ in $(seq 1 150); do [ "$(state)" = in_review ] && break; sleep 0.2; done
[ "$(state)" = in_review ] || fail "the application is $(state), not in_review: $(logs)"
for member in "Claire Moreau" "Hervé Le Guen" "Sophie Bernard"; do
  cli essp vote "$id" approve --as "$member" >/dev/null || fail "$member's vote"
done
for _ in $(seq 1 150); do [ "$(state)" = published ] && break; sleep 0.2; done
[ "$(state)" = published ] || fail "the application is $(state), not published: $(logs)"
cli essp stream --from 0 | grep "\"id\":\"$id\"" | grep -q '"type":"upsert"' \
  || fail "the publication stream has no upsert of $id: $(cli essp stream --from 0)"
cli essp directory | grep -q "\"id\":\"$id\"" || fail "the directory does not list $id"
echo "# published and in the stream after $((SECONDS - started)) s"

# A downstream site in a container of its own: essp-mirror follows the
# stream over the network, checks every signature with the stream's key.
pm run --rm --name esspi-mirror --network esspi-net -v esspi-mirror:/var/lib/essp:U \
  -v esspi-keys:/var/lib/essp/keys:ro "$image" essp-mirror --once --out /var/lib/essp/site \
  --endpoint tcp://publication:7703 --key-file /var/lib/essp/keys/publication.pub >"$cache/mirror.log" 2>&1 \
  || fail "essp-mirror in its container: $(tail -n 5 "$cache/mirror.log")"
pm run --rm -v esspi-mirror:/var/lib/essp "$image" cat /var/lib/essp/site/annuaire.json | grep -q "$id" \
  || fail "the mirror's annuaire.json does not hold $id"

# SIGTERM ends each service with status 0, all at once.
stopping=$SECONDS
stop_all esspi-intake esspi-validation esspi-review esspi-publication esspi-desk esspi-notify
echo "# the six services stopped in $((SECONDS - stopping)) s"
pm rm -f esspi-intake esspi-validation esspi-review esspi-publication esspi-desk esspi-notify esspi-cli >/dev/null
echo "# containers' part done after $((SECONDS - started)) s"

# --- the pods of deploy/k8s under podman kube play
# The overlay "small" rendered with keys made by deploy/k8s/make-keys, each
# StatefulSet's pod run as its controller would make it (tests/k8s/kube_play.py
# says what stands in for what podman lacks); all six ready across the
# network with the keys of the Secrets, an application into the committee's
# queue through them.
k8s=$cache/k8s
rm -rf "$k8s"; mkdir -p "$k8s/play"; cp -r "$root/deploy/k8s/." "$k8s/tree"; rm -rf "$k8s/tree/overlays/small/keys"
"$root/deploy/k8s/make-keys" "$k8s/tree/overlays/small/keys" "$bin" 2>"$k8s/make-keys.log" \
  || fail "deploy/k8s/make-keys: $(cat "$k8s/make-keys.log")"
kubectl kustomize "$k8s/tree/overlays/small" >"$k8s/rendered.yaml" 2>"$k8s/kustomize.log" \
  || fail "kubectl kustomize overlays/small: $(cat "$k8s/kustomize.log")"
/usr/bin/python3 "$root/tests/k8s/kube_play.py" "$k8s/rendered.yaml" "$k8s/play" "$image" \
  || fail "tests/k8s/kube_play.py"
. "$k8s/play/play.sh" >"$k8s/play.log" 2>&1 || fail "podman kube play: $(tail -n 20 "$k8s/play.log")"
# The CLI on the same network, with the endpoints of the ConfigMap.
/usr/bin/python3 - "$k8s/rendered.yaml" >"$k8s/endpoints.env" <<'PY' || fail "no ConfigMap essp-endpoints"
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("essp-endpoints"):
        print("\n".join(f"{k}={v}" for k, v in doc["data"].items()))
        sys.exit(0)
sys.exit(1)
PY
pm run -d --name esspi-cli --network esspi-net --env-file "$k8s/endpoints.env" \
  -v "$root/tests/fixtures/applications/valid:/fixtures:ro" "$image" sleep infinity >/dev/null \
  || fail "the CLI's container did not start"
pod_logs() { local s m; for s in intake validation review publication desk notify; do
  m=$(pm volume inspect --format '{{.Mountpoint}}' "esspi-essp-$s-store" 2>/dev/null)
  echo "--- $s"; tail -n 5 "$m/log/$s.log" 2>&1; done; }
ready=0
for _ in $(seq 1 300); do
  cli env ESSP_TIMEOUT_MS=300 ESSP_RETRIES=1 essp ping >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.2
done
[ "$ready" = 1 ] || fail "the pods of deploy/k8s are not ready: $(cli essp ping 2>&1) $(pod_logs)"
echo "# the six pods of deploy/k8s ready after $((SECONDS - started)) s"
for service in intake validation review publication desk notify; do
  [ "$(pm exec "esspi-$service-$service" id -u)" = 10001 ] || fail "the pod's essp-$service does not run as 10001"
  pm exec "esspi-$service-$service" sh -c 'touch /usr/local/bin/x' 2>/dev/null \
    && fail "the root filesystem of essp-$service's pod is writable (readOnlyRootFilesystem)"
done
receipt=$(cli essp submit /fixtures/scop-ancrage-conseil-nantes.json --key esspi-k8s) \
  || fail "essp submit to the pods"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$receipt")
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$receipt")
state() { cli essp status "$id" --token "$token" | sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p' | head -n 1; }
for _ in $(seq 1 150); do [ "$(state)" = in_review ] && break; sleep 0.2; done
[ "$(state)" = in_review ] || fail "through the pods, the application is $(state), not in_review: $(pod_logs)"
stopping=$SECONDS
stop_all $(for s in intake validation review publication desk notify; do echo "esspi-$s-$s"; done)
echo "# the six pods stopped in $((SECONDS - stopping)) s"
echo "# $((SECONDS - started)) s in all"
echo "1 passed, 0 failed"
