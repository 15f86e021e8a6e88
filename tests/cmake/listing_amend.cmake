# Updating a published listing: minor changes published as the next version
# at once, substantive ones through a committee round.

# What changed between two revisions, minor or substantive (proto/schema_change.h).
essp_unit_test(test_schema_change unit/test_schema_change.c unit/json_doc.c)
