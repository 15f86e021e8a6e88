# Tests of shell: added here so that each part of the tree keeps its own list.

# The shell on its own, in one process (threads and inproc sockets): the
# stream consumer against a producer played by the test; the service's
# turns, with the store's fault hook (essp_common_faults).
essp_unit_test(test_stream_consumer unit/test_stream_consumer.c)
target_link_libraries(test_stream_consumer PRIVATE essp_common)
# test_service_{turns,streams,start}: the service in a thread of the test
# (unit/service_fixture.c).
foreach(part turns streams start)
  essp_unit_test(test_service_${part} unit/test_service_${part}.c unit/service_fixture.c)
  target_link_libraries(test_service_${part} PRIVATE essp_common_faults)
  set_tests_properties(unit.test_service_${part} PROPERTIES TIMEOUT 120)
endforeach()
# Who may pull which stream: the rule, the service keys registered with the
# role "service", a consumer pulling over CURVE with its service's key.
essp_unit_test(test_access unit/test_access.c)
target_link_libraries(test_access PRIVATE essp_common)
essp_unit_test(test_store_faults unit/test_store_faults.c)
target_link_libraries(test_store_faults PRIVATE essp_common_faults)
essp_unit_test(test_log unit/test_log.c)
target_link_libraries(test_log PRIVATE essp_common)
essp_unit_test(test_stream_key unit/test_stream_key.c)
target_link_libraries(test_stream_key PRIVATE essp_common)
