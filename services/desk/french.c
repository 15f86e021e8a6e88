/*  services/desk/french.c - see french.h. */
#include "french.h"

#include "common/html.h"
#include "proto/date.h"
#include "proto/doc.h"

#include <string.h>

const french_word_t french_colleges[] = {
    {"researchers", "Chercheurs et chercheuses"},
    {"local_authorities", "Collectivités territoriales"},
    {"ess_networks", "Réseaux de l'ESS"},
    {NULL, NULL}};

const french_word_t french_states[] = {
    {"received", "Reçue"},
    {"incomplete", "Incomplète"},
    {"in_review", "Devant le comité"},
    {"changes_requested", "Modifications demandées"},
    {"rejected", "Refusée"},
    {"approved", "Approuvée"},
    {"published", "Publiée"},
    {"suspended", "Suspendue"},
    {"withdrawn", "Retirée"},
    {NULL, NULL}};

static const french_word_t s_choices[] = {
    {"approve", "Approuver"}, {"reject", "Refuser"}, {"changes", "Demander des modifications"},
    {"reinstate", "Rétablir l'inscription"}, {"withdraw", "Retirer l'inscription"}, {NULL, NULL}};

static const french_word_t s_decisions[] = {
    {"approve", "Candidature approuvée"}, {"reject", "Candidature refusée"},
    {"changes", "Modifications demandées"}, {"reinstate", "Inscription rétablie"},
    {"withdraw", "Inscription retirée"}, {NULL, NULL}};

static const french_word_t s_kinds[] = {
    {"review", "Examen"}, {"appeal", "Appel"}, {"complaint", "Réclamation"}, {NULL, NULL}};

static const french_word_t s_outcomes[] = {
    {"pass", "Conforme"}, {"fail", "Non conforme"}, {"review", "À examiner par le comité"},
    {"warn", "Point d'attention"}, {NULL, NULL}};

static const french_word_t s_roles[] = {
    {"applicant", "la structure candidate"}, {"reference_client", "un client de référence"},
    {"declared_tie", "une organisation liée déclarée par la candidate"},
    {"network", "un réseau déclaré par la candidate"}, {NULL, NULL}};

static const char *s_find(const french_word_t *table, const char *code)
{
    if (!code)
        return "";
    for (size_t i = 0; table[i].code; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].label;
    return code;
}

static const french_word_t s_withdrawals[] = {
    {"withdrawn", "retrait par l'équipe ou par le comité"}, {"expired", "inscription arrivée à échéance"},
    {"suspended", "suspension pendant une réclamation"}, {"renewed", "remplacée par son renouvellement"},
    {"erased", "données personnelles effacées"}, {NULL, NULL}};

const char *french_withdrawal(const char *reason) { return s_find(s_withdrawals, reason); }
const char *french_college(const char *code) { return s_find(french_colleges, code); }
const char *french_state(const char *code) { return s_find(french_states, code); }
const char *french_choice(const char *decision) { return s_find(s_choices, decision); }
const char *french_decision(const char *decision) { return s_find(s_decisions, decision); }
const char *french_round_kind(const char *kind) { return s_find(s_kinds, kind); }
const char *french_outcome(const char *outcome) { return s_find(s_outcomes, outcome); }
const char *french_conflict_role(const char *role) { return s_find(s_roles, role); }

/*  The last Sunday of a month, as a day number (1970-01-01 was a Thursday). */
static int32_t s_last_sunday(int year, int month)
{
    int32_t last = date_from_civil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) - 1;
    int weekday = (int)(((last % 7) + 7 + 4) % 7);     /* 0 = Sunday */
    return last - weekday;
}

/*  Summer time runs from 01:00 UTC on the last Sunday of March to 01:00
 *  UTC on the last Sunday of October (EU directive 2000/84/EC). */
int french_paris_offset(int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int year, month, day;
    date_to_civil((int32_t)days, &year, &month, &day);
    int64_t start = (int64_t)s_last_sunday(year, 3) * 86400 + 3600;
    int64_t end = (int64_t)s_last_sunday(year, 10) * 86400 + 3600;
    return t >= start && t < end ? 7200 : 3600;
}

static const char *const s_months[] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                                       "août", "septembre", "octobre", "novembre", "décembre"};

static void s_civil(FILE *out, int32_t days)
{
    int year, month, day;
    date_to_civil(days, &year, &month, &day);
    if (day == 1)
        fprintf(out, "1er %s %d", s_months[month - 1], year);
    else
        fprintf(out, "%d %s %d", day, s_months[month - 1], year);
}

void french_datetime(FILE *out, uint64_t at)
{
    int64_t local = (int64_t)at + french_paris_offset((int64_t)at);
    int64_t seconds = local % 86400;
    s_civil(out, (int32_t)(local / 86400));
    fprintf(out, " à %d h %02d", (int)(seconds / 3600), (int)(seconds % 3600 / 60));
}

void french_day(FILE *out, uint64_t at)
{
    s_civil(out, (int32_t)(at / 86400));
}

void french_date_text(FILE *out, const char *text, size_t len)
{
    int32_t days;
    if (date_parse(text, len, &days) == 0)
        s_civil(out, days);
    else
        html_escape(out, text, len);
}

void french_str(FILE *out, const msgpack_object *obj)
{
    if (obj && obj->type == MSGPACK_OBJECT_STR)
        html_escape(out, obj->via.str.ptr, obj->via.str.size);
}

void french_field(FILE *out, const msgpack_object *map, const char *key)
{
    french_str(out, doc_get(map, key));
}

const char *french_word(const char *text)
{
    if (!text || !*text || strspn(text, "abcdefghijklmnopqrstuvwxyz_") != strlen(text))
        return "other";
    return text;
}

const char *french_copy(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    if (doc_strcpy(map, key, buf, cap) < 0)
        buf[0] = '\0';
    return buf;
}
