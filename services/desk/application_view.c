/*  services/desk/application_view.c - see application_view.h. */
#include "application_view.h"
#include "french.h"

#include "common/html.h"
#include "proto/charter.h"
#include "proto/doc.h"
#include "proto/labels.h"

#include <string.h>

typedef enum { V_TEXT, V_LONG, V_DATE, V_BOOL, V_LABEL, V_LABELS, V_LIST, V_COMMITMENT } value_kind_t;

typedef struct {
    const char *path;            /* in the application; "references[]." marks a row's field */
    const char *label;
    int group;
    value_kind_t kind;
    labels_set_t set;            /* V_LABEL, V_LABELS */
} view_field_t;

static const char *const s_groups[APPLICATION_VIEW_GROUPS] = {
    "La structure",
    "Article 1 — Relever de l'Économie sociale et solidaire",
    "Article 2 — Présenter son expérience et ses références",
    "Article 3 — Prendre en compte les intérêts des clients et bénéficiaires",
    "Article 4 — Faire preuve de loyauté dans ses pratiques professionnelles",
};

static const view_field_t s_fields[] = {
    {"organisation.name", "Nom de la structure", 0, V_TEXT, 0},
    {"organisation.address.street", "Adresse", 0, V_TEXT, 0},
    {"organisation.address.postcode", "Code postal", 0, V_TEXT, 0},
    {"organisation.address.city", "Commune", 0, V_TEXT, 0},
    {"organisation.website", "Site web", 0, V_TEXT, 0},
    {"organisation.public_contact.email", "Courriel publié", 0, V_TEXT, 0},
    {"organisation.public_contact.phone", "Téléphone publié", 0, V_TEXT, 0},
    {"organisation.private_contact.name", "Personne à contacter pour le dossier", 0, V_TEXT, 0},
    {"organisation.private_contact.email", "Courriel de cette personne", 0, V_TEXT, 0},
    {"organisation.private_contact.phone", "Téléphone de cette personne", 0, V_TEXT, 0},

    {"organisation.siret", "SIRET", 1, V_TEXT, 0},
    {"organisation.legal_form", "Statut juridique", 1, V_LABEL, LABELS_LEGAL_FORM},
    {"organisation.rna", "Numéro RNA", 1, V_TEXT, 0},
    {"organisation.created", "Date de création", 1, V_DATE, 0},
    {"organisation.esus.prefecture", "Agrément ESUS : préfecture du département", 1, V_TEXT, 0},
    {"organisation.esus.granted", "Agrément ESUS : octroyé le", 1, V_DATE, 0},
    {"organisation.esus.expires", "Agrément ESUS : échéance", 1, V_DATE, 0},
    {"principles.purpose", "Engagement collectif, solidarité et utilité sociale", 1, V_LONG, 0},
    {"principles.governance", "Gouvernance démocratique et participative", 1, V_LONG, 0},
    {"principles.surplus", "Utilisation des excédents", 1, V_LONG, 0},

    {"offer.scope", "L'offre porte sur", 3, V_LABELS, LABELS_SCOPE},
    {"offer.formats", "Formes proposées", 3, V_LABELS, LABELS_FORMAT},
    {"offer.themes", "Thèmes couverts", 3, V_LABELS, LABELS_THEME},
    {"offer.departments", "Départements d'intervention", 3, V_LABELS, LABELS_DEPARTMENT},
    {"offer.description", "Présentation de l'offre", 3, V_LONG, 0},
    {"offer.private_area", "Demande l'accès à la partie privée d'ESS Pratiques", 3, V_BOOL, 0},
    {"commitments.contract_before_action", "Établir un contrat avant toute action", 3, V_COMMITMENT, 0},
    {"commitments.within_competence", "Contractualiser dans les limites de ses compétences", 3, V_COMMITMENT, 0},
    {"commitments.confidentiality", "Respecter la confidentialité et la culture du client", 3, V_COMMITMENT, 0},

    {"organisation.nda", "Numéro de déclaration d'activité (NDA)", 4, V_TEXT, 0},
    {"organisation.qualiopi.expires", "Certification Qualiopi : fin de validité", 4, V_DATE, 0},
    {"commitments.non_discrimination", "S'interdire toute discrimination", 4, V_COMMITMENT, 0},
    {"commitments.conflict_disclosure", "Faire connaître les liens source de conflits d'intérêts", 4, V_COMMITMENT, 0},
    {"commitments.tax_compliance", "Être en règle de ses obligations fiscales", 4, V_COMMITMENT, 0},
    {"commitments.regulatory_watch", "Suivre et appliquer la réglementation", 4, V_COMMITMENT, 0},
    {"commitments.intellectual_property", "Respecter la propriété intellectuelle", 4, V_COMMITMENT, 0},
    {"commitments.fair_competition", "S'interdire toute concurrence déloyale", 4, V_COMMITMENT, 0},
    {"commitments.charter_on_request", "Communiquer la charte à qui la demande", 4, V_COMMITMENT, 0},
    {"ties.organisations", "SIREN des organisations liées", 4, V_LIST, 0},
    {"ties.networks", "Réseaux", 4, V_LIST, 0},
};

const char *application_view_group(int g)
{
    return g >= 0 && g < APPLICATION_VIEW_GROUPS ? s_groups[g] : "";
}

static void s_label_of(FILE *out, labels_set_t set, const msgpack_object *code)
{
    if (!code || code->type != MSGPACK_OBJECT_STR)
        return;
    const char *label = labels_find(set, code->via.str.ptr, code->via.str.size);
    if (label)
        html_escape_z(out, label);
    else
        html_escape(out, code->via.str.ptr, code->via.str.size);
}

static void s_value(FILE *out, const view_field_t *f, const msgpack_object *v)
{
    switch (f->kind) {
    case V_LONG:
        fputs("<span class=\"long\">", out);
        french_str(out, v);
        fputs("</span>", out);
        break;
    case V_DATE:
        if (v->type == MSGPACK_OBJECT_STR)
            french_date_text(out, v->via.str.ptr, v->via.str.size);
        break;
    case V_BOOL:
        fputs(v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean ? "Oui" : "Non", out);
        break;
    case V_COMMITMENT:
        fputs(v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean ? "<span class=\"yes\">Engagement pris</span>"
                                                                   : "<span class=\"no\">Engagement non pris</span>",
              out);
        break;
    case V_LABEL:
        s_label_of(out, f->set, v);
        break;
    case V_LABELS:
    case V_LIST:
        for (size_t i = 0; i < doc_len(v); i++) {
            fputs(i ? ", " : "", out);
            if (f->kind == V_LABELS)
                s_label_of(out, f->set, doc_at(v, i));
            else
                french_str(out, doc_at(v, i));
        }
        break;
    default:
        french_str(out, v);
    }
}

static void s_reference(FILE *out, const msgpack_object *ref, size_t i)
{
    static const char *const topics[][2] = {{"rse", "RSE"}, {"rso", "RSO"}, {"guide", "Guide des bonnes pratiques"},
                                            {"iso26000", "ISO 26000"}, {"whole_approach", "Démarche globale"}};
    uint64_t year = 0;
    fprintf(out, "<li><p><strong>Référence %zu : ", i + 1);
    french_field(out, ref, "client");
    fputs("</strong>", out);
    if (doc_uint(ref, "year", &year))
        fprintf(out, ", %llu", (unsigned long long)year);
    fputs(doc_str_eq(ref, "kind", "training") ? " — formation" : " — accompagnement", out);
    fputs("</p>\n<p class=\"facts\">", out);
    fputs(doc_bool(ref, "client_is_ess", false) ? "Client de l'ESS" : "Client hors ESS", out);
    if (doc_get(ref, "client_siren")) {
        fputs(" · SIREN ", out);
        french_field(out, ref, "client_siren");
    }
    const msgpack_object *ci = doc_array(ref, "ci_topics");
    for (size_t t = 0; t < doc_len(ci); t++) {
        const char *label = NULL;
        for (size_t k = 0; k < sizeof topics / sizeof *topics; k++)
            if (doc_is(doc_at(ci, t), topics[k][0]))
                label = topics[k][1];
        fputs(t ? ", " : " · Volets : ", out);
        if (label)
            fputs(label, out);
        else
            french_str(out, doc_at(ci, t));
    }
    fputs("</p>\n<p class=\"long\">", out);
    french_field(out, ref, "summary");
    fputs("</p></li>\n", out);
}

static void s_rows(FILE *out, const msgpack_object *application, int group)
{
    if (group == 2) {
        const msgpack_object *refs = doc_array(application, "references");
        fputs("<ol class=\"references\">\n", out);
        for (size_t i = 0; i < doc_len(refs); i++)
            s_reference(out, doc_at(refs, i), i);
        fputs("</ol>\n", out);
        if (doc_len(refs) == 0)
            fputs("<p>Aucune référence.</p>\n", out);
    }
    if (group == 3 && doc_len(doc_array(application, "trained_people"))) {
        const msgpack_object *people = doc_array(application, "trained_people");
        fputs("<h4>Personnes formées</h4>\n<ul>\n", out);
        for (size_t i = 0; i < doc_len(people); i++) {
            const msgpack_object *p = doc_at(people, i), *date = doc_get(p, "session_date");
            fputs("<li>", out);
            french_field(out, p, "name");
            if (date && date->type == MSGPACK_OBJECT_STR) {
                fputs(", session du ", out);
                french_date_text(out, date->via.str.ptr, date->via.str.size);
            }
            fputs("</li>\n", out);
        }
        fputs("</ul>\n", out);
    }
}

static void s_group(FILE *out, const msgpack_object *application, const msgpack_object *report, int g)
{
    fprintf(out, "<section class=\"article\" aria-labelledby=\"g%d\">\n<h3 id=\"g%d\">", g, g);
    html_escape_z(out, s_groups[g]);
    fputs("</h3>\n<dl class=\"fields\">\n", out);
    for (size_t i = 0; i < sizeof s_fields / sizeof *s_fields; i++) {
        const msgpack_object *v = doc_path(application, s_fields[i].path);
        if (s_fields[i].group != g || !v || v->type == MSGPACK_OBJECT_NIL)
            continue;
        fputs("<dt>", out);
        html_escape_z(out, s_fields[i].label);
        fputs("</dt><dd>", out);
        s_value(out, &s_fields[i], v);
        fputs("</dd>\n", out);
    }
    fputs("</dl>\n", out);
    s_rows(out, application, g);
    if (g > 0 && report) {
        fprintf(out, "<h4>Critères de l'article %d</h4>\n", g);
        application_view_criteria(out, report, g);
    }
    fputs("</section>\n", out);
}

void application_view_render(FILE *out, const msgpack_object *application, const msgpack_object *report)
{
    if (!application || application->type != MSGPACK_OBJECT_MAP) {
        fputs("<p class=\"notice\">Le contenu de la candidature n'est pas disponible (données effacées à la "
              "demande de la structure, ou dossier pas encore transmis).</p>\n", out);
        if (report)
            application_view_criteria(out, report, 0);
        return;
    }
    for (int g = 0; g < APPLICATION_VIEW_GROUPS; g++)
        s_group(out, application, report, g);
}

void application_view_criteria(FILE *out, const msgpack_object *report, int article)
{
    const msgpack_object *criteria = doc_array(report, "criteria");
    fputs("<ul class=\"criteria\">\n", out);
    for (size_t i = 0; i < doc_len(criteria); i++) {
        const msgpack_object *c = doc_at(criteria, i);
        char code[32], outcome[16];
        french_copy(c, "code", code, sizeof code);
        french_copy(c, "outcome", outcome, sizeof outcome);
        const charter_criterion_t *criterion = charter_criterion_find(code);
        if (article && (!criterion || criterion->article != article))
            continue;
        fprintf(out, "<li class=\"criterion outcome-%s\"><p><span class=\"code\">", french_word(outcome));
        html_escape_z(out, code);
        fputs("</span> ", out);
        if (criterion)
            html_escape_z(out, criterion->title_fr);
        fputs(" : <strong class=\"outcome\">", out);
        html_escape_z(out, french_outcome(outcome));
        if (doc_bool(c, "blocking", false))
            fputs(" (bloquant)", out);
        fputs("</strong></p>\n<p>", out);
        french_field(out, c, "reason");
        fputs("</p>", out);
        const char *field;
        size_t len;
        if (doc_str(c, "field", &field, &len) && len) {
            fputs("<p class=\"facts\">Champ concerné : <code>", out);
            html_escape(out, field, len);
            fputs("</code></p>", out);
        }
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}
