# The desk's pages as pure renderers over decoded replies of review and
# intake (no socket, no clock): the member's « Mes dossiers » and « Le
# dossier », the staff's people, applications, file and clock pages, and
# the French wording of refusals.  Included by the desk's CMakeLists.txt
# and by the unit tests (tests/cmake/desk_pages.cmake).
if(NOT TARGET essp_desk_pages)
  add_library(essp_desk_pages STATIC
    ${CMAKE_CURRENT_LIST_DIR}/french.c
    ${CMAKE_CURRENT_LIST_DIR}/application_view.c
    ${CMAKE_CURRENT_LIST_DIR}/queue_page.c
    ${CMAKE_CURRENT_LIST_DIR}/file_page.c
    ${CMAKE_CURRENT_LIST_DIR}/file_rounds.c
    ${CMAKE_CURRENT_LIST_DIR}/review_follower.c
    ${CMAKE_CURRENT_LIST_DIR}/refusal.c
    ${CMAKE_CURRENT_LIST_DIR}/people_page.c
    ${CMAKE_CURRENT_LIST_DIR}/applications_index.c
    ${CMAKE_CURRENT_LIST_DIR}/applications_page.c
    ${CMAKE_CURRENT_LIST_DIR}/staff_file_page.c
    ${CMAKE_CURRENT_LIST_DIR}/clock_page.c)
  target_link_libraries(essp_desk_pages PUBLIC essp_common)
endif()
