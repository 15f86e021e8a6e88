# Tests of what the desk and notify rely on in the existing services:
# members' e-mails and digests, pending, the sealed token and its reissue.
include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)

# common/sealed_token.h: seal and open, wrong key, truncated box.
essp_unit_test(test_sealed_token unit/test_sealed_token.c)
target_link_libraries(test_sealed_token PRIVATE essp_common)
target_compile_definitions(test_sealed_token PRIVATE _GNU_SOURCE)

# review's member_update and pending, on a temporary LMDB.
essp_core_test(test_review_contract essp_review_core unit/review_bench.c)

# intake's sealed token in submitted and token_reissue, on a temporary LMDB.
essp_core_test(test_intake_reissue essp_intake_core)

# The whole reissue through the real services: tests/stack/test_token_reissue.py
# (lmdb_edit, tests/CMakeLists.txt: a store from before the index of addresses).
essp_stack_test(token_reissue 600 "ESSP_LMDB_EDIT=$<TARGET_FILE:lmdb_edit>")

# The receipt and the follow page point to « J'ai perdu mon lien de suivi ».
essp_unit_test(test_lost_link_pages unit/test_lost_link_pages.c)
target_link_libraries(test_lost_link_pages PRIVATE essp_intake_web)
