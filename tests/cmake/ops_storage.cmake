# Storage trouble as a temporary failure, and memory returned after a backlog.

# storage: the stores on a small tmpfs filled by a ballast file (mounts:
# run as root, as the tests do); memory: a 30 s stall of review under
# 150 applications/s and each service's RssAnon afterwards.
essp_stack_test(storage 300)
# Under the sanitizers the allocator is ASan's, which keeps freed blocks in
# quarantine on purpose: what stack.memory measures is glibc's, so it runs
# in the default build only (the sanitizer pass runs everything else).
if(NOT ESSP_SANITIZE)
  essp_stack_test(memory 300)
else()
  message(STATUS "stack.memory is left out of this build: ASan's allocator replaces the one it measures")
endif()
