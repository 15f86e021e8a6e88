# Runs `essp-bench --curve SIZES --json` and checks that it completed and
# that each size of the curve has every figure of a point, and the curve
# its drop of throughput.  It asserts no timing.
execute_process(COMMAND ${BENCH} --curve ${SIZES} --json
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "essp-bench --curve ${SIZES} --json exited ${code}:\n${err}")
endif()
set(keys
  "applications" "seconds" "applications_per_s" "receipt_ms p99"
  "disk_bytes_per_application total" "disk_bytes_per_application by_service intake"
  "disk_bytes_per_application by_service validation" "disk_bytes_per_application by_service review"
  "disk_bytes_per_application by_service publication" "home_bytes"
  "catch_up entries" "catch_up entries_per_s"
  "cpu_us_per_application services" "cpu_us_per_application bench"
  "cpu_us_per_application by_service intake" "cpu_us_per_application kernel_by_service intake"
  "minor_faults_per_application intake" "major_faults_per_application review" "written_kib_per_application intake"
  "written_kib_per_application review" "peak_anon_kib intake" "peak_anon_kib publication"
  "bench_rss_kib" "bench_growth_bytes_per_application" "load_after")
string(REPLACE "," ";" sizes "${SIZES}")
list(LENGTH sizes count)
string(JSON points LENGTH "${out}" curve points)
if(NOT points EQUAL count)
  message(FATAL_ERROR "essp-bench --curve ${SIZES}: ${points} points instead of ${count}\n${out}")
endif()
set(index 0)
foreach(size ${sizes})
  foreach(key ${keys})
    string(REPLACE " " ";" path "${key}")
    string(JSON value ERROR_VARIABLE json_error GET "${out}" curve points ${index} ${path})
    if(json_error)
      message(FATAL_ERROR "essp-bench --curve: point ${index}: no '${key}': ${json_error}\n${out}")
    endif()
  endforeach()
  # Every application of the size was published, the new reader read all
  # of them back, and each service's store holds something for each.
  string(JSON applications GET "${out}" curve points ${index} applications)
  string(JSON entries GET "${out}" curve points ${index} catch_up entries)
  string(JSON disk GET "${out}" curve points ${index} disk_bytes_per_application total)
  if(NOT applications EQUAL size OR entries LESS applications OR disk LESS 1000)
    message(FATAL_ERROR "point ${index}: expected ${size} applications published and read back, and stores "
                        "on disk; got ${applications}, ${entries} and ${disk} bytes per application")
  endif()
  math(EXPR index "${index} + 1")
endforeach()
foreach(key from to value_pct target_pct met)
  string(JSON value ERROR_VARIABLE json_error GET "${out}" curve drop ${key})
  if(json_error)
    message(FATAL_ERROR "essp-bench --curve: no 'drop ${key}': ${json_error}\n${out}")
  endif()
endforeach()
message(STATUS "essp-bench --curve ${SIZES} --json: every point and the drop present")
