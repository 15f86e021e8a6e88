# Tests of cli_mirror: added here so that each part of the tree keeps its own list.

# One text folding in C and in the mirror's JavaScript: node runs
# contrat.js (generated from proto at build time) and fold_print (proto's
# text.c) on the same strings; every disagreement is printed.  Debian's
# nodejs package (deploy/lib.sh installs it with the test packages).
add_executable(fold_print fold/fold_print.c)
target_link_libraries(fold_print PRIVATE essp_proto)
set_target_properties(fold_print PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
find_program(ESSP_NODE NAMES node nodejs PATHS /usr/bin NO_DEFAULT_PATH)
if(ESSP_NODE)
  add_test(NAME fold.c_and_js
    COMMAND ${ESSP_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/fold/compare.js $<TARGET_FILE:fold_print>
            ${ESSP_MIRROR_CONTRAT_JS} ${CMAKE_CURRENT_SOURCE_DIR}/fold/strings.txt)
else()
  add_test(NAME fold.c_and_js COMMAND sh -c "echo 'the folding test needs node (Debian package nodejs; deploy/test installs it)'; exit 1")
endif()
set_tests_properties(fold.c_and_js PROPERTIES LABELS unit)

# essp check in-process (services/cli/check.c): every fixture, exit codes,
# the JSON report, --text, the day of judgement (--today).
essp_unit_test(test_check unit/test_check.c)
target_link_libraries(test_check PRIVATE essp_cli_core PkgConfig::JANSSON)

# essp check as people run it: the built program on the fixtures, exit
# codes 0, 1 and 2, JSON and --text output, --today, standard input.
add_test(NAME cli.check
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_check.sh ${CMAKE_BINARY_DIR}/bin
          ${CMAKE_SOURCE_DIR}/tests/fixtures)
set_tests_properties(cli.check PROPERTIES LABELS unit)
