# The desk's pages as pure renderers over decoded replies of review and
# intake (no socket, no clock): the member's « Mes dossiers » and « Le
# dossier », the staff's people, applications, file and clock pages, and
# the French wording of refusals.  Included by the desk's CMakeLists.txt
# and by the unit tests (tests/cmake/desk_pages.cmake).
if(NOT TARGET essp_desk_pages)
  # The pages' stylesheet and the list's script, compiled in: served as
  # /static/pages.css (text/css) and /static/comite.js (text/javascript).
  foreach(asset pages.css comite.js)
    string(REGEX REPLACE "[.]" "_" symbol "desk_static_${asset}")
    set(path ${CMAKE_CURRENT_LIST_DIR}/static/${asset})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
    file(READ ${path} hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${symbol}.c
      "/* Generated from services/desk/static/${asset}: do not edit. */\n"
      "#include <stddef.h>\n"
      "extern const unsigned char ${symbol}[];\n"
      "extern const size_t ${symbol}_size;\n"
      "const unsigned char ${symbol}[] = {${bytes} 0x00};\n"
      "const size_t ${symbol}_size = sizeof ${symbol} - 1;\n")
  endforeach()
  add_library(essp_desk_pages STATIC
    ${CMAKE_CURRENT_BINARY_DIR}/desk_static_pages_css.c
    ${CMAKE_CURRENT_BINARY_DIR}/desk_static_comite_js.c
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
