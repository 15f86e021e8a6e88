/* Fuzz target: a hostile application/x-www-form-urlencoded body posted to
 * intake's web form, through its parser (services/intake/web.h).  The
 * parser must return a form or NULL for any bytes, never crash, never read
 * past the body, and leak nothing (LeakSanitizer checks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/intake/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    web_form_t *form = web_form_parse((const char *) data, size);
    web_form_destroy(&form);
    if (form) {
        fprintf(stderr, "fuzz_form: web_form_destroy left its pointer set\n");
        abort();
    }
    return 0;
}
