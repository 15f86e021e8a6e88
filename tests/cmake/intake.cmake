# Tests of intake: added here so that each part of the tree keeps its own list.
# intake's core on a temporary LMDB, the shell's calls answered by the
# bench of every core (tests/cmake/core_bench.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)
essp_core_test(test_intake_core essp_intake_core)
