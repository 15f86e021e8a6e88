/*  services/intake/precheck.c - see precheck.h. */
#include "precheck.h"
#include "fields.h"
#include "form.h"

#include "proto/charter.h"
#include "proto/json_codec.h"
#include "proto/wire.h"

#include <string.h>

/*  The first row of an array the applicant filled in (the form's row of
 *  the application's first item), or row 0 when none is. */
static int s_first_row(const web_form_t *form, int a)
{
    return form->rows[a] > 0 ? form->row_of[a][0] : 0;
}

void precheck_place(web_form_t *form, const char *code, const char *field, char *name, size_t cap)
{
    /* A criterion about the references as a whole names "references": the
     * input to change is the box of the first reference that says what the
     * rule looks for. */
    if (strcmp(field, "references") == 0) {
        const char *key = strcmp(code, "REF-ESS") == 0 ? "client_is_ess" : "ci_topics";
        snprintf(name, cap, "references[%d].%s", s_first_row(form, 0), key);
        return;
    }
    if (strcmp(field, "trained_people") == 0) {
        snprintf(name, cap, "trained_people[%d].name", s_first_row(form, 1));
        return;
    }
    int f;
    form_place_error(form, field, &f, name, cap);
}

size_t precheck_form(web_form_t *form, const msgpack_sbuffer *application, int32_t today)
{
    form->checked = true;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object doc;
    proto_error_t err;
    size_t failures = 0;
    if (wire_decode(application->data, application->size, &zone, &doc, &err) == 0) {
        charter_report_t report;
        charter_check(&doc, today, &report);
        for (size_t i = 0; i < report.count; i++) {
            const criterion_result_t *result = &report.results[i];
            if (result->outcome != CRITERION_FAIL || !result->blocking)
                continue;
            char name[160];
            precheck_place(form, result->code, result->field, name, sizeof name);
            form_add_error(form, name, result->reason);
            failures++;
        }
    }
    msgpack_zone_destroy(&zone);
    return failures;
}

json_t *precheck_form_json(const web_form_t *form)
{
    json_t *errors = json_array();
    for (size_t i = 0; i < form->error_count; i++)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "name", form->errors[i].name, "message",
                                                form->errors[i].message));
    return json_pack("{s:b, s:o}", "ready", form->error_count == 0, "errors", errors);
}

json_t *precheck_report_json(const msgpack_object *application, int32_t today)
{
    charter_report_t report;
    charter_check(application, today, &report);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    charter_report_pack(&report, &pk);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object obj;
    json_t *json = NULL;
    if (msgpack_unpack(buf.data, buf.size, NULL, &zone, &obj) == MSGPACK_UNPACK_SUCCESS)
        json = json_codec_from_object(&obj);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return json;
}
