/* Unit tests of proto/schema: the application schema, keyword by keyword,
 * the public projection and the field listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/json_codec.h"
#include "proto/schema.h"
#include "proto/wire.h"
#include "json_doc.h"

/* A complete application from a worker cooperative in Nantes. */
static const char s_application_json[] =
    "{"
    "\"organisation\": {"
    "  \"name\": \"Les Ateliers du Lien\","
    "  \"siret\": \"512 345 678 00021\","
    "  \"legal_form\": \"scop\","
    "  \"created\": \"2009-03-16\","
    "  \"esus\": {\"prefecture\": \"44\", \"granted\": \"2021-05-10\", \"expires\": \"2026-05-10\"},"
    "  \"nda\": \"52 44 07891 44\","
    "  \"qualiopi\": {\"expires\": \"2026-11-30\"},"
    "  \"address\": {\"street\": \"12 rue de la Distillerie\", \"postcode\": \"44000\", \"city\": \"Nantes\"},"
    "  \"website\": \"https://ateliers-du-lien.coop\","
    "  \"public_contact\": {\"email\": \"contact@ateliers-du-lien.coop\", \"phone\": \"+33 2 40 12 34 56\"},"
    "  \"private_contact\": {\"name\": \"Maëlle Guérin\", \"email\": \"m.guerin@ateliers-du-lien.coop\","
    "                       \"phone\": \"06 12 34 56 78\"}"
    "},"
    "\"principles\": {"
    "  \"purpose\": \"Nous accompagnons les structures de l'ESS du Grand Ouest à faire vivre leur projet collectif.\","
    "  \"governance\": \"SCOP : une personne, une voix ; 14 associés sur 17 salariés, assemblée générale annuelle.\","
    "  \"surplus\": \"45 % des excédents en réserves impartageables, 40 % en participation des salariés.\""
    "},"
    "\"offer\": {"
    "  \"scope\": [\"whole\", \"specific\"],"
    "  \"formats\": [\"support\", \"training\"],"
    "  \"themes\": [\"democratic_governance\", \"territorial_anchoring\", \"continuous_improvement\"],"
    "  \"departments\": [\"44\", \"49\", \"85\", \"56\", \"35\"],"
    "  \"description\": \"Accompagnement de la démarche d'amélioration continue et formations à la gouvernance.\","
    "  \"private_area\": true"
    "},"
    "\"trained_people\": [{\"name\": \"Yann Le Goff\", \"session_date\": \"2024-03-14\"}],"
    "\"references\": ["
    "  {\"client\": \"Scic Énergie Citoyenne Loire\", \"client_is_ess\": true, \"client_siren\": \"823 456 789\","
    "   \"year\": 2022, \"kind\": \"support\", \"ci_topics\": [\"guide\", \"rse\"],"
    "   \"summary\": \"Mise en place du Guide des bonnes pratiques sur 18 mois.\"},"
    "  {\"client\": \"Les Petits Débrouillards 44\", \"client_is_ess\": true, \"year\": 2023, \"kind\": \"training\","
    "   \"summary\": \"Deux journées de formation à la gouvernance partagée.\"},"
    "  {\"client\": \"Mutuelle des Pays de Loire\", \"client_is_ess\": true, \"year\": 2021, \"kind\": \"support\","
    "   \"ci_topics\": [\"iso26000\"], \"summary\": \"Diagnostic RSO selon l'ISO 26000.\"}"
    "],"
    "\"commitments\": {"
    "  \"contract_before_action\": true, \"within_competence\": true, \"confidentiality\": true,"
    "  \"non_discrimination\": true, \"conflict_disclosure\": true, \"tax_compliance\": true,"
    "  \"regulatory_watch\": true, \"intellectual_property\": true, \"fair_competition\": true,"
    "  \"charter_on_request\": true"
    "},"
    "\"ties\": {\"organisations\": [\"823 456 789\"], \"networks\": [\"URSCOP Ouest\", \"CRESS Pays de la Loire\"]}"
    "}";

static json_t *s_app(void)
{
    json_error_t jerr;
    json_t *app = json_loads(s_application_json, JSON_REJECT_DUPLICATES, &jerr);
    if (!app)
        fail_msg("test application: %s (line %d)", jerr.text, jerr.line);
    return app;
}

/* The value at a path like "organisation.esus" or "references[2]". */
static json_t *s_at(json_t *root, const char *path)
{
    json_t *node = root;
    char name[64];
    while (node && *path) {
        if (*path == '.')
            path++;
        if (*path == '[') {
            char *end;
            long index = strtol(path + 1, &end, 10);
            node = json_array_get(node, (size_t) index);
            path = end + 1;
            continue;
        }
        size_t len = strcspn(path, ".[");
        assert_true(len < sizeof name);
        memcpy(name, path, len);
        name[len] = 0;
        node = json_object_get(node, name);
        path += len;
    }
    assert_non_null(node);
    return node;
}

/* JSON -> msgpack -> safe decode -> validate. */
static int s_validate_json(json_t *app, proto_error_t *err)
{
    char *text = json_dumps(app, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(text);
    json_doc_t doc;
    json_doc_init(&doc, text);
    int rc = schema_validate(schema_application(), &doc.obj, err);
    json_doc_fini(&doc);
    free(text);
    return rc;
}

/* Checks that app is refused at `field` for `rule`; takes app. */
static void s_refused(json_t *app, const char *field, const char *rule)
{
    proto_error_t err;
    if (s_validate_json(app, &err) == 0)
        fail_msg("accepted, expected %s at %s", rule, field);
    json_decref(app);
    if (strcmp(err.field, field) != 0 || strcmp(err.rule, rule) != 0)
        fail_msg("got %s at '%s' (%s), expected %s at '%s'", err.rule, err.field, err.message, rule, field);
}

static void test_valid_application(void **state)
{
    json_t *app = s_app();
    proto_error_t err;
    if (s_validate_json(app, &err) != 0)
        fail_msg("refused: %s [%s] at '%s'", err.message, err.rule, err.field);
    assert_string_equal(err.rule, "");
    json_decref(app);
}

static void test_minimal_application(void **state)
{
    json_t *app = s_app();
    json_t *organisation = s_at(app, "organisation");
    const char *optional[] = { "created", "esus", "nda", "qualiopi", "website" };
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        json_object_del(organisation, optional[i]);
    json_object_del(app, "ties");
    json_object_del(app, "trained_people");
    json_array_clear(s_at(app, "references"));
    json_object_clear(s_at(app, "principles"));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), 0);
    json_decref(app);
}

static void test_type(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "name", json_integer(42));
    s_refused(app, "organisation.name", "type");

    app = s_app();
    json_object_set_new(s_at(app, "commitments"), "confidentiality", json_string("yes"));
    s_refused(app, "commitments.confidentiality", "type");

    app = s_app();
    json_object_set_new(s_at(app, "references[2]"), "year", json_string("2021"));
    s_refused(app, "references[2].year", "type");

    /* 2021.0 is a number, not an integer: doc_int could not read it. */
    app = s_app();
    json_object_set_new(s_at(app, "references[1]"), "year", json_real(2021.0));
    s_refused(app, "references[1].year", "type");

    app = s_app();
    json_object_set_new(app, "offer", json_array());
    s_refused(app, "offer", "type");

    s_refused(json_string("not an application"), "", "type");
}

static void test_type_message(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "name", json_integer(42));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), -1);
    assert_string_equal(err.message, "organisation.name: must be string, got integer");
    json_decref(app);
}

static void test_required(void **state)
{
    json_t *app = s_app();
    json_object_del(s_at(app, "organisation"), "siret");
    s_refused(app, "organisation.siret", "required");

    app = s_app();
    json_object_del(app, "commitments");
    s_refused(app, "commitments", "required");

    app = s_app();
    json_object_del(s_at(app, "trained_people[0]"), "session_date");
    s_refused(app, "trained_people[0].session_date", "required");
}

static void test_additional_properties(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "nickname", json_string("Les Ateliers"));
    s_refused(app, "organisation.nickname", "additionalProperties");

    app = s_app();
    json_object_set_new(app, "status", json_string("approved"));
    s_refused(app, "status", "additionalProperties");

    app = s_app();
    json_object_set_new(s_at(app, "references[1]"), "amount", json_integer(3000));
    s_refused(app, "references[1].amount", "additionalProperties");
}

/* A string of n copies of a two-byte character. */
static json_t *s_accented(size_t n)
{
    char *text = malloc(2 * n + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 2 * i, "\xc3\xa9", 2);
    text[2 * n] = 0;
    json_t *string = json_string(text);
    free(text);
    return string;
}

static void test_max_length_counts_characters(void **state)
{
    /* 200 "é" are 400 bytes but 200 characters: accepted. */
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "name", s_accented(200));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), 0);
    json_decref(app);

    app = s_app();
    json_object_set_new(s_at(app, "organisation"), "name", s_accented(250));
    assert_int_equal(s_validate_json(app, &err), -1);
    assert_string_equal(err.field, "organisation.name");
    assert_string_equal(err.rule, "maxLength");
    assert_string_equal(err.message, "organisation.name: at most 200 characters, got 250");
    json_decref(app);
}

static void test_min_length(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "name", json_string("A"));
    s_refused(app, "organisation.name", "minLength");

    app = s_app();
    json_object_set_new(s_at(app, "references[0]"), "summary", json_string(""));
    s_refused(app, "references[0].summary", "minLength");
}

static void test_pattern(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "siret", json_string("512 345 678 0002A"));
    s_refused(app, "organisation.siret", "pattern");

    app = s_app();
    json_object_set_new(s_at(app, "organisation.address"), "postcode", json_string("4400"));
    s_refused(app, "organisation.address.postcode", "pattern");

    app = s_app();
    json_object_set_new(s_at(app, "organisation.public_contact"), "email", json_string("contact at coop"));
    s_refused(app, "organisation.public_contact.email", "pattern");

    app = s_app();
    json_array_set_new(s_at(app, "offer.departments"), 2, json_string("96"));
    s_refused(app, "offer.departments[2]", "pattern");

    app = s_app();
    json_object_set_new(s_at(app, "organisation.esus"), "prefecture", json_string("2A"));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), 0);
    json_decref(app);
}

static void test_pattern_refuses_nul(void **state)
{
    /* "44000\0x" would match ^[0-9]{5}$ if the regex stopped at the NUL;
     * the NUL is refused as a control character before the pattern. */
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation.address"), "postcode", json_stringn("44000\0x", 7));
    s_refused(app, "organisation.address.postcode", "control");
}

/* Sets the string at parent.key and validates; the error in *err. */
static int s_validate_with(const char *parent, const char *key, json_t *value, proto_error_t *err)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, parent), key, value);
    int rc = s_validate_json(app, err);
    json_decref(app);
    return rc;
}

/* The schema's e-mail patterns are id_email_valid in POSIX ERE: intake
 * takes no address notify would refuse to write to, and refuses none it
 * would write to.  A refusal names the field and the pattern. */
static void test_email_patterns_are_notify_rule(void **state)
{
    (void) state;
    static const char *const addresses[] = {
        "m.guerin@ateliers-du-lien.coop", "a@b.co", "a.b+c_d-e@x.y.z", "o'neil@exemple.fr",
        "!#$%&'*+/=?^_`{|}~@exemple.fr", ".a@.b.fr",
        "contact@crèche-solidaire.fr", "zoé@exemple.fr", "jean@asso.fr,", "jean@asso.fr;", "<jean@asso.fr>",
        "\"jean\"@asso.fr", "jean(x)@asso.fr", "jean@[127.0.0.1]", "jean\\@asso.fr", "jean:x@asso.fr",
        "jean @asso.fr", "jean@asso", "jean@asso.", "jean@.fr", "@asso.fr", "jean@@asso.fr", "a@b@c.fr",
        "jean@asso.fr\x7f",
    };
    static const char *const parents[] = {"organisation.public_contact", "organisation.private_contact"};
    for (size_t p = 0; p < 2; p++)
        for (size_t i = 0; i < sizeof addresses / sizeof *addresses; i++) {
            proto_error_t err;
            bool notify = id_email_valid(addresses[i], strlen(addresses[i]));
            int rc = s_validate_with(parents[p], "email", json_string(addresses[i]), &err);
            if ((rc == 0) != notify)
                fail_msg("%s: schema %s, id_email_valid %s", addresses[i], rc ? "refuses" : "accepts",
                         notify ? "accepts" : "refuses");
            if (rc == 0)
                continue;
            char field[64];
            snprintf(field, sizeof field, "%s.email", parents[p]);
            if (strcmp(err.field, field) || strcmp(err.rule, strcmp(addresses[i], "jean@asso.fr\x7f") ? "pattern" : "control"))
                fail_msg("%s: %s at '%s' (%s)", addresses[i], err.rule, err.field, err.message);
        }
}

static void test_control_characters_refused(void **state)
{
    proto_error_t err;
    /* U+0001 in a name: the field, the rule, where it is. */
    assert_int_equal(s_validate_with("organisation", "name", json_string("Les Ateliers\x01 du Lien"), &err), -1);
    assert_string_equal(err.field, "organisation.name");
    assert_string_equal(err.rule, "control");
    assert_string_equal(err.message,
                        "organisation.name: must not contain the control character U+0001 (character 13)");
    /* Counted in characters, as maxLength is. */
    assert_int_equal(s_validate_with("organisation.address", "city", json_string("Orléans\x1b"), &err), -1);
    assert_string_equal(err.field, "organisation.address.city");
    assert_string_equal(err.message,
                        "organisation.address.city: must not contain the control character U+001B (character 8)");
    /* NUL and DEL, in any string, an array's item included. */
    assert_int_equal(s_validate_with("organisation", "name", json_stringn("Les\0Ateliers", 12), &err), -1);
    assert_string_equal(err.rule, "control");
    json_t *app = s_app();
    json_array_set_new(s_at(app, "ties.networks"), 1, json_string("CRESS\x7f"));
    s_refused(app, "ties.networks[1]", "control");
    /* A line break where a single line is expected. */
    assert_int_equal(s_validate_with("references[0]", "client", json_string("Scic\nÉnergie"), &err), -1);
    assert_string_equal(err.field, "references[0].client");
    assert_string_equal(err.rule, "control");
    assert_string_equal(err.message,
                        "references[0].client: must be a single line, got a line break at character 5");
    assert_int_equal(s_validate_with("organisation", "name", json_string("Les Ateliers\r"), &err), -1);
    assert_string_equal(err.rule, "control");
    /* A control character in a multi-line text is still refused. */
    assert_int_equal(s_validate_with("offer", "description", json_string("Ligne\n\x02"), &err), -1);
    assert_string_equal(err.field, "offer.description");
    assert_string_equal(err.rule, "control");
}

static void test_line_breaks_and_accents_accepted(void **state)
{
    proto_error_t err;
    /* The texts written in several lines keep their lines. */
    const char *texts[][2] = {
        { "principles", "purpose" }, { "principles", "governance" }, { "principles", "surplus" },
        { "offer", "description" }, { "references[1]", "summary" },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (s_validate_with(texts[i][0], texts[i][1], json_string("Première ligne.\r\nSeconde\tligne.\n"), &err))
            fail_msg("%s.%s refused: %s [%s]", texts[i][0], texts[i][1], err.message, err.rule);
    /* A tab and accented, typographic and non-Latin letters anywhere. */
    assert_int_equal(s_validate_with("organisation", "name",
                                     json_string("Œuvre «\u00a0L’Écluse\u00a0» —\tcoopérative ñ 日本 😀"), &err), 0);
    assert_int_equal(s_validate_with("organisation.address", "city", json_string("Saint-Étienne-du-Rouvray"), &err), 0);
}

static void test_enum(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "legal_form", json_string("sarl"));
    s_refused(app, "organisation.legal_form", "enum");

    app = s_app();
    json_array_set_new(s_at(app, "offer.themes"), 1, json_string("cooking"));
    s_refused(app, "offer.themes[1]", "enum");

    app = s_app();
    json_object_set_new(s_at(app, "organisation"), "legal_form", json_string("SCOP"));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), -1);
    assert_non_null(strstr(err.message, "scop, scic, cae"));
    json_decref(app);
}

static void test_format_date(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "organisation"), "created", json_string("2023-02-29"));
    s_refused(app, "organisation.created", "format");

    app = s_app();
    json_object_set_new(s_at(app, "organisation.esus"), "expires", json_string("10/05/2026"));
    s_refused(app, "organisation.esus.expires", "format");

    app = s_app();
    json_object_set_new(s_at(app, "trained_people[0]"), "session_date", json_string("2024-3-14"));
    s_refused(app, "trained_people[0].session_date", "format");
}

static void test_minimum_maximum(void **state)
{
    json_t *app = s_app();
    json_object_set_new(s_at(app, "references[2]"), "year", json_integer(1850));
    proto_error_t err;
    assert_int_equal(s_validate_json(app, &err), -1);
    assert_string_equal(err.field, "references[2].year");
    assert_string_equal(err.rule, "minimum");
    assert_string_equal(err.message, "references[2].year: at least 1900, got 1850");
    json_decref(app);

    app = s_app();
    json_object_set_new(s_at(app, "references[0]"), "year", json_integer(2300));
    s_refused(app, "references[0].year", "maximum");

    app = s_app();
    json_object_set_new(s_at(app, "references[0]"), "year", json_integer(-5));
    s_refused(app, "references[0].year", "minimum");

    app = s_app();
    json_object_set_new(s_at(app, "references[0]"), "year", json_integer(1900));
    assert_int_equal(s_validate_json(app, &err), 0);
    json_decref(app);
}

static void test_items_counts(void **state)
{
    json_t *app = s_app();
    json_array_clear(s_at(app, "offer.scope"));
    s_refused(app, "offer.scope", "minItems");

    app = s_app();
    json_t *themes = s_at(app, "offer.themes");
    while (json_array_size(themes) < 13)
        json_array_append_new(themes, json_string("ethics_deontology"));
    s_refused(app, "offer.themes", "maxItems");
}

static void test_unique_items(void **state)
{
    json_t *app = s_app();
    json_array_append_new(s_at(app, "offer.departments"), json_string("49"));
    s_refused(app, "offer.departments[5]", "uniqueItems");

    app = s_app();
    json_t *networks = s_at(app, "ties.networks");
    json_array_insert_new(networks, 0, json_string("CRESS Pays de la Loire"));
    s_refused(app, "ties.networks[2]", "uniqueItems");
}

static void test_first_violation_in_document_order(void **state)
{
    /* organisation comes first in the document: its error is reported,
     * then the missing required properties of the root. */
    json_t *app = s_app();
    json_object_set_new(s_at(app, "offer"), "scope", json_array());
    json_object_set_new(s_at(app, "organisation"), "siret", json_string("x"));
    json_object_del(app, "commitments");
    s_refused(app, "organisation.siret", "minLength");

    app = s_app();
    json_object_del(app, "commitments");
    json_object_set_new(s_at(app, "ties"), "networks", json_string("URSCOP"));
    s_refused(app, "ties.networks", "type");
}

static void test_public_projection(void **state)
{
    json_t *app = s_app();
    char *text = json_dumps(app, JSON_COMPACT);
    json_decref(app);
    json_doc_t in;
    json_doc_init(&in, text);
    free(text);

    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    assert_int_equal(schema_pack_public(schema_application(), &in.obj, &pk), 0);
    msgpack_object pub;
    proto_error_t err;
    assert_int_equal(wire_decode(out.data, out.size, &in.zone, &pub, &err), 0);

    assert_true(doc_is(doc_path(&pub, "organisation.name"), "Les Ateliers du Lien"));
    assert_true(doc_is(doc_path(&pub, "organisation.address.city"), "Nantes"));
    assert_true(doc_is(doc_path(&pub, "organisation.esus.granted"), "2021-05-10"));
    assert_true(doc_is(doc_path(&pub, "organisation.public_contact.email"), "contact@ateliers-du-lien.coop"));
    assert_int_equal(doc_len(doc_path(&pub, "offer.themes")), 3);
    assert_int_equal(doc_len(doc_path(&pub, "offer.departments")), 5);
    assert_null(doc_path(&pub, "organisation.private_contact"));
    assert_null(doc_path(&pub, "offer.private_area"));
    const char *private_parts[] = { "commitments", "principles" };
    for (size_t i = 0; i < sizeof private_parts / sizeof private_parts[0]; i++)
        assert_null(doc_get(&pub, private_parts[i]));
    /* Of the references, the structures, years, kinds and parts of the
     * approach are published; the summary and the client's SIREN stay
     * with the committee. */
    const msgpack_object *references = doc_get(&pub, "references");
    assert_int_equal(doc_len(references), 3);
    const msgpack_object *first = doc_at(references, 0);
    assert_true(doc_is(doc_get(first, "client"), "Scic Énergie Citoyenne Loire"));
    assert_true(doc_get(first, "client_is_ess")->via.boolean);
    assert_int_equal(doc_get(first, "year")->via.u64, 2022);
    assert_true(doc_is(doc_get(first, "kind"), "support"));
    assert_int_equal(doc_len(doc_get(first, "ci_topics")), 2);
    assert_null(doc_get(first, "summary"));
    assert_null(doc_get(first, "client_siren"));
    assert_int_equal(first->via.map.size, 5);
    /* Of the trained people, the session dates only: never a name. */
    const msgpack_object *trained = doc_at(doc_get(&pub, "trained_people"), 0);
    assert_true(doc_is(doc_get(trained, "session_date"), "2024-03-14"));
    assert_int_equal(trained->via.map.size, 1);
    /* Of the declared ties, the networks are published; the organisations
     * (SIREN) stay with the committee. */
    assert_int_equal(doc_len(doc_path(&pub, "ties.networks")), 2);
    assert_null(doc_path(&pub, "ties.organisations"));
    assert_int_equal(pub.via.map.size, 5);     /* organisation, offer, trained_people, references, ties */
    /* No private value anywhere in the bytes either. */
    char *dump = json_codec_dump(&pub, false);
    assert_non_null(dump);
    assert_null(strstr(dump, "Guérin"));
    assert_null(strstr(dump, "Le Goff"));
    assert_null(strstr(dump, "823 456 789"));
    assert_null(strstr(dump, "18 mois"));
    assert_null(strstr(dump, "823456789"));
    assert_null(strstr(dump, "823 456 789"));
    free(dump);

    msgpack_sbuffer_destroy(&out);
    json_doc_fini(&in);
}

static void test_unknown_keyword_refused(void **state)
{
    const char *text = "{\"type\": \"object\", \"properties\": {"
                       "\"price\": {\"type\": \"integer\", \"multipleOf\": 5}}}";
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    assert_null(schema);
    assert_string_equal(err.rule, "unknown_keyword");
    assert_string_equal(err.field, "price");
    assert_non_null(strstr(err.message, "multipleOf"));

    text = "{\"type\": \"object\", \"items\": {\"oneOf\": []}}";
    assert_null(schema_new(text, strlen(text), &err));
    assert_string_equal(err.rule, "unknown_keyword");
    assert_string_equal(err.field, "[]");
}

static void s_expect_bad_schema(const char *text, const char *rule)
{
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    if (schema)
        fail_msg("schema accepted: %s", text);
    assert_string_equal(err.rule, rule);
}

static void test_bad_schemas(void **state)
{
    s_expect_bad_schema("{\"type\": \"strin\"}", "schema");
    s_expect_bad_schema("{\"type\": [\"string\", \"string\"]}", "schema");
    s_expect_bad_schema("{\"pattern\": \"(unclosed\"}", "schema");
    s_expect_bad_schema("{\"format\": \"email\"}", "schema");
    s_expect_bad_schema("{\"minimum\": 1.5}", "schema");
    s_expect_bad_schema("{\"maxLength\": -1}", "schema");
    s_expect_bad_schema("{\"enum\": [1, 2]}", "schema");
    s_expect_bad_schema("{\"additionalProperties\": {}}", "schema");
    s_expect_bad_schema("{\"properties\": {\"a\": true}}", "schema");
    s_expect_bad_schema("{\"additionalProperties\": false, \"required\": [\"nmae\"],"
                        " \"properties\": {\"name\": {}}}", "schema");
    s_expect_bad_schema("{\"type\": \"object\", \"type\": \"array\"}", "json_syntax");
    s_expect_bad_schema("{", "json_syntax");
}

static void test_new_and_destroy(void **state)
{
    const char *text = "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"title\": \"t\","
                       " \"type\": [\"string\", \"null\"], \"pattern\": \"^a\"}";
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    assert_non_null(schema);
    msgpack_object value = { .type = MSGPACK_OBJECT_NIL };
    assert_int_equal(schema_validate(schema, &value, &err), 0);
    value.type = MSGPACK_OBJECT_STR;
    value.via.str.ptr = "abc";
    value.via.str.size = 3;
    assert_int_equal(schema_validate(schema, &value, &err), 0);
    value.via.str.ptr = "bab";
    assert_int_equal(schema_validate(schema, &value, &err), -1);
    assert_string_equal(err.rule, "pattern");
    value.type = MSGPACK_OBJECT_BOOLEAN;
    assert_int_equal(schema_validate(schema, &value, &err), -1);
    assert_string_equal(err.message, "document: must be string|null, got boolean");
    schema_destroy(&schema);
    assert_null(schema);
    schema_destroy(&schema);
}

static void test_numbers_and_unique_values(void **state)
{
    const char *text = "{\"type\": \"array\", \"uniqueItems\": true,"
                       " \"items\": {\"type\": \"number\", \"minimum\": -10, \"maximum\": 10}}";
    proto_error_t err;
    schema_t *schema = schema_new(text, strlen(text), &err);
    assert_non_null(schema);
    msgpack_object items[4];
    msgpack_object array = { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 4, items } };
    items[0] = (msgpack_object) { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 3 };
    items[1] = (msgpack_object) { .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = -3 };
    items[2] = (msgpack_object) { .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = 2.5 };
    items[3] = (msgpack_object) { .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = 9.5 };
    assert_int_equal(schema_validate(schema, &array, &err), 0);
    items[3].via.f64 = 3.0;                                     /* equals 3 */
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.rule, "uniqueItems");
    assert_string_equal(err.field, "[3]");
    items[3].via.f64 = 10.5;
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.rule, "maximum");
    items[3].via.f64 = 0.0 / 0.0;
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.rule, "minimum");
    items[3] = (msgpack_object) { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = UINT64_MAX };
    assert_int_equal(schema_validate(schema, &array, &err), -1);
    assert_string_equal(err.rule, "maximum");
    assert_string_equal(err.message, "[3]: at most 10, got 18446744073709551615");
    schema_destroy(&schema);
}

typedef struct {
    int count;
    int undocumented;
    bool name_public;
    bool email_public;
    bool email_seen;
    bool granted_public;
    char year_type[16];
} field_census_t;

static void s_census(const char *path, bool is_public, const char *type, const char *description, void *arg)
{
    field_census_t *census = arg;
    census->count++;
    if (!description[0])
        census->undocumented++;
    if (strcmp(path, "organisation.name") == 0)
        census->name_public = is_public;
    if (strcmp(path, "organisation.private_contact.email") == 0) {
        census->email_seen = true;
        census->email_public = is_public;
    }
    if (strcmp(path, "organisation.esus.granted") == 0)
        census->granted_public = is_public;
    if (strcmp(path, "references[].year") == 0)
        snprintf(census->year_type, sizeof census->year_type, "%s", type);
}

static void test_foreach_field(void **state)
{
    field_census_t census = { 0 };
    schema_foreach_field(schema_application(), s_census, &census);
    assert_true(census.count > 50);
    assert_int_equal(census.undocumented, 0);
    assert_true(census.name_public);
    assert_true(census.email_seen);
    assert_false(census.email_public);
    assert_true(census.granted_public);
    assert_string_equal(census.year_type, "integer");
}

static void test_application_is_shared(void **state)
{
    assert_ptr_equal(schema_application(), schema_application());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_application),
        cmocka_unit_test(test_minimal_application),
        cmocka_unit_test(test_type),
        cmocka_unit_test(test_type_message),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_additional_properties),
        cmocka_unit_test(test_max_length_counts_characters),
        cmocka_unit_test(test_min_length),
        cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_email_patterns_are_notify_rule),
        cmocka_unit_test(test_pattern_refuses_nul),
        cmocka_unit_test(test_control_characters_refused),
        cmocka_unit_test(test_line_breaks_and_accents_accepted),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_format_date),
        cmocka_unit_test(test_minimum_maximum),
        cmocka_unit_test(test_items_counts),
        cmocka_unit_test(test_unique_items),
        cmocka_unit_test(test_first_violation_in_document_order),
        cmocka_unit_test(test_public_projection),
        cmocka_unit_test(test_unknown_keyword_refused),
        cmocka_unit_test(test_bad_schemas),
        cmocka_unit_test(test_new_and_destroy),
        cmocka_unit_test(test_numbers_and_unique_values),
        cmocka_unit_test(test_foreach_field),
        cmocka_unit_test(test_application_is_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
