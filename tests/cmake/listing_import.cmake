# essp import: the directory that existed before essp, brought in by staff.

include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)

# review decides an imported listing without a round (services/review/direct.h).
essp_core_test(test_review_direct essp_review_core unit/review_bench.c)

# essp import on the real stack: 10,000 generated rows (tests/stack/import_file.py),
# the bad ones reported, published without a vote, a second run adding nothing,
# a dry run, hostile files, staff only; then a kill -9 of essp import and of
# intake in the middle of an import, and a rerun that completes it.
essp_stack_test(import 900)
essp_stack_test(import_kill 900)
# The figure (10,000 rows, end to end) is measured by tests/bench/import_speed.py.

# The rows of an import file (proto/import_row.h): CSV and JSONL, and what
# cannot be read.
essp_unit_test(test_import_row unit/test_import_row.c)
