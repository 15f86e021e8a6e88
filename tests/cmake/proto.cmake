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
# -DESSP_FUZZ=ON the same targets are also built for libFuzzer, under
# ASan and UBSan (ESSP_FUZZ_SANITIZE); deploy/fuzz builds and runs them all:
#   deploy/fuzz 60
# libFuzzer adds what it finds to the first directory it is given: deploy/fuzz
# gives it a scratch copy, never tests/fuzz/corpus (see its header to add an
# input to the corpus).  Each target aborts when an invariant breaks:
#   wire     hostile msgpack: wire_prescan, wire_decode, _reply, _stored agree
#   json     hostile JSON: what json -> msgpack accepts renders back, same bytes
#   dump     hostile msgpack -> JSON -> msgpack: same structure, or a documented refusal
#   request  hostile requests: decode, proto_request_check, proto_event_check
#   schema   hostile applications: schema_validate, schema_pack_public holds only x-public
#   form     hostile urlencoded bodies: web_form_parse and web_form_application
#   history  hostile stored history records: verify, decode, erase
option(ESSP_FUZZ "Build the libFuzzer targets (clang only)" OFF)
set(ESSP_FUZZ_SANITIZE "address,undefined" CACHE STRING "Sanitizers of the libFuzzer targets")
set(ESSP_FUZZ_TARGETS wire json dump request schema form history)
foreach(target ${ESSP_FUZZ_TARGETS})
  set(essp_fuzz_libs_${target} essp_proto)
endforeach()
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
  # with its instrumentation.  UBSan stops at the first report, so that
  # libFuzzer keeps the input as a crash.
  set(essp_fuzz_flags -fsanitize=${ESSP_FUZZ_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  essp_fuzz_sources(essp_proto proto_sources)
  add_library(essp_fuzz_code STATIC ${proto_sources})
  target_compile_options(essp_fuzz_code PRIVATE -fsanitize=fuzzer-no-link ${essp_fuzz_flags})
  target_link_libraries(essp_fuzz_code PUBLIC PkgConfig::MSGPACK PkgConfig::JANSSON PkgConfig::SODIUM)
  essp_fuzz_sources(essp_intake_web web_sources)
  add_library(essp_fuzz_web STATIC ${web_sources})
  target_compile_options(essp_fuzz_web PRIVATE -fsanitize=fuzzer-no-link ${essp_fuzz_flags})
  get_target_property(web_includes essp_intake_web INCLUDE_DIRECTORIES)
  if(web_includes)
    target_include_directories(essp_fuzz_web PRIVATE ${web_includes})
  endif()
  get_target_property(web_links essp_intake_web LINK_LIBRARIES)
  target_link_libraries(essp_fuzz_web PUBLIC ${web_links})
  foreach(target ${ESSP_FUZZ_TARGETS})
    set(essp_fuzz_code_${target} essp_fuzz_code)
  endforeach()
  set(essp_fuzz_code_form essp_fuzz_web essp_fuzz_code)
  foreach(target ${ESSP_FUZZ_TARGETS})
    add_executable(fuzz_${target} fuzz/fuzz_${target}.c)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${essp_fuzz_flags})
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer ${essp_fuzz_flags})
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
