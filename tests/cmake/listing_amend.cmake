# Updating a published listing: minor changes published as the next version
# at once, substantive ones through a committee round.

# What changed between two revisions, minor or substantive (proto/schema_change.h).
essp_unit_test(test_schema_change unit/test_schema_change.c unit/json_doc.c)

# review: an update of a listing decided at once or before the committee
# (services/review/amended.h), on a temporary LMDB.
include(${CMAKE_CURRENT_LIST_DIR}/core_bench.cmake)
essp_core_test(test_review_amended essp_review_core)
# intake: an update keeps the listing published, says what changes, is
# refused when it fails the charter or changes nothing.
essp_core_test(test_intake_update essp_intake_core)

# The whole stack: a phone change published at once as version 2, a themes
# change before the committee while version 1 stays, rejection, approval,
# the history, the status page's form, and the refusals.
essp_stack_test(listing_amend 300)
