/*  services/cli/check.c - see check.h. */
#include "check.h"

#include "client.h"
#include "output.h"

#include "proto/charter.h"
#include "proto/schema.h"
#include "proto/wire.h"

int check_file(const char *path, int32_t today, bool text, FILE *out, FILE *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int rc = output_read_json(path, &buf, err);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 8192);
    msgpack_object application;
    proto_error_t why;
    if (rc == EXIT_OK && (wire_decode(buf.data, buf.size, &zone, &application, &why)
                          || schema_validate(schema_application(), &application, &why))) {
        fprintf(err, "essp: %s: %s (field %s, rule %s)\n", path, why.message, why.field, why.rule);
        rc = EXIT_REFUSED;
    }
    if (rc == EXIT_OK) {
        static charter_report_t report;
        charter_check(&application, today, &report);
        if (text) {
            charter_report_text(&report, out);
        } else {
            msgpack_sbuffer packed;
            msgpack_sbuffer_init(&packed);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &packed, msgpack_sbuffer_write);
            charter_report_pack(&report, &pk);
            msgpack_object obj;
            if (wire_decode(packed.data, packed.size, &zone, &obj, &why) == 0)
                output_object(&obj, out);
            msgpack_sbuffer_destroy(&packed);
        }
        fflush(out);
        rc = report.verdict == CHARTER_VERDICT_INCOMPLETE ? EXIT_REFUSED : EXIT_OK;
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}
