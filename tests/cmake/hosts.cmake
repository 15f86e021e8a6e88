# Across hosts: network namespaces as hosts, and systemd on a plain server.
# Label "hosts": run by the default pass of deploy/test when it can.

# stack.hosts: every service in a network namespace of its own (root and
# iproute2; skipped, exit 77, without them): the whole path across hosts,
# 200 ms on intake's link, a 30 s cut between validation and review,
# publication moved to another host.  Timing is what it measures: not in
# the sanitizer pass.
# stack.systemd: deploy/install into a DESTDIR, the units checked by
# systemd-analyze (verify, security) and their ExecStart lines run as the
# units say (user, settings, a read-only system but for the data folder).
if(NOT ESSP_SANITIZE)
  essp_stack_test(hosts 300)
  set_tests_properties(stack.hosts PROPERTIES LABELS "stack;hosts" SKIP_RETURN_CODE 77)
  add_test(NAME stack.systemd COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stack/test_systemd.sh ${CMAKE_BINARY_DIR}/bin)
  set_tests_properties(stack.systemd PROPERTIES LABELS "stack;hosts" TIMEOUT 120 SKIP_RETURN_CODE 77)
else()
  message(STATUS "stack.hosts and stack.systemd are left out of this build: they measure time and run the installed programs")
endif()
