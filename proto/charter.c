/*  proto/charter.c - see charter.h.
 *
 *  The criteria are listed in charter order in charter_criteria.c; a
 *  parallel table here gives each its check.  A check reads the
 *  application through proto/doc.h (so a missing or mistyped field reads
 *  as absent, never as a crash) and fills one result.  Reasons are written for the applicant, in French:
 *  they say what to change, and never echo free text from the input.
 */
#include "charter.h"
#include "identifiers.h"
#include "labels.h"

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*  The law's maximum length of an ESUS agreement, and the age under which
 *  a company only gets the short one (Code du travail, L. 3332-17-1 and
 *  its implementing decree). */
#define S_ESUS_YEARS        5
#define S_ESUS_YOUNG_YEARS  2
#define S_ESUS_YOUNG_AGE    3
/*  References older than this many years are flagged for the committee. */
#define S_REFERENCE_MAX_AGE 10


/* ------------------------------------------------------------------------ */
/*  What every check reads: the application and the day it is judged on.  */

typedef struct {
    const msgpack_object *app;
    const msgpack_object *organisation;
    int32_t today;
    int today_year;
    bool private_area;     /* set by the CLI-TRAINING check */
} s_input_t;

typedef struct s_rule s_rule_t;
/*  A check fills `out` and returns the outcome it gave. */
typedef criterion_outcome_t (s_check_fn)(s_input_t *in, const s_rule_t *rule,
                                         criterion_result_t *out);

struct s_rule {
    const char *code;      /* must match charter_criteria() at the same index */
    s_check_fn *check;
    const char *key;       /* the field a generic check reads */
    const char *ask;       /* French: what to write or tick when it fails */
};

/* ------------------------------------------------------------------------ */
/*  Writing a result.                                                       */

/*  Fills a result; returns `outcome` so a check can end with it. */
static criterion_outcome_t s_set(criterion_result_t *out, criterion_outcome_t outcome,
                                 const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static criterion_outcome_t s_set(criterion_result_t *out, criterion_outcome_t outcome,
                                 const char *field, const char *fmt, ...)
{
    out->outcome = outcome;
    out->blocking = outcome == CRITERION_FAIL;
    snprintf(out->field, sizeof out->field, "%s", field ? field : "");
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(out->reason, sizeof out->reason, fmt, args);
    va_end(args);
    if (n >= (int)sizeof out->reason)
        proto_utf8_trim(out->reason);  /* never end in half an "é" */
    return outcome;
}

static const char *const s_months_fr[] = {
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre"};

/*  "1er janvier 2027", "26 novembre 2026": how a French reader writes it. */
static void s_date_fr(int32_t day, char out[32])
{
    int y, m, d;
    date_to_civil(day, &y, &m, &d);
    snprintf(out, 32, "%d%s %s %d", d, d == 1 ? "er" : "", s_months_fr[(m - 1) % 12], y);
}

/*  The date at `key` of `map`: 0 and *day, -1 when absent or not a date. */
static int s_date(const msgpack_object *map, const char *key, int32_t *day)
{
    const char *text;
    size_t len;
    if (!doc_str(map, key, &text, &len))
        return -1;
    return date_parse(text, len, day);
}

/*  What counts as blank when deciding that a description is empty: ASCII
 *  blanks and the no-break spaces of French typography (U+00A0 before
 *  « : », U+202F).  Returns the length of the blank at text[i], 0 when it
 *  is not one. */
static size_t s_blank_len(const char *text, size_t len, size_t i)
{
    unsigned char c = (unsigned char)text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
        return 1;
    if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0xA0)
        return 2;
    if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80
        && (unsigned char)text[i + 2] == 0xAF)
        return 3;
    return 0;
}

/*  True when the string at `key` has something else than blanks. */
static bool s_has_text(const msgpack_object *map, const char *key)
{
    const char *text;
    size_t len;
    if (!doc_str(map, key, &text, &len))
        return false;
    for (size_t i = 0; i < len;) {
        size_t blank = s_blank_len(text, len, i);
        if (blank == 0)
            return true;
        i += blank;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/*  1. Be part of the ESS.                                                  */

static const char *s_legal_form_label(const msgpack_object *organisation)
{
    const msgpack_object *form = doc_get(organisation, "legal_form");
    if (!form || form->type != MSGPACK_OBJECT_STR)
        return NULL;
    return labels_find(LABELS_LEGAL_FORM, form->via.str.ptr, form->via.str.size);
}

static bool s_is_commercial(const s_input_t *in)
{
    return doc_str_eq(in->organisation, "legal_form", "commercial_company");
}

static criterion_outcome_t s_check_form(s_input_t *in, const s_rule_t *rule,
                                        criterion_result_t *out)
{
    const char *label = s_legal_form_label(in->organisation);
    if (!label)
        return s_set(out, CRITERION_FAIL, "organisation.legal_form",
              "Indiquez votre statut juridique : SCOP, SCIC, CAE, autre coopérative, mutuelle, "
              "association, fondation, ou société commerciale agréée ESUS. Les autres statuts "
              "ne relèvent pas de l'ESS au sens de la charte.");
    if (s_is_commercial(in) && !doc_map(in->organisation, "esus"))
        return s_set(out, CRITERION_FAIL, "organisation.esus",
              "Une société commerciale ne relève de l'ESS qu'avec l'agrément « Entreprise "
              "solidaire d'utilité sociale » (ESUS) : renseignez votre agrément (département de "
              "la préfecture, date d'octroi, date d'échéance), ou corrigez votre statut "
              "juridique si votre structure n'est pas une société commerciale.");
    /* The agreement itself (its dates) is ESS-ESUS's: this criterion must
     * not call the company "agréée" when that one finds the agreement over. */
    if (s_is_commercial(in))
        return s_set(out, CRITERION_PASS, "", "Statut juridique reconnu par la charte : société commerciale, "
                     "avec un agrément ESUS (ses dates sont examinées au critère ESS-ESUS).");
    return s_set(out, CRITERION_PASS, "", "Statut juridique reconnu par la charte : %s.", label);
}

/*  The latest expiry the law allows for an agreement granted on `granted`
 *  to a company created on `created`. */
static int32_t s_esus_latest_expiry(int32_t created, int32_t granted, bool *young)
{
    *young = granted < date_add_years(created, S_ESUS_YOUNG_AGE);
    return date_add_years(granted, *young ? S_ESUS_YOUNG_YEARS : S_ESUS_YEARS);
}

/*  The length of an agreement against the law's maximum, which depends on
 *  the company's age on the grant date.  CRITERION_PASS (result left
 *  untouched) when it holds. */
static criterion_outcome_t s_check_esus_length(const s_input_t *in, int32_t granted,
                                               int32_t expires, criterion_result_t *out)
{
    int32_t created;
    char created_fr[32], granted_fr[32], expires_fr[32], latest_fr[32];
    bool have_created = s_date(in->organisation, "created", &created) == 0;
    if (!have_created && expires <= date_add_years(granted, S_ESUS_YOUNG_YEARS))
        return CRITERION_PASS;      /* within the shorter limit whatever the age */
    if (!have_created)
        return s_set(out, CRITERION_FAIL, "organisation.created",
                     "Indiquez la date de création de votre structure : elle fixe la durée "
                     "maximale de votre agrément ESUS (2 ans pour une entreprise de moins de "
                     "3 ans lors de l'octroi, 5 ans sinon).");
    s_date_fr(created, created_fr);
    s_date_fr(granted, granted_fr);
    s_date_fr(expires, expires_fr);
    if (created > granted)
        return s_set(out, CRITERION_FAIL, "organisation.created",
                     "La date de création de votre structure (%s) est postérieure à l'octroi "
                     "de son agrément ESUS (%s) : corrigez l'une ou l'autre.",
                     created_fr, granted_fr);
    bool young;
    int32_t latest = s_esus_latest_expiry(created, granted, &young);
    if (expires <= latest)
        return CRITERION_PASS;
    s_date_fr(latest, latest_fr);
    if (young)
        return s_set(out, CRITERION_FAIL, "organisation.esus.expires",
                     "Votre structure, créée le %s, avait moins de 3 ans lors de l'octroi de "
                     "l'agrément ESUS le %s : l'agrément vaut alors 2 ans au plus, soit "
                     "jusqu'au %s, et non jusqu'au %s. Vérifiez la date de création et "
                     "recopiez la date d'échéance de l'arrêté préfectoral.",
                     created_fr, granted_fr, latest_fr, expires_fr);
    return s_set(out, CRITERION_FAIL, "organisation.esus.expires",
                 "Un agrément ESUS vaut 5 ans au plus : octroyé le %s, il court au plus tard "
                 "jusqu'au %s, et non jusqu'au %s. Recopiez la date d'échéance de l'arrêté "
                 "préfectoral.", granted_fr, latest_fr, expires_fr);
}

/*  The dates of a given agreement, in the order an applicant fixes them. */
static criterion_outcome_t s_check_esus_dates(s_input_t *in, const msgpack_object *esus,
                                              criterion_result_t *out)
{
    int32_t granted, expires;
    char today_fr[32], granted_fr[32], expires_fr[32];
    if (s_date(esus, "granted", &granted) < 0)
        return s_set(out, CRITERION_FAIL, "organisation.esus.granted",
                     "Indiquez la date d'octroi de votre agrément ESUS (AAAA-MM-JJ), telle "
                     "qu'elle figure sur l'arrêté préfectoral.");
    if (s_date(esus, "expires", &expires) < 0)
        return s_set(out, CRITERION_FAIL, "organisation.esus.expires",
                     "Indiquez la date d'échéance de votre agrément ESUS (AAAA-MM-JJ), telle "
                     "qu'elle figure sur l'arrêté préfectoral.");
    s_date_fr(in->today, today_fr);
    s_date_fr(granted, granted_fr);
    s_date_fr(expires, expires_fr);
    if (granted > in->today)
        return s_set(out, CRITERION_FAIL, "organisation.esus.granted",
                     "Votre agrément ESUS n'est pas encore octroyé le jour du dépôt (%s) : la "
                     "date d'octroi indiquée est le %s. Corrigez cette date, ou déposez votre "
                     "candidature une fois l'agrément obtenu.", today_fr, granted_fr);
    if (expires < granted)
        return s_set(out, CRITERION_FAIL, "organisation.esus.expires",
                     "La date d'échéance de votre agrément ESUS (%s) précède sa date d'octroi "
                     "(%s) : corrigez l'une ou l'autre.", expires_fr, granted_fr);
    if (s_check_esus_length(in, granted, expires, out) == CRITERION_FAIL)
        return CRITERION_FAIL;
    /* The expiry date is the last day of validity: expiring today is valid. */
    if (expires < in->today)
        return s_set(out, CRITERION_FAIL, "organisation.esus.expires",
                     "Votre agrément ESUS a pris fin le %s, avant le jour du dépôt (%s) : "
                     "renseignez les dates de l'agrément renouvelé par la préfecture.",
                     expires_fr, today_fr);
    return s_set(out, CRITERION_PASS, "", "Agrément ESUS en cours de validité jusqu'au %s.",
                 expires_fr);
}

static criterion_outcome_t s_check_esus(s_input_t *in, const s_rule_t *rule,
                                        criterion_result_t *out)
{
    const msgpack_object *esus = doc_map(in->organisation, "esus");
    if (!s_is_commercial(in))
        return s_set(out, CRITERION_PASS, "",
                     "Sans objet : l'agrément ESUS n'est exigé que d'une société commerciale.");
    if (!esus)
        return s_set(out, CRITERION_PASS, "",
                     "Sans objet : aucun agrément ESUS n'est renseigné, ce que signale le "
                     "critère ESS-FORM.");
    if (!s_has_text(esus, "prefecture"))
        return s_set(out, CRITERION_FAIL, "organisation.esus.prefecture",
                     "Indiquez le département de la préfecture qui a délivré votre agrément "
                     "ESUS (par exemple 44 pour la Loire-Atlantique).");
    return s_check_esus_dates(in, esus, out);
}

/*  The SIRET half of ESS-ID: "" when valid, else a French sentence. */
static const char *s_siret_problem(const msgpack_object *organisation,
                                   char digits[ID_SIRET_LEN + 1])
{
    const char *text;
    size_t len;
    if (!doc_str(organisation, "siret", &text, &len))
        return "Indiquez le numéro SIRET de votre établissement (14 chiffres).";
    switch (id_siret_check(text, len, digits)) {
    case ID_OK:
        return "";
    case ID_BAD_CHARS:
        return "Le numéro SIRET ne doit contenir que des chiffres (les espaces sont "
               "acceptés) : recopiez les 14 chiffres de votre avis de situation au répertoire "
               "SIRENE.";
    case ID_BAD_LENGTH:
        return "Le numéro SIRET compte exactement 14 chiffres (les 9 du SIREN puis les 5 de "
               "l'établissement) : corrigez le numéro indiqué.";
    default:
        return "Le numéro SIRET indiqué n'est pas valide (sa clé de contrôle ne correspond "
               "pas) : vérifiez-le sur votre avis de situation SIRENE ou sur "
               "annuaire-entreprises.data.gouv.fr.";
    }
}

/*  The RNA half of ESS-ID, for associations only: "" when fine. */
static const char *s_rna_problem(const msgpack_object *organisation)
{
    const char *text;
    size_t len;
    if (!doc_str_eq(organisation, "legal_form", "association"))
        return "";
    if (!doc_str(organisation, "rna", &text, &len))
        return "Une association indique son numéro RNA (W suivi de 9 caractères, par exemple "
               "W442001234), ou « aucun » si elle n'en a pas (associations d'Alsace-Moselle "
               "inscrites au registre du tribunal judiciaire).";
    if (id_rna_check(text, len) != ID_OK)
        return "Le numéro RNA s'écrit W suivi de 9 caractères, sans espace (par exemple "
               "W442001234, ou W2A1234567 en Corse) : corrigez-le d'après le récépissé de "
               "la préfecture, ou indiquez « aucun » si votre association n'en a pas "
               "(Alsace-Moselle).";
    return "";
}

static criterion_outcome_t s_check_id(s_input_t *in, const s_rule_t *rule,
                                      criterion_result_t *out)
{
    char digits[ID_SIRET_LEN + 1];
    const char *siret = s_siret_problem(in->organisation, digits);
    const char *rna = s_rna_problem(in->organisation);
    if (*siret)
        return s_set(out, CRITERION_FAIL, "organisation.siret", "%s%s%s", siret,
                     *rna ? " " : "", rna);
    if (*rna)
        return s_set(out, CRITERION_FAIL, "organisation.rna", "%s", rna);
    const char *text;
    size_t len;
    bool association = doc_str_eq(in->organisation, "legal_form", "association");
    bool none = doc_str(in->organisation, "rna", &text, &len) && id_rna_is_none(text, len);
    const char *rna_note = !association ? ""
                         : none ? " ; association déclarée sans numéro RNA (Alsace-Moselle)"
                                : " ; numéro RNA au bon format";
    return s_set(out, CRITERION_PASS, "", "Numéro SIRET valide (%s)%s.", digits, rna_note);
}

/*  ESS-PURPOSE, ESS-GOV, ESS-SURPLUS: a description in the applicant's
 *  words, which only the committee can judge. */
static criterion_outcome_t s_check_principle(s_input_t *in, const s_rule_t *rule,
                                             criterion_result_t *out)
{
    char field[CHARTER_FIELD_MAX];
    snprintf(field, sizeof field, "principles.%s", rule->key);
    if (!s_has_text(doc_map(in->app, "principles"), rule->key))
        return s_set(out, CRITERION_FAIL, field, "%s", rule->ask);
    return s_set(out, CRITERION_REVIEW, "",
                 "Description reçue : le comité scientifique et éthique l'examinera.");
}

/* ------------------------------------------------------------------------ */
/*  2. Experience and references.                                           */

static size_t s_count_references(const s_input_t *in, bool (*match)(const msgpack_object *))
{
    const msgpack_object *references = doc_array(in->app, "references");
    size_t count = 0;
    for (size_t i = 0; i < doc_len(references); i++)
        count += match(doc_at(references, i));
    return count;
}

static bool s_reference_is_ess(const msgpack_object *reference)
{
    return doc_bool(reference, "client_is_ess", false);
}

static bool s_reference_is_ci(const msgpack_object *reference)
{
    return doc_len(doc_array(reference, "ci_topics")) > 0;
}

static criterion_outcome_t s_check_references(s_input_t *in, const s_rule_t *rule,
                                              criterion_result_t *out,
                                              bool (*match)(const msgpack_object *),
                                              const char *what)
{
    size_t count = s_count_references(in, match);
    if (count == 0)
        return s_set(out, CRITERION_FAIL, "references", "%s", rule->ask);
    return s_set(out, CRITERION_REVIEW, "",
                 "%zu référence%s %s : le comité en examinera le contenu.",
                 count, count > 1 ? "s" : "", what);
}

static criterion_outcome_t s_check_ref_ess(s_input_t *in, const s_rule_t *rule,
                                           criterion_result_t *out)
{
    return s_check_references(in, rule, out, s_reference_is_ess,
                              "auprès d'organisations de l'ESS");
}

static criterion_outcome_t s_check_ref_ci(s_input_t *in, const s_rule_t *rule,
                                          criterion_result_t *out)
{
    return s_check_references(in, rule, out, s_reference_is_ci,
                              "sur la démarche d'amélioration continue");
}

static criterion_outcome_t s_check_ref_dates(s_input_t *in, const s_rule_t *rule,
                                             criterion_result_t *out)
{
    const msgpack_object *references = doc_array(in->app, "references");
    size_t old = 0, first_old = 0;
    int64_t old_year = 0;
    char field[CHARTER_FIELD_MAX];
    for (size_t i = 0; i < doc_len(references); i++) {
        int64_t year;
        snprintf(field, sizeof field, "references[%zu].year", i);
        if (!doc_int(doc_at(references, i), "year", &year))
            return s_set(out, CRITERION_FAIL, field,
                         "Indiquez l'année de la référence n° %zu.", i + 1);
        if (year > in->today_year)
            return s_set(out, CRITERION_FAIL, field,
                         "La référence n° %zu est datée de %lld, après l'année du dépôt (%d) : "
                         "une référence porte sur une mission déjà réalisée. Corrigez l'année "
                         "ou retirez cette référence.", i + 1, (long long)year, in->today_year);
        if (in->today_year - year > S_REFERENCE_MAX_AGE && old++ == 0) {
            first_old = i;
            old_year = year;
        }
    }
    if (old > 0) {
        snprintf(field, sizeof field, "references[%zu].year", first_old);
        return s_set(out, CRITERION_WARN, field,
                     "La référence n° %zu date de %lld, il y a plus de %d ans%s : le comité "
                     "appréciera si elle reste représentative ; ajoutez si possible une "
                     "référence plus récente.", first_old + 1, (long long)old_year,
                     S_REFERENCE_MAX_AGE,
                     old > 1 ? " (d'autres références sont aussi anciennes)" : "");
    }
    return s_set(out, CRITERION_PASS, "", "%s", doc_len(references) == 0
                 ? "Aucune référence à dater."
                 : "Références datées, aucune dans le futur ni de plus de 10 ans.");
}

/* ------------------------------------------------------------------------ */
/*  3. and 4. Commitments ticked by the applicant.                          */

static criterion_outcome_t s_check_commitment(s_input_t *in, const s_rule_t *rule,
                                              criterion_result_t *out)
{
    char field[CHARTER_FIELD_MAX];
    snprintf(field, sizeof field, "commitments.%s", rule->key);
    if (doc_bool(doc_map(in->app, "commitments"), rule->key, false))
        return s_set(out, CRITERION_PASS, "", "Engagement pris.");
    return s_set(out, CRITERION_FAIL, field,
                 "Cochez l'engagement « %s » : il est demandé à tout accompagnateur référencé.",
                 rule->ask);
}

/*  CLI-TRAINING: everyone named must have been trained before today.
 *  Returns the index of the first person not (yet) trained, or -1. */
static long s_first_untrained(const msgpack_object *people, int32_t today, int32_t *session)
{
    for (size_t i = 0; i < doc_len(people); i++) {
        *session = INT32_MIN;
        if (s_date(doc_at(people, i), "session_date", session) < 0 || *session >= today)
            return (long)i;
    }
    return -1;
}

static criterion_outcome_t s_set_training(criterion_result_t *out, const char *field,
                                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*  A training fail keeps the entry listable: only private-area access is
 *  refused. */
static criterion_outcome_t s_set_training(criterion_result_t *out, const char *field,
                                          const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char reason[CHARTER_REASON_MAX];
    vsnprintf(reason, sizeof reason, fmt, args);
    va_end(args);
    s_set(out, CRITERION_FAIL, field, "%s Votre fiche peut être publiée sans attendre ; seul "
          "l'accès à la partie privée reste fermé.", reason);
    out->blocking = false;
    return CRITERION_FAIL;
}

static criterion_outcome_t s_check_training(s_input_t *in, const s_rule_t *rule,
                                            criterion_result_t *out)
{
    const msgpack_object *offer = doc_map(in->app, "offer");
    in->private_area = false;
    if (!doc_bool(offer, "private_area", false))
        return s_set(out, CRITERION_PASS, "",
                     "Sans objet : vous ne demandez pas l'accès à la partie privée d'ESS "
                     "Pratiques.");
    if (!doc_array_has(offer, "scope", "whole"))
        return s_set(out, CRITERION_PASS, "",
                     "Sans objet : la partie privée d'ESS Pratiques sert à accompagner la "
                     "démarche d'amélioration continue dans son ensemble, que votre offre ne "
                     "couvre pas ; l'accès n'est donc pas ouvert.");
    const msgpack_object *people = doc_array(in->app, "trained_people");
    size_t count = doc_len(people);
    if (count == 0)
        return s_set_training(out, "trained_people",
                              "Pour utiliser la partie privée d'ESS Pratiques, chaque personne "
                              "qui s'en servira suit la formation à cette partie privée "
                              "(demi-journée, 250 € TTC par personne) : indiquez le nom et la "
                              "date de session d'au moins une personne déjà formée.");
    int32_t session;
    long first = s_first_untrained(people, in->today, &session);
    if (first >= 0) {
        char field[CHARTER_FIELD_MAX], session_fr[32];
        snprintf(field, sizeof field, "trained_people[%ld].session_date", first);
        if (session == INT32_MIN)
            return s_set_training(out, field, "Indiquez la date de session de formation de la "
                                  "personne n° %ld (AAAA-MM-JJ).", first + 1);
        s_date_fr(session, session_fr);
        return s_set_training(out, field,
                              "La personne n° %ld n'est pas encore formée à la partie privée "
                              "(session du %s) : l'accès s'ouvre quand toutes les personnes "
                              "déclarées ont suivi leur session. Déposez à nouveau la liste "
                              "après la session, ou retirez-en les personnes pas encore "
                              "formées.", first + 1, session_fr);
    }
    in->private_area = true;
    return s_set(out, CRITERION_PASS, "",
                 "%zu personne%s formée%s à la partie privée : accès accordé.",
                 count, count > 1 ? "s" : "", count > 1 ? "s" : "");
}

static criterion_outcome_t s_check_nda(s_input_t *in, const s_rule_t *rule,
                                       criterion_result_t *out)
{
    const char *text;
    size_t len;
    char digits[ID_NDA_LEN + 1];
    if (!doc_array_has(doc_map(in->app, "offer"), "formats", "training"))
        return s_set(out, CRITERION_PASS, "", "Sans objet : vous ne proposez pas de formation.");
    if (!doc_str(in->organisation, "nda", &text, &len))
        return s_set(out, CRITERION_FAIL, "organisation.nda",
                     "Vous proposez de la formation : indiquez le numéro de déclaration "
                     "d'activité de votre organisme de formation (11 chiffres, par exemple "
                     "52 44 12563 44), qui figure sur le récépissé de la DREETS.");
    switch (id_nda_check(text, len, digits)) {
    case ID_OK:
        return s_set(out, CRITERION_PASS, "",
                     "Numéro de déclaration d'activité au format attendu (%s).", digits);
    case ID_BAD_SHAPE:
        return s_set(out, CRITERION_WARN, "organisation.nda",
                     "Le numéro de déclaration d'activité %s ne suit pas la forme habituelle "
                     "(région, département, numéro d'ordre, puis le département répété, par "
                     "exemple 52 44 12563 44) : vérifiez-le sur votre récépissé. Le comité en "
                     "est informé.", digits);
    default:
        return s_set(out, CRITERION_FAIL, "organisation.nda",
                     "Le numéro de déclaration d'activité compte exactement 11 chiffres (les "
                     "espaces sont acceptés) : corrigez-le d'après le récépissé de la DREETS.");
    }
}

/* ------------------------------------------------------------------------ */
/*  The rules, in the order of the criteria (charter_criteria.c).          */

static const s_rule_t s_rules[] = {
    {"ESS-FORM", s_check_form, NULL, NULL},
    {"ESS-ESUS", s_check_esus, NULL, NULL},
    {"ESS-ID", s_check_id, NULL, NULL},
    {"ESS-PURPOSE", s_check_principle, "purpose",
     "Décrivez avec vos propres mots comment votre fonctionnement interne et vos activités "
     "reposent sur l'engagement collectif, la solidarité et l'utilité sociale."},
    {"ESS-GOV", s_check_principle, "governance",
     "Décrivez vos modes de gestion démocratiques et participatifs : qui décide, comment les "
     "salariés, membres ou sociétaires prennent part aux décisions."},
    {"ESS-SURPLUS", s_check_principle, "surplus",
     "Décrivez comment l'utilisation de vos excédents de gestion est encadrée (mise en "
     "réserve, réinvestissement dans le projet, limites à leur distribution)."},
    {"REF-ESS", s_check_ref_ess, NULL,
     "Ajoutez au moins une référence antérieure d'accompagnement ou de formation d'une "
     "organisation de l'ESS (coopérative, mutuelle, association, fondation, entreprise agréée "
     "ESUS), en indiquant que ce client relève de l'ESS."},
    {"REF-CI", s_check_ref_ci, NULL,
     "Ajoutez au moins une référence antérieure d'accompagnement sur tout ou partie de la "
     "démarche d'amélioration continue (RSE, RSO, ISO 26000, Guide des bonnes pratiques de "
     "l'ESS ou démarche globale), en indiquant les volets couverts."},
    {"REF-DATES", s_check_ref_dates, NULL, NULL},
    {"CLI-CONTRACT", s_check_commitment, "contract_before_action",
     "analyser les besoins et établir, avant toute action, un contrat précisant l'objectif, "
     "la méthodologie, la facturation et la sous-traitance ou co-traitance éventuelle"},
    {"CLI-SCOPE", s_check_commitment, "within_competence",
     "contractualiser dans les limites de mes compétences et de ma disponibilité, et "
     "mettre en œuvre les moyens nécessaires"},
    {"CLI-CONFID", s_check_commitment, "confidentiality",
     "respecter la confidentialité et la culture de l'organisation cliente"},
    {"CLI-TRAINING", s_check_training, NULL, NULL},
    {"LOY-NODISCRIM", s_check_commitment, "non_discrimination",
     "m'interdire toute forme de discrimination, selon les critères précisés par la loi"},
    {"LOY-COI", s_check_commitment, "conflict_disclosure",
     "faire connaître à mes clients les liens susceptibles de générer des conflits d'intérêts"},
    {"LOY-TAX", s_check_commitment, "tax_compliance",
     "respecter mes obligations fiscales"},
    {"LOY-REG", s_check_commitment, "regulatory_watch",
     "me tenir informé des évolutions réglementaires et appliquer les lois et règlements "
     "(partie VI du Code du travail pour la formation)"},
    {"LOY-NDA", s_check_nda, NULL, NULL},
    {"LOY-IP", s_check_commitment, "intellectual_property",
     "respecter la propriété intellectuelle et citer mes sources"},
    {"LOY-FAIR", s_check_commitment, "fair_competition",
     "m'interdire toute concurrence déloyale"},
    {"LOY-CHARTER", s_check_commitment, "charter_on_request",
     "communiquer cette charte à toute personne qui en fait la demande"},
};

#define S_RULES_COUNT (sizeof s_rules / sizeof *s_rules)
_Static_assert(S_RULES_COUNT <= CHARTER_CRITERIA_MAX, "CHARTER_CRITERIA_MAX too small");

const char *charter_commitment_text(const char *key)
{
    for (size_t i = 0; key && i < S_RULES_COUNT; i++)
        if (s_rules[i].check == s_check_commitment && strcmp(s_rules[i].key, key) == 0)
            return s_rules[i].ask;
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  The API.                                                                */

void charter_check(const msgpack_object *application, int32_t today, charter_report_t *report)
{
    assert(report);
    int month, day;
    s_input_t in = {.app = application, .today = today};
    in.organisation = doc_map(application, "organisation");
    date_to_civil(today, &in.today_year, &month, &day);

    memset(report, 0, sizeof *report);
    report->version = CHARTER_VERSION;
    report->verdict = CHARTER_VERDICT_REVIEW;
    const charter_criterion_t *criteria;
    size_t count = charter_criteria(&criteria);
    assert(count == S_RULES_COUNT);   /* one rule per criterion */
    for (size_t i = 0; i < count; i++) {
        criterion_result_t *result = &report->results[i];
        assert(strcmp(s_rules[i].code, criteria[i].code) == 0);
        result->code = criteria[i].code;
        s_rules[i].check(&in, &s_rules[i], result);
        if (result->outcome == CRITERION_FAIL && result->blocking)
            report->verdict = CHARTER_VERDICT_INCOMPLETE;
    }
    report->count = count;
    report->private_area = in.private_area;
}

const criterion_result_t *charter_first_blocking(const charter_report_t *report)
{
    for (size_t i = 0; i < report->count; i++)
        if (report->results[i].outcome == CRITERION_FAIL && report->results[i].blocking)
            return &report->results[i];
    return NULL;
}
