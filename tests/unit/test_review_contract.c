/* Unit tests of review's core on a temporary LMDB (tests/unit/core_bench.h)
 * for what essp-desk and essp-notify ask of it: a member's e-mail and
 * digest (member_add, member_update by the staff and by the member), and
 * `pending`, the files each member with an e-mail has still to vote on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "review_bench.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/messages.h"
#include "services/review/pending.h"
#include "services/review/review.h"

#define S_AT 1764547200          /* 2025-12-01 00:00 UTC */
#define S_DAY 86400
#define S_SIREN "853645562"      /* the applicant of REVIEW_BENCH_FIXTURE */

#define S_AS_AT(t, at, role, name, ...) \
    (core_bench_peer((t)->bench, role, name), \
     core_bench_request((t)->bench, review_handle, (t)->review, at, __VA_ARGS__))
#define S_AS(t, role, name, ...) S_AS_AT(t, S_AT, role, name, __VA_ARGS__)
#define S_STAFF(t, ...) S_AS(t, "staff", "staff", __VA_ARGS__)

static const msgpack_object *s_reply(fixture_t *t)
{
    return core_bench_reply(t->bench);
}

static void s_member(fixture_t *t, const char *name, const char *college, const char *ties, const char *email)
{
    int rc = email ? S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"%s\",\"college\":\"%s\",\"ties\":%s,"
                                "\"email\":\"%s\"}", name, college, ties, email)
                   : S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"%s\",\"college\":\"%s\",\"ties\":%s}",
                             name, college, ties);
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "member");
}

static void s_validated_at(fixture_t *t, const char *id, int64_t at)
{
    int rc = core_bench_apply(t->bench, review_apply_validation, t->review, "validated", at,
                              "{\"seq\":1,\"v\":1,\"type\":\"validated\",\"id\":\"%s\",\"revision\":1,"
                              "\"at\":%lld,\"verdict\":\"review\",\"report\":{\"verdict\":\"review\"},"
                              "\"application\":%s}", id, (long long)at, t->application);
    assert_int_equal(rc, 0);
}

/*  The member of a pending reply named `name`, or NULL. */
static const msgpack_object *s_pending_member(fixture_t *t, const char *name)
{
    const msgpack_object *members = doc_array(s_reply(t), "members");
    for (size_t i = 0; i < doc_len(members); i++)
        if (doc_str_eq(doc_at(members, i), "name", name))
            return doc_at(members, i);
    return NULL;
}

/*  The ids of a member's files in a pending reply, joined by commas. */
static const char *s_files_of(fixture_t *t, const char *name)
{
    static char ids[256];
    ids[0] = '\0';
    const msgpack_object *member = s_pending_member(t, name);
    const msgpack_object *files = doc_array(member, "files");
    for (size_t i = 0; i < doc_len(files); i++) {
        char id[PROTO_ID_MAX + 1];
        doc_strcpy(doc_at(files, i), "id", id, sizeof id);
        if (i)
            strcat(ids, ",");
        strcat(ids, id);
    }
    return ids;
}

/* ------------------------------------------------------------------ email */

static void test_email_rule(void **state)
{
    (void)state;
    static const char *const good[] = {"claire.moreau@univ-nantes.fr", "a@b.co", "o'neil+comite@exemple.fr"};
    /* Accents and header specials too: notify could not write to them. */
    static const char *const bad[] = {"", "claire", "claire@", "@univ.fr", "claire@univ", "claire@@univ.fr",
                                      "cl aire@univ.fr", "claire@univ.fr\r\nBcc: x@y.fr", "claire@.fr",
                                      "claire@univ.", "a@b@c.fr", "claire@univ\t.fr", "élise@exemple.fr",
                                      "contact@crèche-solidaire.fr", "claire@univ.fr,", "<claire@univ.fr>",
                                      "claire@univ.fr;x@y.fr", "\"claire\"@univ.fr"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(id_email_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(id_email_valid(bad[i], strlen(bad[i])));
    char long_address[300];
    memset(long_address, 'a', sizeof long_address);
    memcpy(long_address + 240, "@exemple.fr", 12);   /* 251 bytes: fits */
    assert_true(id_email_valid(long_address, strlen(long_address)));
    memset(long_address, 'a', sizeof long_address);
    memcpy(long_address + 244, "@exemple.fr", 12);   /* 255 bytes: too long */
    assert_false(id_email_valid(long_address, strlen(long_address)));
}

/*  The desk's logins: one '@' with text on both sides, nothing that would
 *  split or quote the address in a header or a list. */
static void test_login_rule(void **state)
{
    (void)state;
    static const char *const good[] = {"claire.moreau@univ-nantes.fr", "a@b", "ÉLISE@exemple.fr"};
    static const char *const bad[] = {"", "a@", "@b.fr", "claire", "a@b@c.fr", "cl aire@univ.fr",
                                      "claire@univ.fr\r\nBcc: x@y.fr", "<claire@univ.fr>", "\"c\"@univ.fr",
                                      "a@b.fr,c@d.fr", "a@b.fr;c@d.fr", "a@b\x7f.fr"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(id_login_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(id_login_valid(bad[i], strlen(bad[i])));
    char long_login[300];
    memset(long_login, 'a', sizeof long_login);
    memcpy(long_login + 250, "@b.fr", 6);              /* 255 bytes: too long */
    assert_false(id_login_valid(long_login, strlen(long_login)));
}

static void test_member_add_email_and_digest(void **state)
{
    fixture_t *t = *state;
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"alice\",\"college\":\"researchers\","
                        "\"email\":\"alice@univ-nantes.fr\",\"digest\":false}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "email", "alice@univ-nantes.fr"));
    assert_false(doc_bool(s_reply(t), "digest", true));
    s_member(t, "bruno", "local_authorities", "[]", NULL);
    assert_null(doc_get(s_reply(t), "email"));
    assert_true(doc_bool(s_reply(t), "digest", false));   /* the default */

    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"eve\",\"college\":\"researchers\","
                    "\"email\":\"eve@exemple.fr\\r\\nBcc: x@y.fr\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "email", "email");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_add\",\"name\":\"eve\",\"college\":\"researchers\","
                    "\"email\":\"eve.exemple.fr\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "email", "email");

    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_int_equal(rc, 0);
    const msgpack_object *members = doc_array(s_reply(t), "members");
    assert_int_equal(doc_len(members), 2);                /* eve was never added */
    assert_true(doc_str_eq(doc_at(members, 0), "email", "alice@univ-nantes.fr"));
    assert_false(doc_bool(doc_at(members, 0), "digest", true));
    assert_null(doc_get(doc_at(members, 1), "email"));
    assert_true(doc_bool(doc_at(members, 1), "digest", false));
}

static void test_member_update_by_staff(void **state)
{
    fixture_t *t = *state;
    s_member(t, "alice", "researchers", "[]", "alice@univ-nantes.fr");
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"college\":\"ess_networks\","
                        "\"ties\":[\"853 645 562 00010\"],\"networks\":[\"CRESS Bretagne\"],"
                        "\"email\":\"alice@cress-bretagne.org\",\"digest\":false}");
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "member");
    assert_true(doc_str_eq(s_reply(t), "college", "ess_networks"));
    assert_true(doc_is(doc_at(doc_array(s_reply(t), "ties"), 0), S_SIREN));
    assert_true(doc_is(doc_at(doc_array(s_reply(t), "networks"), 0), "CRESS Bretagne"));
    assert_true(doc_str_eq(s_reply(t), "email", "alice@cress-bretagne.org"));
    assert_false(doc_bool(s_reply(t), "digest", true));

    /* What is not given stays. */
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"digest\":true}");
    assert_int_equal(rc, 0);
    assert_true(doc_str_eq(s_reply(t), "college", "ess_networks"));
    assert_true(doc_str_eq(s_reply(t), "email", "alice@cress-bretagne.org"));
    assert_true(doc_bool(s_reply(t), "digest", false));
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_true(doc_str_eq(doc_at(doc_array(s_reply(t), "members"), 0), "college", "ess_networks"));

    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_update\",\"name\":\"nobody\",\"digest\":true}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_NOT_FOUND, "name", "exists");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"email\":\"alice at univ\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "email", "email");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"ties\":[\"1234\"]}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_INVALID, "ties[0]", "siren");
    /* Nothing of the refused updates was written. */
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_true(doc_str_eq(doc_at(doc_array(s_reply(t), "members"), 0), "email", "alice@cress-bretagne.org"));
}

/*  A member sets their own e-mail and digest, nothing else, and only
 *  their own. */
static void test_member_update_by_member(void **state)
{
    fixture_t *t = *state;
    s_member(t, "alice", "researchers", "[]", "alice@univ-nantes.fr");
    s_member(t, "bruno", "local_authorities", "[]", NULL);
    int rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"digest\":false,"
                                        "\"email\":\"a.martin@univ-nantes.fr\"}");
    assert_int_equal(rc, 0);
    assert_false(doc_bool(s_reply(t), "digest", true));
    assert_true(doc_str_eq(s_reply(t), "email", "a.martin@univ-nantes.fr"));
    assert_true(doc_str_eq(s_reply(t), "college", "researchers"));

    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"college\":\"ess_networks\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "college", "role");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"ties\":[]}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "ties", "role");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"member_update\",\"name\":\"alice\",\"networks\":[]}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "networks", "role");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"member_update\",\"name\":\"bruno\",\"digest\":false}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "name", "identity");
    rc = S_AS(t, "service", "notify", "{\"v\":1,\"type\":\"member_update\",\"name\":\"bruno\",\"digest\":false}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"member_list\"}");
    assert_true(doc_bool(doc_at(doc_array(s_reply(t), "members"), 1), "digest", false));   /* bruno's stays */
}

/* ---------------------------------------------------------------- pending */

static void test_pending_roles(void **state)
{
    fixture_t *t = *state;
    int rc = S_AS(t, "service", "notify", "{\"v\":1,\"type\":\"pending\"}");
    assert_int_equal(rc, 0);
    assert_string_equal(core_bench_reply_type(t->bench), "pending");
    assert_int_equal(doc_len(doc_array(s_reply(t), "members")), 0);
    rc = S_STAFF(t, "{\"v\":1,\"type\":\"pending\"}");
    assert_int_equal(rc, 0);
    rc = S_AS(t, "service", "publication", "{\"v\":1,\"type\":\"pending\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_AS(t, "member", "alice", "{\"v\":1,\"type\":\"pending\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
    rc = S_AS(t, NULL, NULL, "{\"v\":1,\"type\":\"pending\"}");
    core_bench_assert_refused(t->bench, rc, PROTO_E_FORBIDDEN, "type", "role");
}

/*  Who has still to vote on what: not voted, not recused (tie, own
 *  recusal), an e-mail to write to. */
static void test_pending_lists_what_waits(void **state)
{
    fixture_t *t = *state;
    s_member(t, "alice", "researchers", "[]", "alice@univ-nantes.fr");
    s_member(t, "bruno", "local_authorities", "[]", "bruno@nantes.fr");
    s_member(t, "chloe", "ess_networks", "[]", NULL);                       /* no e-mail */
    s_member(t, "tiago", "researchers", "[\"" S_SIREN "\"]", "tiago@exemple.fr");   /* tied */
    s_member(t, "zoe", "researchers", "[]", "zoe@exemple.fr");
    s_validated_at(t, "f1", S_AT);
    s_validated_at(t, "f2", S_AT + S_DAY);
    int rc = S_AS(t, "member", "bruno", "{\"v\":1,\"type\":\"vote\",\"id\":\"f1\",\"decision\":\"approve\"}");
    assert_int_equal(rc, 0);
    rc = S_AS(t, "member", "zoe", "{\"v\":1,\"type\":\"recuse\",\"id\":\"f1\",\"reason\":\"J'ai conseillé cette SCOP.\"}");
    assert_int_equal(rc, 0);
    rc = S_AS(t, "member", "zoe", "{\"v\":1,\"type\":\"vote\",\"id\":\"f2\",\"decision\":\"approve\"}");
    assert_int_equal(rc, 0);

    rc = S_AS_AT(t, S_AT + 2 * S_DAY, "service", "notify", "{\"v\":1,\"type\":\"pending\",\"rid\":4}");
    assert_int_equal(rc, 0);
    const msgpack_object *members = doc_array(s_reply(t), "members");
    assert_int_equal(doc_len(members), 2);            /* alice, bruno: chloe has no e-mail, tiago and zoe nothing */
    assert_string_equal(s_files_of(t, "alice"), "f1,f2");
    assert_string_equal(s_files_of(t, "bruno"), "f2");
    assert_null(s_pending_member(t, "tiago"));
    assert_null(s_pending_member(t, "zoe"));
    const msgpack_object *bruno = s_pending_member(t, "bruno");
    assert_true(doc_str_eq(bruno, "email", "bruno@nantes.fr"));
    assert_true(doc_bool(bruno, "digest", false));
    const msgpack_object *file = doc_at(doc_array(bruno, "files"), 0);
    assert_true(doc_str_eq(file, "name", "Ancrage Conseil SCOP"));
    assert_true(doc_str_eq(file, "kind", "review"));
    uint64_t round = 0, queued_at = 0;
    assert_true(doc_uint(file, "round", &round) && round == 1);
    assert_true(doc_uint(file, "queued_at", &queued_at) && queued_at == S_AT + S_DAY);
    assert_null(doc_get(s_reply(t), "more"));

    /* since: rounds opened at or after it; older_than: opened more than
     * that long before the request. */
    rc = S_AS_AT(t, S_AT + 2 * S_DAY, "staff", "staff",
                 "{\"v\":1,\"type\":\"pending\",\"since\":%d}", S_AT + S_DAY);
    assert_int_equal(rc, 0);
    assert_string_equal(s_files_of(t, "alice"), "f2");
    rc = S_AS_AT(t, S_AT + 2 * S_DAY, "staff", "staff",
                 "{\"v\":1,\"type\":\"pending\",\"older_than\":%d}", S_DAY + 1);
    assert_int_equal(rc, 0);
    assert_string_equal(s_files_of(t, "alice"), "f1");
    assert_null(s_pending_member(t, "bruno"));        /* f2 opened a day ago only, f1 he voted */
    rc = S_AS_AT(t, S_AT + 2 * S_DAY, "staff", "staff",
                 "{\"v\":1,\"type\":\"pending\",\"older_than\":%d}", S_DAY);
    assert_int_equal(rc, 0);
    assert_string_equal(s_files_of(t, "alice"), "f1");   /* exactly a day: not more than */
}

static void test_pending_round_rule(void **state)
{
    (void)state;
    assert_true(pending_round_matches(100, 0, false, 0, 200));
    assert_true(pending_round_matches(100, 100, false, 0, 200));
    assert_false(pending_round_matches(99, 100, false, 0, 200));
    assert_true(pending_round_matches(100, 0, true, 99, 200));
    assert_false(pending_round_matches(100, 0, true, 100, 200));
    assert_false(pending_round_matches(300, 0, true, 0, 200));     /* opened after now */
    assert_true(pending_round_matches(0, 0, true, 1000, 2000));   /* unknown opening: as old as can be */
}

/*  A decided file waits for nobody any more; a new round waits again. */
static void test_pending_after_decision(void **state)
{
    fixture_t *t = *state;
    s_member(t, "alice", "researchers", "[]", "alice@univ-nantes.fr");
    s_member(t, "bruno", "local_authorities", "[]", "bruno@nantes.fr");
    s_member(t, "chloe", "ess_networks", "[]", "chloe@exemple.fr");
    s_member(t, "david", "researchers", "[]", "david@exemple.fr");
    s_validated_at(t, "f1", S_AT);
    static const char *const voters[] = {"alice", "bruno", "chloe"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(S_AS(t, "member", voters[i], "{\"v\":1,\"type\":\"vote\",\"id\":\"f1\",\"decision\":\"approve\"}"), 0);
    int rc = S_STAFF(t, "{\"v\":1,\"type\":\"pending\"}");
    assert_int_equal(rc, 0);
    assert_int_equal(doc_len(doc_array(s_reply(t), "members")), 0);   /* david need not vote: decided */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_rule),
        cmocka_unit_test(test_login_rule),
        cmocka_unit_test(test_pending_round_rule),
        cmocka_unit_test_setup_teardown(test_member_add_email_and_digest, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_member_update_by_staff, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_member_update_by_member, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_pending_roles, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_pending_lists_what_waits, review_bench_setup, review_bench_teardown),
        cmocka_unit_test_setup_teardown(test_pending_after_decision, review_bench_setup, review_bench_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
