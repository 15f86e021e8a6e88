# The directory's search, on publication and on the mirror's site.

# proto/search and proto/acronyms: what a visitor's words find.
essp_unit_test(test_search unit/test_search.c)
