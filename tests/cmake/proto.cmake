# Tests of proto: added here so that each part of the tree keeps its own list.
# (Included from tests/CMakeLists.txt: paths are relative to tests/.)

# --- codec tests ---
essp_unit_test(test_wire unit/test_wire.c)
essp_unit_test(test_schema unit/test_schema.c unit/json_doc.c)
essp_unit_test(test_json_codec unit/test_json_codec.c)
# --- end codec tests ---

# --- proto unit tests ---


# --- end proto unit tests ---

# Fuzz targets.  Every build, with any compiler, replays the seed corpus
# plus 20000 deterministic mutations of it (ctest -L fuzz).  With clang and
# -DESSP_FUZZ=ON the same targets are also built for libFuzzer:
#   mkdir -p /tmp/wire && build/tests/fuzz_wire -max_total_time=60 /tmp/wire tests/fuzz/corpus/wire
# libFuzzer adds what it finds to the first directory: keep that one out of
# the tree, and copy only a crash input into the corpus.
#   wire     hostile msgpack: safe decode, schema, public projection, JSON
#   json     hostile JSON from the HTTP edge: both directions of the codec
#   request  hostile requests: decode, proto_request_check, proto_event_check
#   form     hostile urlencoded bodies: intake's web_form_parse
option(ESSP_FUZZ "Build the libFuzzer targets (clang only)" OFF)
set(ESSP_FUZZ_TARGETS wire json request form)
set(essp_fuzz_libs_wire essp_proto)
set(essp_fuzz_libs_json essp_proto)
set(essp_fuzz_libs_request essp_proto)
set(essp_fuzz_libs_form essp_intake_web)
foreach(target ${ESSP_FUZZ_TARGETS})
  add_executable(fuzz_${target}_replay fuzz/replay_main.c fuzz/fuzz_${target}.c)
  target_link_libraries(fuzz_${target}_replay PRIVATE ${essp_fuzz_libs_${target}})
  set_target_properties(fuzz_${target}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME fuzz.${target}_replay
           COMMAND fuzz_${target}_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target} 20000)
  set_tests_properties(fuzz.${target}_replay PROPERTIES LABELS fuzz)
endforeach()

# The sources of a library, as absolute paths.
function(essp_fuzz_sources lib out)
  get_target_property(dir ${lib} SOURCE_DIR)
  get_target_property(sources ${lib} SOURCES)
  set(result)
  foreach(source ${sources})
    if(IS_ABSOLUTE ${source})
      list(APPEND result ${source})
    else()
      list(APPEND result ${dir}/${source})
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

if(ESSP_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # libFuzzer needs coverage in the code under test, not only in the
  # target: rebuild proto, and intake's web library for the form target,
  # with its instrumentation.
  essp_fuzz_sources(essp_proto proto_sources)
  add_library(essp_fuzz_code STATIC ${proto_sources})
  target_compile_options(essp_fuzz_code PRIVATE -fsanitize=fuzzer-no-link,address)
  target_link_libraries(essp_fuzz_code PUBLIC PkgConfig::MSGPACK PkgConfig::JANSSON PkgConfig::SODIUM)
  essp_fuzz_sources(essp_intake_web web_sources)
  add_library(essp_fuzz_web STATIC ${web_sources})
  target_compile_options(essp_fuzz_web PRIVATE -fsanitize=fuzzer-no-link,address)
  get_target_property(web_includes essp_intake_web INCLUDE_DIRECTORIES)
  if(web_includes)
    target_include_directories(essp_fuzz_web PRIVATE ${web_includes})
  endif()
  get_target_property(web_links essp_intake_web LINK_LIBRARIES)
  target_link_libraries(essp_fuzz_web PUBLIC ${web_links})
  set(essp_fuzz_code_wire essp_fuzz_code)
  set(essp_fuzz_code_json essp_fuzz_code)
  set(essp_fuzz_code_request essp_fuzz_code)
  set(essp_fuzz_code_form essp_fuzz_web)
  foreach(target ${ESSP_FUZZ_TARGETS})
    add_executable(fuzz_${target} fuzz/fuzz_${target}.c)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer,address)
    target_link_libraries(fuzz_${target} PRIVATE ${essp_fuzz_code_${target}})
    set_target_properties(fuzz_${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  endforeach()
endif()

# --- proto unit tests ---
essp_unit_test(test_schema_public unit/test_schema_public.c unit/json_doc.c)
essp_unit_test(test_catalogue unit/test_catalogue.c)
essp_unit_test(test_history_errors unit/test_history_errors.c)
essp_unit_test(test_schema_check unit/test_schema_check.c unit/json_doc.c)
essp_unit_test(test_proto_edges unit/test_proto_edges.c)
essp_unit_test(test_directory unit/test_directory.c)
# --- end proto unit tests ---
