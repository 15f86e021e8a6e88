# Tests of essp-notify's shell: the sender, the schedule, the Maildir, and
# the whole service against a real SMTP server on loopback.

# The Paris clock of the digest, the Maildir's files.
if(TARGET essp_notify_shell)
  essp_unit_test(test_notify_shell unit/test_notify_shell.c)
  target_link_libraries(test_notify_shell PRIVATE essp_notify_shell)
endif()

# notify in the stack, with the aiosmtpd server of tests/stack/smtp_server.py:
# every kind of letter once with its content, the Maildir of the default
# stack (test_notify.py); kill -9 during 500 applications, the window
# between the 250 and the commit, the server down and back, a 550
# (test_notify_chaos.py).
essp_stack_test(notify 900)
# The server down for 30 s: the first retry 5 s after a failure instead of 60.
essp_stack_test(notify_chaos 1500 "ESSP_MAIL_RETRY_FIRST_S=5")
