#!/usr/bin/env bash
# stack.k8s: deploy/k8s renders with `kubectl kustomize` (the base, and the
# overlay small with keys made by deploy/k8s/make-keys from this build's
# programs), every rendered manifest validates against the Kubernetes
# OpenAPI schema offline (tests/k8s/validate.mjs: the schemas bundled by the
# npm package kubernetes-models, installed once under the build folder),
# and the manifests say what the deployment promises: one StatefulSet per
# service with one replica and a ReadWriteOnce volume, headless Services
# that publish pods before they are ready, probes on the health request,
# resources, NetworkPolicies that open each CURVE port to its readers only,
# the tick and backup CronJobs.  The pods themselves run in stack.image
# (podman kube play).
#   tests/stack/test_k8s.sh BIN_DIR CACHE_DIR
set -uo pipefail
bin=$(realpath "$1")
cache=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
command -v kubectl >/dev/null || skip "kubectl is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES: kubernetes-client)"
command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm are missing (deploy/lib.sh)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is missing (deploy/lib.sh ESSP_IMAGE_PACKAGES)"
started=$SECONDS

# The validator: package.json and package-lock.json of tests/k8s, installed
# from the npm registry the first time (npm ci), kept in the build folder.
validator=$cache/validator
mkdir -p "$validator"
if ! cmp -s "$root/tests/k8s/package-lock.json" "$validator/package-lock.json" \
   || [ ! -d "$validator/node_modules/kubernetes-models" ]; then
  cp "$root/tests/k8s/package.json" "$root/tests/k8s/package-lock.json" "$validator/"
  (cd "$validator" && npm ci --no-audit --no-fund --loglevel=error) >"$cache/npm.log" 2>&1 \
    || fail "npm ci of tests/k8s: $(tail -n 5 "$cache/npm.log")"
fi
cp "$root/tests/k8s/validate.mjs" "$validator/"
validate() { node "$validator/validate.mjs"; }

# The validator refuses what Kubernetes refuses: a replica count that is
# not a number, a port that is not one.
printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec:\n  serviceName: x\n  replicas: one\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n' \
  | validate >"$cache/bad.out" && fail "the validator took replicas: one"
grep -q 'replicas must be integer' "$cache/bad.out" || fail "the validator does not name the field: $(cat "$cache/bad.out")"

# Rendering: the base as it is, the overlay with keys.
work=$cache/tree
rm -rf "$work"; cp -r "$root/deploy/k8s" "$work"; rm -rf "$work/overlays/small/keys"
kubectl kustomize "$work/base" >"$cache/base.yaml" 2>"$cache/kustomize.log" \
  || fail "kubectl kustomize deploy/k8s/base: $(cat "$cache/kustomize.log")"
kubectl kustomize "$work/overlays/small" >"$cache/small.yaml" 2>"$cache/kustomize.log" \
  && fail "the overlay renders without its keys (make-keys must come first)"
"$root/deploy/k8s/make-keys" "$work/overlays/small/keys" "$bin" 2>"$cache/make-keys.log" \
  || fail "deploy/k8s/make-keys: $(cat "$cache/make-keys.log")"
kubectl kustomize "$work/overlays/small" >"$cache/small.yaml" 2>"$cache/kustomize.log" \
  || fail "kubectl kustomize deploy/k8s/overlays/small: $(cat "$cache/kustomize.log")"
for rendered in base small; do
  validate <"$cache/$rendered.yaml" >"$cache/$rendered.validated" \
    || fail "the $rendered manifests against the OpenAPI schema: $(grep -v '^ok' "$cache/$rendered.validated")"
  echo "# $rendered: $(tail -n 1 "$cache/$rendered.validated")"
done

# What the manifests promise, read from the rendered overlay.
/usr/bin/python3 - "$cache/small.yaml" "$root/common/auth.c" <<'PY' || fail "the rendered manifests"
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by = {}
for d in docs:
    by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
services = ["intake", "validation", "review", "publication", "desk", "notify"]
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
for s in services:
    sts = by["StatefulSet"].get(f"essp-{s}")
    check(sts is not None, f"no StatefulSet essp-{s}")
    if not sts:
        continue
    spec = sts["spec"]
    check(spec["replicas"] == 1, f"essp-{s}: {spec['replicas']} replicas, not 1 (one writer per store)")
    claims = spec.get("volumeClaimTemplates", [])
    check(claims and claims[0]["spec"]["accessModes"] == ["ReadWriteOnce"], f"essp-{s}: no ReadWriteOnce volume")
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    check(c["command"] == [f"essp-{s}"], f"essp-{s}: runs {c['command']}")
    check(pod["securityContext"].get("runAsNonRoot") and pod["securityContext"]["runAsUser"] != 0,
          f"essp-{s}: may run as root")
    check(c["readinessProbe"]["httpGet"]["path"] == "/healthz", f"essp-{s}: readiness not on /healthz")
    check("essp ping" in " ".join(c["livenessProbe"]["exec"]["command"]), f"essp-{s}: liveness not on essp ping")
    check("memory" in c["resources"]["requests"] and "memory" in c["resources"]["limits"],
          f"essp-{s}: no memory request or limit")
    svc = by["Service"].get(f"essp-{s}")
    check(svc and svc["spec"].get("clusterIP") == "None" and svc["spec"].get("publishNotReadyAddresses"),
          f"essp-{s}: no headless Service that publishes pods before they are ready")
# Each CURVE port open to the readers common/auth.c lets pull, and the callers.
auth = open(sys.argv[2]).read()
readers = {m.group(1).lower(): [r.lower() for r in re.findall(r"SERVICE_([A-Z]+)", m.group(2)) if r != "COUNT"]
           for m in re.finditer(r"\[SERVICE_([A-Z]+)\] = \{([^}]*)\}", auth)}
# A table auth.c spells otherwise would read as no readers at all, and the
# checks of the readers below would pass on nothing.
unread = sorted({"intake", "validation", "review"} - {s for s, r in readers.items() if r})
if unread:
    print(f"FAIL: no readers of {', '.join(unread)} read from common/auth.c's auth_may_pull "
          f"(read {readers}): the pattern of this test no longer matches its table")
    sys.exit(1)
secure = {"intake": 7706, "validation": 7707, "review": 7705, "desk": 7710, "notify": 7713}
for s, port in secure.items():
    policy = by["NetworkPolicy"].get(f"essp-{s}")
    check(policy is not None, f"no NetworkPolicy essp-{s}")
    if not policy:
        continue
    allowed = set()
    for rule in policy["spec"]["ingress"]:
        if any(p["port"] == port for p in rule.get("ports", [])):
            check("from" in rule, f"essp-{s}: CURVE port {port} open to every source")
            for peer in rule.get("from", []):
                labels = peer.get("podSelector", {}).get("matchLabels", {})
                check(labels, f"essp-{s}: CURVE port {port} open to every pod")
                allowed.add(labels.get("app.kubernetes.io/component"))
    for reader in readers.get(s, []):
        check(reader in allowed, f"essp-{s}: {reader} reads its stream but may not reach port {port}")
    for other in set(services) - set(readers.get(s, [])) - {"desk", "intake", "review"} - {s}:
        check(other not in allowed, f"essp-{s}: {other} may reach port {port} and reads nothing there")
check("essp-default-deny" in by["NetworkPolicy"], "no default deny")
jobs = by.get("CronJob", {})
tick = jobs.get("essp-tick", {}).get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
check(tick and tick["containers"][0]["command"] == ["essp", "clock", "tick"], "no CronJob essp-tick running essp clock tick")
backup = jobs.get("essp-backup", {}).get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
check(backup and "essp backup" in " ".join(backup["containers"][0]["command"]), "no CronJob essp-backup running essp backup")
ingress = by["Ingress"].get("essp")
backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]} if ingress else set()
check(backends == {"essp-intake-http", "essp-desk-http"}, f"the Ingress reaches {backends}")
check(any(n.startswith("essp-conf") for n in by["ConfigMap"]), "no ConfigMap essp-conf")
for secret in ["essp-certs", "essp-allowed", "essp-staff", "essp-stream-key"] + [f"essp-keys-{s}" for s in services]:
    check(secret in by["Secret"], f"no Secret {secret}")
check("publication.key" in by["Secret"].get("essp-stream-key", {}).get("data", {}), "no stream signing key")
for p in problems:
    print("FAIL:", p)
print(f"# {len(docs)} manifests: {', '.join(f'{len(v)} {k}' for k, v in sorted(by.items()))}")
sys.exit(1 if problems else 0)
PY
echo "# $((SECONDS - started)) s in all"
echo "1 passed, 0 failed"
