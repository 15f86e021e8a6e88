# tests/cmake/core_bench.cmake - essp_core_test(NAME CORE [SOURCES...]): a
# service's core tested on a temporary LMDB (tests/unit/core_bench.h), with
# the test's own helpers (review's: unit/review_bench.c), included by the
# parts whose cores are tested so.
#
# The calls through which a core reaches its shell are wrapped at link
# time, so that a bench answers them; the rest of the shell
# (service_refuse) is the real one.
include_guard(GLOBAL)

function(essp_core_test name core)
  essp_unit_test(${name} unit/${name}.c unit/core_bench.c ${ARGN})
  target_link_libraries(${name} PRIVATE ${core} essp_common)
  target_link_options(${name} PRIVATE
    -Wl,--wrap=service_db,--wrap=service_event_begin,--wrap=service_event_end
    -Wl,--wrap=service_log_redact,--wrap=service_log_head,--wrap=service_log_get
    -Wl,--wrap=service_request_compact,--wrap=service_event_forward)
endfunction()
