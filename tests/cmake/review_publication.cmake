# Tests of review_publication: added here so that each part of the tree keeps its own list.

# Each core on a temporary LMDB: essp_core_test (tests/cmake/core_bench.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)

# review's handlers: members, queue, votes, recusal, quorum, appeal,
# complaint, withdrawal, tick, erasure.
essp_core_test(test_review_core essp_review_core unit/review_bench.c)

# publication's core: the signed stream, the directory's pages and
# filters, suspension, reinstatement, erasure.
essp_core_test(test_publication_core essp_publication_core)

# validation's core: the verdict, what goes on to review, appeals and
# erasures passed on.
essp_core_test(test_validation_core essp_validation_core)

# The stream key's rotation: the key event signed and verified, publication
# adopting keys/publication.next (hello, start), the files kept, redacted
# events signed by the key of their seq, and essp-mirror following the
# chain from the first key and refusing a forged key event.
essp_core_test(test_stream_rekey essp_publication_core)
target_link_libraries(test_stream_rekey PRIVATE essp_mirror_core)
