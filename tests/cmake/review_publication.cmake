# Tests of review_publication: added here so that each part of the tree keeps its own list.

# A core on a temporary LMDB (tests/unit/core_bench.h): the calls through
# which a core reaches its shell are wrapped at link time, so that a bench
# answers them; the rest of the shell (service_refuse) is the real one.
function(essp_core_test name core)
  essp_unit_test(${name} unit/${name}.c unit/core_bench.c)
  target_link_libraries(${name} PRIVATE ${core} essp_common)
  target_link_options(${name} PRIVATE
    -Wl,--wrap=service_db,--wrap=service_event_begin,--wrap=service_event_end
    -Wl,--wrap=service_log_redact,--wrap=service_log_head)
endfunction()

# review's handlers: members, queue, votes, recusal, quorum, appeal,
# complaint, withdrawal, tick, erasure.
essp_core_test(test_review_core essp_review_core)

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
