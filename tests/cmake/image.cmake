# The container image (podman) and the Kubernetes manifests.
# Label "hosts": run by the default pass of deploy/test when it can.
