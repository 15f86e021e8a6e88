# The desk's pages, rendered from review's and intake's replies built in
# the test: filters and counts, recusals shown apart, the application by
# article, the vote's rules, the refusals in French, the staff's pages.
include(${CMAKE_SOURCE_DIR}/services/desk/pages.cmake)
essp_unit_test(test_desk_pages unit/test_desk_pages.c)
target_link_libraries(test_desk_pages PRIVATE essp_desk_pages)

# The desk's web pages link the renderers.  (Their place is the desk's own
# CMakeLists.txt: include(pages.cmake) and link essp_desk_pages to
# essp_desk_web; until then it is done here, after services/.)
if(TARGET essp_desk_web)
  target_link_libraries(essp_desk_web PUBLIC essp_desk_pages)
  target_sources(essp_desk_web PRIVATE ${CMAKE_SOURCE_DIR}/services/desk/pages_people.c)
endif()
essp_stack_test(desk_pages 600)
# The same in headless Chromium (Debian's chromium, tests/browser/cdp.py):
# an invitation from « Personnes », a new file appearing without a reload,
# the keyboard alone for the vote, 1280 and 390 px wide.
essp_stack_test(desk_browser 600 "ESSP_CHROMIUM=${ESSP_CHROMIUM}")
