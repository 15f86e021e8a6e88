/* Fuzz target: a hostile application/x-www-form-urlencoded body posted to
 * intake's web form (services/intake/web.h), through every step the
 * gateway takes without a socket: web_form_parse, web_form_application
 * (the form turned into an application), the core's verdict placed back
 * next to its field (web_form_error), the charter's check before sending
 * (precheck_form: charter_check on whatever the form made, its failures
 * placed next to inputs), and, when the body carries a '<',
 * the form page rendered again with its errors.  Aborts when an invariant
 * breaks (LeakSanitizer checks the rest):
 *   - the parser returns a form or NULL, and web_form_destroy NULLs it;
 *   - web_form_application always gives either errors or an application:
 *     what it writes is one message the wire accepts, a map, ready for the
 *     core; with no error it wrote one;
 *   - the page rendered from a hostile form never holds a tag of the
 *     input: "<fz" (in the seeds, raw and %-escaped) is always escaped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/schema.h"
#include "proto/wire.h"
#include "services/intake/fields.h"
#include "services/intake/precheck.h"
#include "services/intake/web.h"

#define FUZZ_NAME "fuzz_form"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static web_t *s_web;

/* Whether needle (2 or 3 bytes) occurs in data: plain byte comparisons,
 * which libFuzzer does not trace as it does memcmp, in a function left out
 * of the coverage instrumentation (the target's own checks are not what is
 * explored, and instrumenting this loop cost a tenth of the time). */
#ifdef __clang__
__attribute__((no_sanitize("coverage")))
#endif
static bool s_has(const uint8_t *data, size_t size, const char *needle)
{
    size_t len = strlen(needle);
    for (size_t i = 0; i + len <= size; i++) {
        if (data[i] != (uint8_t) needle[0])
            continue;
        size_t j = 1;
        while (j < len && data[i + j] == (uint8_t) needle[j])
            j++;
        if (j == len)
            return true;
    }
    return false;
}

static void s_render(web_form_t *form)
{
    char *page = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&page, &len);
    FUZZ_REQUIRE(out != NULL, "open_memstream");
    web_page_apply(s_web, out, form, "fuzz-key");
    fclose(out);
    FUZZ_REQUIRE(len > 0, "the form page is written");
    FUZZ_REQUIRE(!s_has((const uint8_t *) page, len, "<fz"), "the form page escapes what was posted");
    free(page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_web) {
        s_web = web_new();
        FUZZ_REQUIRE(s_web != NULL, "web_new");
    }
    web_form_t *form = web_form_parse((const char *) data, size);
    if (form) {
        msgpack_sbuffer out;
        msgpack_sbuffer_init(&out);
        size_t errors = web_form_application(s_web, form, &out);
        FUZZ_REQUIRE(errors > 0 || out.size > 0, "a form without error gives an application");
        if (out.size > 0) {
            msgpack_zone zone;
            msgpack_zone_init(&zone, 2048);
            msgpack_object application;
            proto_error_t err;
            FUZZ_REQUIRE(wire_decode(out.data, out.size, &zone, &application, &err) == 0,
                         "the application built from a form is a valid message");
            FUZZ_REQUIRE(application.type == MSGPACK_OBJECT_MAP, "the application is a map");
            if (errors == 0 && !web_form_added_row(form)
                && schema_validate(schema_application(), &application, &err) != 0)
                web_form_error(s_web, form, err.field, err.rule);
            msgpack_zone_destroy(&zone);
            /* « Vérifier ma candidature »: the charter on whatever the form
             * made, its failures placed next to inputs of the form. */
            size_t before = form->error_count;
            size_t failures = precheck_form(form, &out, 20428);
            FUZZ_REQUIRE(form->error_count <= before + failures, "each failure is placed at most once");
            FUZZ_REQUIRE(form->checked, "the checked form says so");
        }
        msgpack_sbuffer_destroy(&out);
        if (memchr(data, '<', size) || s_has(data, size, "%3C") || s_has(data, size, "%3c"))
            s_render(form);
    }
    web_form_destroy(&form);
    FUZZ_REQUIRE(form == NULL, "web_form_destroy NULLs its pointer");
    return 0;
}
