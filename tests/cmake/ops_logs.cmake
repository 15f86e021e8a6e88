# The JSON log of requests and events.
# common/event_log: JSON lines a parser reads back whatever the input, no
# token in a front end's path, rotation by size, lost lines counted.
essp_unit_test(test_event_log unit/test_event_log.c)
target_link_libraries(test_event_log PRIVATE essp_common PkgConfig::JANSSON)
# One JSON line per request, event and page, with its outcome and actor;
# no canary of a private field, token, password or e-mail in any log.
essp_stack_test(logs 180)
# A log line is never cut: rotation by size, then a full filesystem (a
# 256 KiB tmpfs mounted on the stack's log folder: the test runs as root).
essp_stack_test(logs_full 120)
