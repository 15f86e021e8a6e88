# The desk's pages, rendered from review's and intake's replies built in
# the test: filters and counts, recusals shown apart, the application by
# article, the vote's rules, the refusals in French, the staff's pages.
include(${CMAKE_SOURCE_DIR}/services/desk/pages.cmake)
essp_unit_test(test_desk_pages unit/test_desk_pages.c)
target_link_libraries(test_desk_pages PRIVATE essp_desk_pages)

essp_stack_test(desk_pages 600)
# The same in headless Chromium (Debian's chromium, tests/browser/cdp.py):
# an invitation from « Personnes », a new file appearing without a reload,
# the keyboard alone for the vote, 1280 and 390 px wide.
essp_stack_test(desk_browser 600 "ESSP_CHROMIUM=${ESSP_CHROMIUM}")
