#!/usr/bin/python3
"""tests/k8s/kube_play.py RENDERED.yaml WORK_DIR IMAGE

Writes WORK_DIR/play.sh, which the test sources (with its function pm):

The pods of deploy/k8s as `podman kube play` runs them: each StatefulSet of
the rendered manifests becomes the Pod its controller would make (its pod
template, named as the StatefulSet's pod 0, the image the test built), with
what podman has no notion of replaced by its equal on one host: the
volumeClaimTemplate by a named volume, the projected and secret volumes of
keys by folders of the Secrets' files (podman has no Kubernetes Secrets).
The ConfigMaps go along as they are (named esspi-*), the restart policy is
Never (the test reads each service's exit status).  Everything else of the
spec (commands, envFrom, probes, security context, mounts) is kept as
rendered.
podman 4.3 waits 20 s for an init container's end that it misses, so each
init container is run first as the kubelet would, with the pod's volumes
(`podman run`, the same image, command, user and mounts), then the pod
without it, one `podman kube play` each, with the StatefulSet's name as
its name on the network (what the headless Service gives in a cluster).
"""
import json
import shlex
import os
import sys

import yaml


def secret_files(docs):
    """Secret name -> {file name: content}, from the rendered Secrets."""
    import base64
    out = {}
    for doc in docs:
        if doc.get("kind") == "Secret":
            out[doc["metadata"]["name"]] = {
                k: base64.b64decode("".join(v.split())) for k, v in (doc.get("data") or {}).items()}
    return out


def lay_out(folder, files, items=None):
    os.makedirs(folder, mode=0o755, exist_ok=True)
    for key, content in files.items():
        path = os.path.join(folder, (items or {}).get(key, key))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        # The pod's user reads them, as the Secret's defaultMode and
        # fsGroup would let it.
        os.chown(path, 10001, 10001)
        os.chmod(path, 0o400)


def init_runs(pod, image):
    """podman run lines for the pod's init containers, its volumes mounted."""
    sources = {}
    for v in pod["spec"]["volumes"]:
        if "hostPath" in v:
            sources[v["name"]] = (v["hostPath"]["path"], False)
        elif "persistentVolumeClaim" in v:
            # :U gives the volume to the pod's user, as fsGroup does.
            sources[v["name"]] = (v["persistentVolumeClaim"]["claimName"], True)
    user = pod["spec"].get("securityContext", {}).get("runAsUser", 0)
    lines = []
    for c in pod["spec"].pop("initContainers", []):
        args = ["pm", "run", "--rm", "--user", f"{user}:{user}", "--read-only"]
        for m in c.get("volumeMounts", []):
            source, own = sources[m["name"]]
            opts = ",".join((["ro"] if m.get("readOnly") else []) + (["U"] if own else []))
            args += ["-v", f"{source}:{m['mountPath']}" + (f":{opts}" if opts else "")]
        args += ["--entrypoint", c["command"][0], image] + c["command"][1:]
        lines.append(" ".join(shlex.quote(a) for a in args))
    return lines


def pod_of(sts, secrets, keys_dir, image, network):
    name = sts["metadata"]["name"]
    spec = sts["spec"]["template"]["spec"]
    for c in spec.get("initContainers", []) + spec["containers"]:
        c["image"] = image
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                source["configMapRef"]["name"] = "esspi-" + source["configMapRef"]["name"]
    volumes = []
    for v in spec["volumes"]:
        folder = os.path.join(keys_dir, name, v["name"])
        if "projected" in v:
            for source in v["projected"]["sources"]:
                s = source["secret"]
                items = {i["key"]: i["path"] for i in s.get("items", [])}
                lay_out(folder, secrets[s["name"]], items)
            volumes.append({"name": v["name"], "hostPath": {"path": folder, "type": "Directory"}})
        elif "secret" in v:
            lay_out(folder, secrets[v["secret"]["secretName"]])
            volumes.append({"name": v["name"], "hostPath": {"path": folder, "type": "Directory"}})
        elif "configMap" in v:
            # podman keeps a ConfigMap's volume under its name: ours are esspi*.
            v["configMap"]["name"] = "esspi-" + v["configMap"]["name"]
            volumes.append(v)
        else:
            volumes.append(v)
    for claim in sts["spec"].get("volumeClaimTemplates", []):
        volumes.append({"name": claim["metadata"]["name"],
                        "persistentVolumeClaim": {"claimName": f"esspi-{name}-{claim['metadata']['name']}"}})
    spec["volumes"] = volumes
    # The test stops each service and reads how it ended: podman would
    # start it again at once under the StatefulSet's restartPolicy Always.
    spec["restartPolicy"] = "Never"
    # Init containers kept after they ran ("always"): podman 4.3 removing
    # a "once" init container may find it still running and stop the play.
    meta = {"name": f"esspi-{name[len('essp-'):]}", "labels": sts["spec"]["template"]["metadata"]["labels"],
            "annotations": {"io.podman.annotations.init.container.type": "always"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def main():
    rendered, work, image = sys.argv[1:4]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    secrets = secret_files(docs)
    maps = [d for d in docs if d["kind"] == "ConfigMap"]
    for m in maps:
        m["metadata"]["name"] = "esspi-" + m["metadata"]["name"]
    script = []
    for sts in (d for d in docs if d["kind"] == "StatefulSet"):
        pod = pod_of(sts, secrets, os.path.join(work, "secrets"), image, None)
        script += init_runs(pod, image)
        path = os.path.join(work, pod["metadata"]["name"] + ".yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(maps + [pod], f, sort_keys=False)
        script.append(f"pm kube play --network esspi-net:alias={sts['metadata']['name']} {shlex.quote(path)}")
    with open(os.path.join(work, "play.sh"), "w") as f:
        f.write("\n".join(script) + "\n")


if __name__ == "__main__":
    main()
