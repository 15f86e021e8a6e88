# essp import: the directory that existed before essp, brought in by staff.

include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)

# review decides an imported listing without a round (services/review/direct.h).
essp_core_test(test_review_direct essp_review_core)
