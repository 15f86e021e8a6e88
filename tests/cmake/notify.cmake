# Tests of essp-notify's core: the composer, the templates, the outbox and
# the letters of each event (unit), and the composed messages read back by
# Python's email parser (tests/notify/check_message.py).
include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)

essp_unit_test(test_notify_message unit/test_notify_message.c)
target_link_libraries(test_notify_message PRIVATE essp_notify_core)

essp_unit_test(test_notify_template unit/test_notify_template.c)
target_link_libraries(test_notify_template PRIVATE essp_notify_core)
target_compile_definitions(test_notify_template PRIVATE
  ESSP_NOTIFY_TEMPLATES_DIR="${CMAKE_SOURCE_DIR}/services/notify/templates")

foreach(name test_notify_core test_notify_delivery)
  essp_core_test(${name} essp_notify_core)
  target_sources(${name} PRIVATE unit/notify_bench.c)
  target_compile_definitions(${name} PRIVATE
    ESSP_NOTIFY_TEMPLATES_DIR="${CMAKE_SOURCE_DIR}/services/notify/templates")
endforeach()

# Every kind of letter, composed with hostile names, parsed back.
add_executable(notify_print_letters notify/print_letters.c)
target_link_libraries(notify_print_letters PRIVATE essp_notify_core)
target_compile_definitions(notify_print_letters PRIVATE
  ESSP_NOTIFY_TEMPLATES_DIR="${CMAKE_SOURCE_DIR}/services/notify/templates")
set_target_properties(notify_print_letters PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
if(ESSP_PYTHON)
  add_test(NAME unit.notify_check_message
    COMMAND ${ESSP_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/notify/check_message.py $<TARGET_FILE:notify_print_letters>)
else()
  add_test(NAME unit.notify_check_message COMMAND sh -c "echo 'needs /usr/bin/python3'; exit 1")
endif()
set_tests_properties(unit.notify_check_message PROPERTIES LABELS unit)
