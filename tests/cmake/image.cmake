# The container image (podman) and the Kubernetes manifests.
# Label "hosts": run by the default pass of deploy/test when it can.
#
# stack.image: deploy/Containerfile's runtime stage built by rootful podman
# from a debootstrap base (kept under esspi-image/ of the build folder: a
# second run reaches no network), this build's programs copied in, one
# container per service on a podman network, an application through to the
# stream and a mirror; then the pods of deploy/k8s under podman kube play.
# Skipped (77) when podman cannot run here.  RUN_SERIAL: it builds, starts
# eight containers and six pods.
add_test(NAME stack.image
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stack/test_image.sh ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/esspi-image)
set_tests_properties(stack.image PROPERTIES LABELS "stack;hosts" TIMEOUT 600 RUN_SERIAL TRUE
  SKIP_RETURN_CODE 77)
# stack.k8s: deploy/k8s rendered by kubectl kustomize, every manifest
# against the Kubernetes OpenAPI schema offline (npm kubernetes-models,
# installed once under esspi-k8s/ of the build folder), and what the
# manifests promise.
add_test(NAME stack.k8s
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stack/test_k8s.sh ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/esspi-k8s)
set_tests_properties(stack.k8s PROPERTIES LABELS "stack;hosts" TIMEOUT 300 SKIP_RETURN_CODE 77)
