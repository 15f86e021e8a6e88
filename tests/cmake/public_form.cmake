# The public form's check before sending, the status page and the French texts.
# form_precheck_browser: « Vérifier ma candidature » in headless Chromium,
#   with and without JavaScript (screenshots in the build's tests/screenshots);
# public_pages: the status page's order (state, motivations once, meetings of
#   ESSP_COMMITTEE_MEETINGS), the notice on personal data, /api/v1/check, no
#   English word on any page an applicant reads, a bad meeting date refused.
essp_stack_test(form_precheck_browser 600 "ESSP_CHROMIUM=${ESSP_CHROMIUM}")
essp_stack_test(public_pages 600)
# The commitments' texts agree (schema, box, reason); meeting dates parsed.
essp_unit_test(test_public_texts unit/test_public_texts.c)
target_link_libraries(test_public_texts PRIVATE essp_common)
# Renewal from the status page of a listing that ends within 90 days.
essp_stack_test(renewal_web 180)
