# essp-notify's shell (included from services/CMakeLists.txt): the threads
# main.c starts beside the core, the sender (SMTP with libcurl, or the
# Maildir) and the schedule (digest, reminders), and their link to the core.
if(TARGET essp-notify)
  add_library(essp_notify_shell STATIC
    ${CMAKE_CURRENT_LIST_DIR}/core_link.c ${CMAKE_CURRENT_LIST_DIR}/maildir.c
    ${CMAKE_CURRENT_LIST_DIR}/smtp.c ${CMAKE_CURRENT_LIST_DIR}/sender.c
    ${CMAKE_CURRENT_LIST_DIR}/schedule.c)
  target_link_libraries(essp_notify_shell PUBLIC essp_common PkgConfig::CURL PkgConfig::SODIUM)
  target_link_libraries(essp-notify PRIVATE essp_notify_shell)
endif()
