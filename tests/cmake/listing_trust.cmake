# The public page of a listing: what makes it trustworthy.
# listing_trust: the page of a listing on essp-mirror's site, from the real
#   pipeline: since and until when it is listed (also across a reinstatement
#   and renewals, told by a stand-in review), the training the charter asks
#   for, its references, départements, themes and specific actions; French
#   only; no private canary on the site, the stream or the directory; the
#   form's notice on personal data lists what is published.
essp_stack_test(listing_trust 600)
# listing_trust_browser: the same page in headless Chromium, opened from the
#   search, on a desktop and a phone's screen (screenshots in
#   build-dev/screenshots/trust).
essp_stack_test(listing_trust_browser 600 "ESSP_CHROMIUM=${ESSP_CHROMIUM}")
# test_listing_trust: the page's sections (services/mirror/site_trust.c) from
#   entries written as JSON: a session on the day of the decision is planned,
#   dates that are no dates skipped, older entries without listed_since.
essp_unit_test(test_listing_trust unit/test_listing_trust.c unit/json_doc.c)
target_link_libraries(test_listing_trust PRIVATE essp_mirror_core)
