# Runs `essp-bench --quick --json` and checks that it completed and that
# its JSON object holds every figure the README and the issue name.
execute_process(COMMAND ${BENCH} --quick --json
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "essp-bench --quick --json exited ${code}:\n${err}")
endif()
set(keys
  "machine nproc" "machine cpu" "machine mem_mib"
  "baselines lmdb records_per_s" "baselines lmdb single_commit_ms p99"
  "baselines zmq round_trip_ms p99" "baselines zmq pipelined_per_s"
  "startup ready_ms"
  "end_to_end applications" "end_to_end applications_per_s"
  "end_to_end receipt_ms p50" "end_to_end receipt_ms p99" "end_to_end receipt_ms max"
  "end_to_end in_review_ms p99" "end_to_end vote_to_published_ms p99"
  "end_to_end ratio_to_lmdb_group_commit" "end_to_end ratio_to_zmq_pipelined"
  "end_to_end cpu_us_per_application review" "end_to_end cpu_ceiling_per_s"
  "catch_up entries" "catch_up entries_per_s" "catch_up ratio_to_zmq_pipelined"
  "fan_out followers" "fan_out delay_ms p99" "fan_out delay_p99_ratio_to_zmq_round_trip"
  "offered rate" "offered receipt_ms p99" "offered inside_intake_ms p99"
  "offered cpu_wait intake wait_per_slice_ms" "offered cpu_wait bench run_s"
  "footprint intake idle_rss_kib" "footprint validation idle_rss_kib" "footprint intake idle_pss_kib"
  "footprint review peak_hwm_kib" "footprint publication peak_rss_kib"
  "footprint review idle_anon_kib" "footprint review peak_anon_kib" "footprint review peak_pss_kib"
  "footprint review after_anon_kib" "footprint peak_readings" "footprint peak_every_ms"
  "targets applications_per_s met" "targets offered_receipt_p99_ms met"
  "targets offered_receipt_p99_ms single_commit_p99_ms" "targets offered_receipt_p99_ms ratio_to_single_commit"
  "targets cpu_us_per_application met" "targets written_kib_per_application_intake met"
  "targets written_kib_per_application_review met"
  "targets idle_anon_kib_max met" "targets idle_anon_kib_max service" "targets peak_anon_kib_max met"
  "targets catch_up_entries_per_s met" "targets ready_ms met")
foreach(key ${keys})
  string(REPLACE " " ";" path "${key}")
  string(JSON value ERROR_VARIABLE json_error GET "${out}" ${path})
  if(json_error)
    message(FATAL_ERROR "essp-bench --json: no '${key}': ${json_error}\n${out}")
  endif()
endforeach()
# Every application of the run reached the publication stream, and the
# catch-up read all of them back.
string(JSON applications GET "${out}" end_to_end applications)
string(JSON entries GET "${out}" catch_up entries)
if(NOT applications EQUAL 2000 OR entries LESS applications)
  message(FATAL_ERROR "expected 2000 applications published and read back, got ${applications} and ${entries}")
endif()
# Intake's own time was read for every submission of the offered phase,
# and its threads ran in that phase.
string(JSON offered GET "${out}" offered applications)
string(JSON inside GET "${out}" offered inside_intake_ms count)
string(JSON slices GET "${out}" offered cpu_wait intake slices)
if(NOT inside EQUAL offered OR slices EQUAL 0)
  message(FATAL_ERROR "offered phase: ${offered} submissions, intake's log gave ${inside}, intake ran ${slices} times")
endif()
message(STATUS "essp-bench --quick --json: every key present")
