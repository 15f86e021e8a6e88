# Tests of intake: added here so that each part of the tree keeps its own list.
# intake's core on a temporary LMDB, the shell's few calls defined in the
# test itself (common/service.c is not linked in).
essp_unit_test(test_intake_core unit/test_intake_core.c)
target_link_libraries(test_intake_core PRIVATE essp_intake_core)
