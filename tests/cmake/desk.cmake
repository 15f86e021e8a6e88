# Tests of essp-desk: its pure parts (password rules, sealing, TOTP,
# throttle, forms and cookies) and its accounts and sessions over real
# HTTP beside the four services.
essp_unit_test(test_desk_rules unit/test_desk_rules.c)
target_link_libraries(test_desk_rules PRIVATE essp_desk_rules)

essp_stack_test(desk_auth 300 "ESSP_LMDB_EDIT=$<TARGET_FILE:lmdb_edit>")
