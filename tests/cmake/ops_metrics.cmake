# Metrics (Prometheus) and health of every service.
# common/metrics and common/health: the text format, counts by type,
# outcome and rule, the snapshot the HTTP thread reads, health's lines.
essp_unit_test(test_metrics unit/test_metrics.c)
target_link_libraries(test_metrics PRIVATE essp_common PkgConfig::JANSSON)

# deploy/prometheus: the scrape configuration and the alerting rules as
# promtool (Debian's prometheus package) reads them, and each alert tried
# on made-up series (essp-rules.test.yml).
find_program(ESSP_PROMTOOL promtool)
if(ESSP_PROMTOOL)
  add_test(NAME unit.prometheus_rules
    COMMAND sh -c "cd '${CMAKE_SOURCE_DIR}/deploy/prometheus' && '${ESSP_PROMTOOL}' check config prometheus.yml && '${ESSP_PROMTOOL}' check rules essp-rules.yml && '${ESSP_PROMTOOL}' test rules essp-rules.test.yml")
else()
  add_test(NAME unit.prometheus_rules COMMAND sh -c "echo 'needs promtool (Debian package prometheus; deploy/test installs it)'; exit 1")
endif()
set_tests_properties(unit.prometheus_rules PROPERTIES LABELS unit)

# metrics: a real Prometheus (Debian's) scrapes a stack on loopback; its
# HTTP API tells the requests the test sent and a consumer's lag, 0 once
# caught up, above 0 while it is stopped.  health: essp ping shows every
# service ready, then what a consumer waits for when its producer stops.
essp_stack_test(metrics 240)
essp_stack_test(health 180)
