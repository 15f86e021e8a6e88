# Storage trouble as a temporary failure, and memory returned after a backlog.

# storage: the stores on a small tmpfs filled by a ballast file (mounts:
# run as root, as the tests do); memory: a 30 s stall of review under
# 150 applications/s and each service's RssAnon afterwards.
essp_stack_test(storage 300)
essp_stack_test(memory 300)
