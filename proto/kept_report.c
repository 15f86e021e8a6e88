/*  proto/kept_report.c - see kept_report.h. */
#include "kept_report.h"

#include "doc.h"
#include "messages.h"
#include "wire.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

/*  A pair of a criterion that holds its default and is left out. */
static bool s_default(const msgpack_object_kv *kv)
{
    if (doc_is(&kv->key, "blocking"))
        return kv->val.type == MSGPACK_OBJECT_BOOLEAN && !kv->val.via.boolean;
    if (doc_is(&kv->key, "field"))
        return kv->val.type == MSGPACK_OBJECT_STR && kv->val.via.str.size == 0;
    return false;
}

static void s_pack_kept_criterion(msgpack_packer *pk, const msgpack_object *criterion)
{
    if (criterion->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *criterion);
        return;
    }
    const msgpack_object_map *map = &criterion->via.map;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < map->size; i++)
        kept += !s_default(&map->ptr[i]);
    msgpack_pack_map(pk, kept);
    for (uint32_t i = 0; i < map->size; i++)
        if (!s_default(&map->ptr[i])) {
            msgpack_pack_object(pk, map->ptr[i].key);
            msgpack_pack_object(pk, map->ptr[i].val);
        }
}

/*  The report's map, each criterion through `criterion`. */
static void s_pack_report(msgpack_packer *pk, const msgpack_object *report,
                          void (*criterion)(msgpack_packer *, const msgpack_object *))
{
    if (report->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *report);
        return;
    }
    msgpack_pack_map(pk, report->via.map.size);
    for (uint32_t i = 0; i < report->via.map.size; i++) {
        const msgpack_object_kv *kv = &report->via.map.ptr[i];
        msgpack_pack_object(pk, kv->key);
        if (!doc_is(&kv->key, "criteria") || kv->val.type != MSGPACK_OBJECT_ARRAY) {
            msgpack_pack_object(pk, kv->val);
            continue;
        }
        msgpack_pack_array(pk, kv->val.via.array.size);
        for (uint32_t j = 0; j < kv->val.via.array.size; j++)
            criterion(pk, &kv->val.via.array.ptr[j]);
    }
}

/* ---------------------------------------------------------- compact form */

/*  The form version, first in the array. */
#define S_COMPACT 1

/*  Outcomes and reasons by their place in these tables.  Stored reports
 *  name an entry by its place: an entry is never removed nor moved, a new
 *  one goes at the end (a text the charter no longer gives stays, for the
 *  reports that have it). */
static const char *const s_outcomes[] = {"pass", "fail", "review", "warn"};
static const char *const s_reasons[] = {
    "Engagement pris.",
    "Description reçue : le comité scientifique et éthique l'examinera.",
    "Références datées, aucune dans le futur ni de plus de 10 ans.",
    "Sans objet : l'agrément ESUS n'est exigé que d'une société commerciale.",
    "Sans objet : vous ne proposez pas de formation.",
    "Sans objet : vous ne demandez pas l'accès à la partie privée d'ESS Pratiques.",
    "Sans objet : aucun agrément ESUS n'est renseigné, ce que signale le critère ESS-FORM.",
    "1 référence auprès d'organisations de l'ESS : le comité en examinera le contenu.",
    "2 références auprès d'organisations de l'ESS : le comité en examinera le contenu.",
    "3 références auprès d'organisations de l'ESS : le comité en examinera le contenu.",
    "1 référence sur la démarche d'amélioration continue : le comité en examinera le contenu.",
    "2 références sur la démarche d'amélioration continue : le comité en examinera le contenu.",
    "3 références sur la démarche d'amélioration continue : le comité en examinera le contenu.",
    "1 personne formée à la partie privée : accès accordé.",
    "2 personnes formées à la partie privée : accès accordé.",
};
#define S_COUNT(table) (sizeof table / sizeof *table)

/*  The place of the len bytes of `text` in `table`, or -1. */
static int s_place_n(const char *const *table, size_t count, const char *text, size_t len)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(table[i]) == len && memcmp(table[i], text, len) == 0)
            return (int)i;
    return -1;
}

/*  The place of the C string `text` in `table`, or -1. */
static int s_place_cstr(const char *const *table, size_t count, const char *text)
{
    return s_place_n(table, count, text, strlen(text));
}

/*  The place of `text` in `table`, or -1. */
static int s_place(const char *const *table, size_t count, const msgpack_object *text)
{
    return text->type == MSGPACK_OBJECT_STR ? s_place_n(table, count, text->via.str.ptr, text->via.str.size) : -1;
}

static bool s_is(const msgpack_object_kv *kv, const char *key, msgpack_object_type type)
{
    return doc_is(&kv->key, key) && kv->val.type == type;
}

/*  True when a criterion is exactly what validation packs: code, outcome
 *  (one of s_outcomes), blocking, field, reason, in this order. */
static bool s_criterion_compactable(const msgpack_object *criterion)
{
    if (criterion->type != MSGPACK_OBJECT_MAP || criterion->via.map.size != 5)
        return false;
    const msgpack_object_kv *kv = criterion->via.map.ptr;
    return s_is(&kv[0], "code", MSGPACK_OBJECT_STR) && s_is(&kv[1], "outcome", MSGPACK_OBJECT_STR)
        && s_place(s_outcomes, S_COUNT(s_outcomes), &kv[1].val) >= 0
        && s_is(&kv[2], "blocking", MSGPACK_OBJECT_BOOLEAN) && s_is(&kv[3], "field", MSGPACK_OBJECT_STR)
        && s_is(&kv[4], "reason", MSGPACK_OBJECT_STR);
}

/*  True when the report is exactly what validation packs (charter_report_pack):
 *  anything else is kept in the map form, which keeps whatever it holds. */
static bool s_compactable(const msgpack_object *report)
{
    if (report->type != MSGPACK_OBJECT_MAP || report->via.map.size != 4)
        return false;
    const msgpack_object_kv *kv = report->via.map.ptr;
    if (!s_is(&kv[0], "charter", MSGPACK_OBJECT_STR) || !s_is(&kv[1], "verdict", MSGPACK_OBJECT_STR)
        || !s_is(&kv[2], "private_area", MSGPACK_OBJECT_BOOLEAN) || !s_is(&kv[3], "criteria", MSGPACK_OBJECT_ARRAY))
        return false;
    for (uint32_t i = 0; i < kv[3].val.via.array.size; i++)
        if (!s_criterion_compactable(&kv[3].val.via.array.ptr[i]))
            return false;
    return true;
}

/*  [S_COMPACT, charter, verdict, private_area, [[code, outcome, blocking,
 *  field, reason], ...]]: no key, the outcome's place, the reason's place
 *  when it is one of s_reasons. */
static void s_pack_compact(msgpack_packer *pk, const msgpack_object *report)
{
    const msgpack_object_kv *kv = report->via.map.ptr;
    msgpack_pack_array(pk, 5);
    msgpack_pack_uint8(pk, S_COMPACT);
    for (int i = 0; i < 3; i++)
        msgpack_pack_object(pk, kv[i].val);
    const msgpack_object *criteria = &kv[3].val;
    msgpack_pack_array(pk, criteria->via.array.size);
    for (uint32_t i = 0; i < criteria->via.array.size; i++) {
        const msgpack_object_kv *c = criteria->via.array.ptr[i].via.map.ptr;
        msgpack_pack_array(pk, 5);
        msgpack_pack_object(pk, c[0].val);
        msgpack_pack_uint8(pk, (uint8_t)s_place(s_outcomes, S_COUNT(s_outcomes), &c[1].val));
        msgpack_pack_object(pk, c[2].val);
        msgpack_pack_object(pk, c[3].val);
        int reason = s_place(s_reasons, S_COUNT(s_reasons), &c[4].val);
        if (reason >= 0)
            msgpack_pack_uint8(pk, (uint8_t)reason);
        else
            msgpack_pack_object(pk, c[4].val);
    }
}

static void s_pack_cstr(msgpack_packer *pk, const char *text)
{
    msgpack_pack_str_with_body(pk, text, strlen(text));
}

/*  The same bytes as s_pack_compact of the map charter_report_pack packs:
 *  tests/unit/test_kept_report.c compares the two on every case of the
 *  charter's tests. */
void kept_report_pack_charter(msgpack_packer *pk, const charter_report_t *report)
{
    assert(pk && report);
    msgpack_pack_array(pk, 5);
    msgpack_pack_uint8(pk, S_COMPACT);
    s_pack_cstr(pk, report->version ? report->version : CHARTER_VERSION);
    s_pack_cstr(pk, charter_verdict_name(report->verdict));
    if (report->private_area)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    msgpack_pack_array(pk, report->count);
    for (size_t i = 0; i < report->count; i++) {
        const criterion_result_t *c = &report->results[i];
        int outcome = s_place_cstr(s_outcomes, S_COUNT(s_outcomes), criterion_outcome_name(c->outcome));
        int reason = s_place_cstr(s_reasons, S_COUNT(s_reasons), c->reason);
        assert(outcome >= 0);
        msgpack_pack_array(pk, 5);
        s_pack_cstr(pk, c->code ? c->code : "");
        msgpack_pack_uint8(pk, (uint8_t)outcome);
        if (c->blocking)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        s_pack_cstr(pk, c->field);
        if (reason >= 0)
            msgpack_pack_uint8(pk, (uint8_t)reason);
        else
            s_pack_cstr(pk, c->reason);
    }
}

/*  The text of a table's entry a compact report names: a string as it is,
 *  a number by its place; false when it is neither. */
static bool s_text(const msgpack_object *value, const char *const *table, size_t count, const char **text,
                   size_t *len)
{
    if (value->type == MSGPACK_OBJECT_STR) {
        *text = value->via.str.ptr;
        *len = value->via.str.size;
        return true;
    }
    if (value->type != MSGPACK_OBJECT_POSITIVE_INTEGER || value->via.u64 >= count)
        return false;
    *text = table[value->via.u64];
    *len = strlen(*text);
    return true;
}

static void s_pack_kv(msgpack_packer *pk, const char *key, const msgpack_object *value)
{
    proto_pack_str(pk, key);
    msgpack_pack_object(pk, *value);
}

/*  Packs one compact criterion as validation made it; -1 when it is not one. */
static int s_unpack_criterion(msgpack_packer *pk, const msgpack_object *c)
{
    const char *outcome, *reason;
    size_t outcome_len, reason_len;
    if (c->type != MSGPACK_OBJECT_ARRAY || c->via.array.size != 5
        || c->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER
        || !s_text(&c->via.array.ptr[1], s_outcomes, S_COUNT(s_outcomes), &outcome, &outcome_len)
        || !s_text(&c->via.array.ptr[4], s_reasons, S_COUNT(s_reasons), &reason, &reason_len))
        return -1;
    msgpack_pack_map(pk, 5);
    s_pack_kv(pk, "code", &c->via.array.ptr[0]);
    proto_pack_kv_strn(pk, "outcome", outcome, outcome_len);
    s_pack_kv(pk, "blocking", &c->via.array.ptr[2]);
    s_pack_kv(pk, "field", &c->via.array.ptr[3]);
    proto_pack_kv_strn(pk, "reason", reason, reason_len);
    return 0;
}

/*  Packs a compact report as validation made it, into buf (so that a
 *  malformed one leaves nothing half packed in the reply); -1 when it is
 *  not one. */
static int s_unpack_compact(msgpack_sbuffer *buf, const msgpack_object *report)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    const msgpack_object *part = report->via.array.ptr;
    if (report->via.array.size != 5 || part[4].type != MSGPACK_OBJECT_ARRAY)
        return -1;
    msgpack_pack_map(&pk, 4);
    s_pack_kv(&pk, "charter", &part[1]);
    s_pack_kv(&pk, "verdict", &part[2]);
    s_pack_kv(&pk, "private_area", &part[3]);
    proto_pack_str(&pk, "criteria");
    msgpack_pack_array(&pk, part[4].via.array.size);
    for (uint32_t i = 0; i < part[4].via.array.size; i++)
        if (s_unpack_criterion(&pk, &part[4].via.array.ptr[i]))
            return -1;
    return 0;
}

/*  True for the compact form: an array whose first item is S_COMPACT
 *  (the earlier forms are maps). */
static bool s_is_compact(const msgpack_object *report)
{
    return report->type == MSGPACK_OBJECT_ARRAY && report->via.array.size > 0
        && report->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && report->via.array.ptr[0].via.u64 == S_COMPACT;
}

void kept_report_pack(msgpack_sbuffer *buf, const msgpack_object *report)
{
    msgpack_sbuffer_clear(buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    if (s_compactable(report))
        s_pack_compact(&pk, report);
    else
        s_pack_report(&pk, report, s_pack_kept_criterion);
}

static void s_pack_whole_criterion(msgpack_packer *pk, const msgpack_object *criterion)
{
    if (criterion->type != MSGPACK_OBJECT_MAP) {
        msgpack_pack_object(pk, *criterion);
        return;
    }
    const msgpack_object_map *map = &criterion->via.map;
    bool blocking = doc_get(criterion, "blocking") == NULL, field = doc_get(criterion, "field") == NULL;
    msgpack_pack_map(pk, map->size + blocking + field);
    bool placed = !blocking && !field;
    for (uint32_t i = 0; i <= map->size; i++) {
        if (i < map->size) {
            msgpack_pack_object(pk, map->ptr[i].key);
            msgpack_pack_object(pk, map->ptr[i].val);
        }
        /* where validation puts them: after the outcome (or at the end) */
        if (!placed && (i == map->size || doc_is(&map->ptr[i].key, "outcome"))) {
            if (blocking)
                proto_pack_kv_bool(pk, "blocking", false);
            if (field)
                proto_pack_kv_str(pk, "field", "");
            placed = true;
        }
    }
}

int kept_report_unpack(msgpack_packer *pk, const void *kept, size_t len, proto_error_t *err)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, len * 2 + 1024);
    msgpack_object report;
    int rc = 0;
    if (wire_decode_stored(kept, len, &zone, &report, err)) {
        msgpack_pack_nil(pk);
        rc = -1;
    } else if (s_is_compact(&report)) {
        msgpack_sbuffer whole;
        msgpack_sbuffer_init(&whole);
        rc = s_unpack_compact(&whole, &report);
        if (rc == 0) {
            proto_pack_raw(pk, whole.data, whole.size);
        } else {
            proto_error_set(err, "report", "compact", "a kept validation report is not of its compact form");
            msgpack_pack_nil(pk);
        }
        msgpack_sbuffer_destroy(&whole);
    } else {
        s_pack_report(pk, &report, s_pack_whole_criterion);
    }
    msgpack_zone_destroy(&zone);
    return rc;
}

/*  A criterion of the compact form into *c; false when it is not one. */
static bool s_compact_criterion(const msgpack_object *item, kept_criterion_t *c)
{
    if (item->type != MSGPACK_OBJECT_ARRAY || item->via.array.size != 5)
        return false;
    const msgpack_object *part = item->via.array.ptr;
    if (part[0].type != MSGPACK_OBJECT_STR || part[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER
        || part[2].type != MSGPACK_OBJECT_BOOLEAN || part[3].type != MSGPACK_OBJECT_STR
        || !s_text(&part[1], s_outcomes, S_COUNT(s_outcomes), &c->outcome, &c->outcome_len)
        || !s_text(&part[4], s_reasons, S_COUNT(s_reasons), &c->reason, &c->reason_len))
        return false;
    c->code = part[0].via.str.ptr;
    c->code_len = part[0].via.str.size;
    c->blocking = part[2].via.boolean;
    c->field = part[3].via.str.ptr;
    c->field_len = part[3].via.str.size;
    return true;
}

/*  A criterion of a map form into *c (blocking false and field "" when
 *  left out); false when it is not one. */
static bool s_map_criterion(const msgpack_object *item, kept_criterion_t *c)
{
    *c = (kept_criterion_t){.field = ""};
    if (item->type != MSGPACK_OBJECT_MAP || !doc_str(item, "code", &c->code, &c->code_len)
        || !doc_str(item, "outcome", &c->outcome, &c->outcome_len))
        return false;
    c->blocking = doc_bool(item, "blocking", false);
    doc_str(item, "field", &c->field, &c->field_len);
    if (!doc_str(item, "reason", &c->reason, &c->reason_len))
        c->reason = "", c->reason_len = 0;
    return true;
}

int kept_report_each(const msgpack_object *report, int (*fn)(const kept_criterion_t *criterion, void *arg),
                     void *arg, proto_error_t *err)
{
    bool compact = report && s_is_compact(report);
    const msgpack_object *criteria = compact && report->via.array.size == 5 ? &report->via.array.ptr[4]
                                   : report && report->type == MSGPACK_OBJECT_MAP ? doc_get(report, "criteria")
                                   : NULL;
    if (!criteria || criteria->type != MSGPACK_OBJECT_ARRAY)
        return proto_error_set(err, "report", "type", "report: must be a map or the compact form of one, with criteria");
    for (uint32_t i = 0; i < criteria->via.array.size; i++) {
        kept_criterion_t c;
        if (!(compact ? s_compact_criterion : s_map_criterion)(&criteria->via.array.ptr[i], &c))
            return proto_error_set(err, "report", "criterion", "report: criterion %u is not one", i);
        int rc = fn(&c, arg);
        if (rc)
            return rc;
    }
    return 0;
}

int kept_report_decode(const void *kept, size_t len, msgpack_zone *zone, msgpack_object *report, proto_error_t *err)
{
    msgpack_sbuffer whole;
    msgpack_sbuffer_init(&whole);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &whole, msgpack_sbuffer_write);
    int rc = kept_report_unpack(&pk, kept, len, err);
    /* The decoded report points into its bytes: they live in the zone. */
    char *bytes = rc == 0 ? msgpack_zone_malloc(zone, whole.size) : NULL;
    if (rc == 0 && !bytes) {
        proto_error_set(err, "report", "memory", "no memory for a kept validation report");
        rc = -1;
    }
    if (rc == 0) {
        memcpy(bytes, whole.data, whole.size);
        rc = wire_decode_stored(bytes, whole.size, zone, report, err);
    }
    msgpack_sbuffer_destroy(&whole);
    return rc;
}
