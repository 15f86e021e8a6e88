/*  services/cli/cmd_application.c - the applicant's commands: submit,
 *  amend, status, check (offline), appeal, and the audit trail (history).
 */
#include "commands.h"

#include "check.h"
#include "output.h"

#include "common/auth.h"
#include "proto/date.h"
#include "proto/doc.h"
#include "proto/history.h"
#include "proto/messages.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Reading or changing an application needs its token (--token, from the
 *  receipt) or a staff key: without a token, the staff key is used when
 *  there is one (ESSP_STAFF, or the only one under keys/staff), on intake's
 *  authenticated endpoint.  Without either, intake answers not_found, as
 *  for an unknown id. */
static int s_token_or_staff(const char *token)
{
    char name[PROTO_NAME_MAX + 1];
    if (token || auth_staff_name(name, sizeof name) != 0)
        return EXIT_OK;
    return cli_use_key(AUTH_ROLE_STAFF, name);
}

/*  submit (id NULL, renews: the earlier application it renews, or NULL)
 *  or amend (id, with token or the staff key). */
static int s_submit_or_amend(const char *id, const char *token, const char *path, const char *key,
                             const char *renews)
{
    if (id) {
        int rc = s_token_or_staff(token);
        if (rc != EXIT_OK)
            return rc;
    }
    msgpack_sbuffer application;
    msgpack_sbuffer_init(&application);
    int rc = output_read_json(path, &application, stderr);
    if (rc == EXIT_OK) {
        char fresh[33];
        if (!key) {
            request_new_key(fresh);
            key = fresh;
        }
        request_t r;
        request_init(&r, id ? "amend" : "submit", proto_entries(2, id != NULL, renews != NULL, token != NULL));
        if (id)
            proto_pack_kv_str(&r.pk, "id", id);
        if (token)
            proto_pack_kv_str(&r.pk, "token", token);
        if (renews)
            proto_pack_kv_str(&r.pk, "renews", renews);
        proto_pack_kv_raw(&r.pk, "application", application.data, application.size);
        proto_pack_kv_str(&r.pk, "key", key);
        rc = request_call_and_print(SERVICE_INTAKE, &r, NULL);
    }
    msgpack_sbuffer_destroy(&application);
    return rc;
}

int cmd_submit(const args_t *args)
{
    const char *renews = args_value(args, "renews");
    if (renews && !*renews)
        return cli_usage("--renews: the id of the earlier application is required");
    return s_submit_or_amend(NULL, NULL, args->pos[0], args_value(args, "key"), renews);
}

int cmd_amend(const args_t *args)
{
    const char *token = args_value(args, "token");
    return s_submit_or_amend(args->pos[0], token, args->pos[1], args_value(args, "key"), NULL);
}

int cmd_status(const args_t *args)
{
    const char *token = args_value(args, "token");
    int rc = s_token_or_staff(token);
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "status", proto_entries(1, token != NULL));
    proto_pack_kv_str(&r.pk, "id", args->pos[0]);
    if (token)
        proto_pack_kv_str(&r.pk, "token", token);
    return request_call_and_print(SERVICE_INTAKE, &r, NULL);
}

/*  Runs the charter on a file, offline: the same rules as the service. */
int cmd_check(const args_t *args)
{
    const char *today_text = args_value(args, "today");
    int32_t today = date_today_utc();
    if (today_text && date_parse(today_text, strlen(today_text), &today))
        return cli_usage("--today takes a date YYYY-MM-DD");
    return check_file(args->pos[0], today, args_flag(args, "text"), stdout, stderr);
}

/*  The applicant appeals a rejection, once: a new round of the committee. */
int cmd_appeal(const args_t *args)
{
    const char *motivation = args_value(args, "motivation");
    const char *token = args_value(args, "token");
    const char *key = args_value(args, "key");
    if (!cli_has_text(motivation))
        return cli_usage("--motivation: the applicant's reasons are required");
    int rc = s_token_or_staff(token);
    if (rc != EXIT_OK)
        return rc;
    char fresh[33];
    if (!key) {
        request_new_key(fresh);
        key = fresh;
    }
    request_t r;
    request_init(&r, "appeal", proto_entries(3, token != NULL));
    proto_pack_kv_str(&r.pk, "id", args->pos[0]);
    proto_pack_kv_str(&r.pk, "motivation", motivation);
    proto_pack_kv_str(&r.pk, "key", key);
    if (token)
        proto_pack_kv_str(&r.pk, "token", token);
    return request_call_and_print(SERVICE_INTAKE, &r, NULL);
}

/* ---------------------------------------------------------------- history */

static void s_hex(const void *bytes, size_t len, char *out, size_t cap)
{
    if (len * 2 + 1 > cap)
        len = (cap - 1) / 2;
    sodium_bin2hex(out, cap, bytes, len);
}

/*  The two parts of a record, [body, hash] as two bins, or NULL. */
static const msgpack_object *s_record_parts(const msgpack_object *record)
{
    const msgpack_object *parts = record->type == MSGPACK_OBJECT_ARRAY && record->via.array.size == 2
        ? record->via.array.ptr : NULL;
    return parts && parts[0].type == MSGPACK_OBJECT_BIN && parts[1].type == MSGPACK_OBJECT_BIN ? parts
                                                                                              : NULL;
}

/*  One record of the trail as one JSON line: its fields and its hash. */
static void s_print_record(const msgpack_object *record, size_t index, msgpack_zone *zone)
{
    json_t *line = json_object();
    msgpack_object body;
    const msgpack_object *parts = s_record_parts(record);
    if (parts && history_body_decode(parts[0].via.bin.ptr, parts[0].via.bin.size, zone, &body) == 0) {
        static const char *const texts[] = {"who", "what", "why", "state"};
        uint64_t n = 0, at = 0;
        doc_uint(&body, "n", &n);
        doc_uint(&body, "at", &at);
        json_object_set_new(line, "n", json_integer((json_int_t)n));
        json_object_set_new(line, "at", json_integer((json_int_t)at));
        /* Beside the protocol's raw seconds, the same instant for a reader
         * of the trail: ISO 8601 with the Paris offset. */
        output_add_iso(line);
        for (size_t i = 0; i < 4; i++) {
            const char *text = "";
            size_t len = 0;
            if (doc_str(&body, texts[i], &text, &len))
                json_object_set_new(line, texts[i], json_stringn(text, len));
        }
        char hex[HISTORY_HASH_BYTES * 2 + 1];
        s_hex(parts[1].via.bin.ptr, parts[1].via.bin.size, hex, sizeof hex);
        json_object_set_new(line, "hash", json_string(hex));
    } else {
        json_object_set_new(line, "position", json_integer((json_int_t)index + 1));
        json_object_set_new(line, "error", json_string("not a history record"));
    }
    char *text = json_dumps(line, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(line);
}

/*  Verifies again, from the bytes intake sent, what intake verified: a
 *  service that altered its own answer is caught too. */
static void s_verify_history(const msgpack_object *reply, history_verifier_t *v)
{
    const msgpack_object *records = doc_array(reply, "records");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    for (size_t i = 0; i < doc_len(records); i++) {
        const msgpack_object *record = doc_at(records, i);
        msgpack_zone_clear(&zone);
        s_print_record(record, i, &zone);
        const msgpack_object *parts = s_record_parts(record);
        if (parts)
            history_verify_record(v, parts[0].via.bin.ptr, parts[0].via.bin.size, parts[1].via.bin.ptr,
                                  parts[1].via.bin.size);
        else
            history_verify_record(v, "", 0, NULL, 0);
    }
    msgpack_zone_destroy(&zone);
    history_head_t expected = {0};
    const msgpack_object *head = doc_get(reply, "head");
    doc_uint(reply, "count", &expected.count);
    if (head && head->type == MSGPACK_OBJECT_BIN && head->via.bin.size == HISTORY_HASH_BYTES)
        memcpy(expected.head, head->via.bin.ptr, HISTORY_HASH_BYTES);
    history_verify_end(v, &expected);
}

/*  The last line: the chain holds (its head), or where it breaks. */
static void s_print_verdict(const msgpack_object *reply, const history_verifier_t *v, bool holds,
                            uint64_t n, const char *reason)
{
    json_t *last = json_object();
    json_object_set_new(last, "verified", json_boolean(holds));
    json_object_set_new(last, "records", json_integer((json_int_t)doc_len(doc_array(reply, "records"))));
    char hex[HISTORY_HASH_BYTES * 2 + 1];
    s_hex(v->prev, sizeof v->prev, hex, sizeof hex);
    if (holds)
        json_object_set_new(last, "head", json_string(hex));
    else
        json_object_set_new(last, "break", json_pack("{s:I,s:s}", "n", (json_int_t)n, "reason", reason));
    char *text = json_dumps(last, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(last);
    fflush(stdout);
}

/*  The audit trail of an application, one record per line, then the
 *  verification of its chain: exit 0 when it holds, 1 when it is broken. */
int cmd_history(const args_t *args)
{
    const char *token = args_value(args, "token");
    int rc = s_token_or_staff(token);
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "history", proto_entries(1, token != NULL));
    proto_pack_kv_str(&r.pk, "id", args->pos[0]);
    if (token)
        proto_pack_kv_str(&r.pk, "token", token);
    reply_t reply;
    rc = client_call(SERVICE_INTAKE, &r.buf, 0, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc != EXIT_OK) {
        reply_release(&reply);
        return rc;
    }
    history_verifier_t v;
    history_verifier_init(&v);
    s_verify_history(&reply.msg, &v);
    /* The service's finding comes first when it saw a break: it also
     * checks what it does not send (the stored head's form). */
    const msgpack_object *brk = doc_map(&reply.msg, "break");
    bool service_ok = doc_bool(&reply.msg, "verified", false);
    uint64_t n = v.brk.n;
    char reason[PROTO_TEXT_MAX];
    snprintf(reason, sizeof reason, "%s", v.brk.reason);
    if (!service_ok) {
        doc_uint(brk, "n", &n);
        if (doc_strcpy(brk, "reason", reason, sizeof reason) < 0)
            snprintf(reason, sizeof reason, "intake reports the chain broken");
    } else if (v.broken) {
        size_t len = strlen(reason);
        snprintf(reason + len, sizeof reason - len, " (intake said the chain holds)");
    }
    bool holds = service_ok && !v.broken;
    s_print_verdict(&reply.msg, &v, holds, n, reason);
    if (!holds)
        fprintf(stderr, "essp history: the chain is broken at record %llu: %s\n", (unsigned long long)n,
                reason);
    history_verifier_fini(&v);
    reply_release(&reply);
    return holds ? EXIT_OK : EXIT_REFUSED;
}
