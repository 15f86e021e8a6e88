# Operations: a rewind of a stream is detected and stops its readers
# (test_rewind.py), caught when its head has passed the cursors again before
# they ask (test_rewind_caught_up.py), while the rest of the stack serves (test_rewind_serving.py);
# essp backup under load, essp restore into a new home, the restored stack
# working and a mirror of the old one told of the rewind (test_backup.py).
essp_stack_test(rewind 120)
essp_stack_test(rewind_serving 120)
essp_stack_test(rewind_caught_up 120)
essp_stack_test(backup 240)
