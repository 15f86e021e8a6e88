# The directory's search, on publication and on the mirror's site.

# proto/search and proto/acronyms: what a visitor's words find.
essp_unit_test(test_search unit/test_search.c)

# The search in headless Chromium on the mirror's site, built from the
# real pipeline: typed text, filters, the address shared and restored, the
# département counts, the cards, the footer's links, a phone's width; the
# same queries asked of publication's directory over ZeroMQ; no English
# on the site's pages.  Screenshots in build-dev/screenshots/search.
# A new edition of the pages rewrites a site written before (lmdb_edit sets
# the store's edition back).
essp_stack_test(search_browser 600 "ESSP_CHROMIUM=${ESSP_CHROMIUM}" "ESSP_LMDB_EDIT=$<TARGET_FILE:lmdb_edit>")
