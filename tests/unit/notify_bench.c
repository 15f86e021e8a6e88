/*  tests/unit/notify_bench.c - see notify_bench.h. */
#include "notify_bench.h"

#include "proto/doc.h"
#include "proto/messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define APP(email, name)                                                                                        \
    "{\"organisation\": {\"name\": \"" name "\", \"private_contact\": {\"name\": \"Zoé Brochard\","           \
    " \"email\": \"" email "\"}}}"


static int s_token_open(void *arg, const unsigned char *sealed, size_t len, char *out, size_t cap)
{
    (void) arg;
    /* The test's "sealing" is the token backwards. */
    if (len + 1 > cap)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char) sealed[len - 1 - i];
    out[len] = 0;
    return 0;
}

int notify_bench_setup(void **state)
{
    core_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    notify_settings_t settings;
    memset(&settings, 0, sizeof settings);
    strcpy(settings.from, "essp@cress.example");
    strcpy(settings.public_url, "https://candidater.example/");
    strcpy(settings.directory_url, "https://annuaire.example/");
    strcpy(settings.desk_url, "https://comite.example/");
    strcpy(settings.staff, "staff@cress.example, veille@cress.example");
    strcpy(settings.templates, ESSP_NOTIFY_TEMPLATES_DIR);
    settings.reminder_days = 7;
    settings.retry_first_s = 60;
    for (size_t i = 0; i < NOTIFY_SECRET_BYTES; i++)
        settings.sender_secret[i] = (unsigned char) (i % 16 * 0x11);
    settings.token_open = s_token_open;
    t->notify = notify_new(&settings);
    assert_non_null(t->notify);
    t->bench = core_bench_new(notify_dbs);
    *state = t;
    return 0;
}

int notify_bench_teardown(void **state)
{
    core_t *t = *state;
    core_bench_destroy(&t->bench);
    notify_destroy(&t->notify);
    free(t);
    return 0;
}

void notify_bench_submitted_at(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at, int64_t now)
{
    char app[400];
    snprintf(app, sizeof app, APP("%s", "Mutuelle <Entraide>"), email);
    assert_int_equal(core_bench_apply(t->bench, notify_apply_intake, t->notify, "submitted", now,
                                      "{\"seq\": %llu, \"v\": 1, \"type\": \"submitted\", \"at\": %lld, \"id\": \"%s\","
                                      " \"revision\": 1, \"application\": %s}",
                                      (unsigned long long) seq, (long long) at, id, app),
                     0);
}

void notify_bench_submitted(core_t *t, uint64_t seq, const char *id, const char *email, int64_t at)
{
    notify_bench_submitted_at(t, seq, id, email, at, at);
}

/*  The letters due at `at` (handed out: leased). */
const msgpack_object *notify_bench_due(core_t *t, int64_t at)
{
    assert_int_equal(core_bench_request(t->bench, notify_handle, t->notify, at,
                                        "{\"v\": 1, \"type\": \"outbox_due\", \"secret\": \"" SECRET "\", \"at\": %lld,"
                                        " \"limit\": 100}", (long long) at),
                     0);
    assert_string_equal(core_bench_reply_type(t->bench), "outbox_due");
    return doc_array(core_bench_reply(t->bench), "messages");
}

char *notify_bench_field(const msgpack_object *m, const char *key)
{
    const msgpack_object *v = doc_get(m, key);
    assert_non_null(v);
    if (v->type == MSGPACK_OBJECT_BIN)
        return strndup(v->via.bin.ptr, v->via.bin.size);
    assert_int_equal(v->type, MSGPACK_OBJECT_STR);
    return strndup(v->via.str.ptr, v->via.str.size);
}

/*  The letter of the due list sent to `to`, or NULL. */
const msgpack_object *notify_bench_find(const msgpack_object *messages, const char *to)
{
    for (size_t i = 0; i < doc_len(messages); i++)
        if (doc_str_eq(doc_at(messages, i), "to", to))
            return doc_at(messages, i);
    return NULL;
}

int notify_bench_mark(core_t *t, const char *id, const char *outcome, int64_t at)
{
    return core_bench_request(t->bench, notify_handle, t->notify, at,
                              "{\"v\": 1, \"type\": \"outbox_mark\", \"secret\": \"" SECRET "\", \"message_id\": \"%s\","
                              " \"at\": %lld, \"outcome\": \"%s\", \"error\": \"451 4.3.0 try later\"}",
                              id, (long long) at, outcome);
}

/*  The plain text part of a composed letter, decoded from quoted-printable
 *  enough to search it: soft breaks removed, =XX kept as they are. */
char *notify_bench_text(const char *bytes)
{
    const char *start = strstr(bytes, "Content-Type: text/plain");
    assert_non_null(start);
    start = strstr(start, "\r\n\r\n") + 4;
    const char *end = strstr(start, "\r\n--=_essp_");
    char *out = calloc(1, (size_t) (end - start) + 1);
    size_t n = 0;
    for (const char *p = start; p < end; p++) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 2;
            continue;
        }
        out[n++] = *p;
    }
    return out;
}

/*  Every letter due at `at` is sent (the server said 250). */
void notify_bench_send_all(core_t *t, int64_t at, const msgpack_object *due)
{
    size_t n = doc_len(due);
    char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = notify_bench_field(doc_at(due, i), "message_id");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(notify_bench_mark(t, ids[i], "sent", at), 0);
        free(ids[i]);
    }
    free(ids);
}

/*  The text of the letter due at `at` to `to`; then everything due is sent. */
char *notify_bench_letter_text(core_t *t, int64_t at, const char *to)
{
    const msgpack_object *due = notify_bench_due(t, at);
    const msgpack_object *m = notify_bench_find(due, to);
    assert_non_null(m);
    char *bytes = notify_bench_field(m, "bytes");
    char *text = notify_bench_text(bytes);
    free(bytes);
    notify_bench_send_all(t, at, due);
    return text;
}
