/*  services/desk/staff_file_page.c - see staff_file_page.h. */
#include "staff_file_page.h"
#include "application_view.h"
#include "file_page.h"
#include "french.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/history.h"

#include <string.h>

static const french_word_t s_whats[] = {
    {"submitted", "Candidature déposée"}, {"amended", "Modification déposée"},
    {"validated", "Vérifiée au regard de la charte"}, {"queued", "Tour ouvert devant le comité"},
    {"decided", "Décision du comité"}, {"published", "Publiée dans l'annuaire"},
    {"unlisted", "Retirée de l'annuaire"}, {"withdrawn", "Dossier retiré"},
    {"appealed", "Appel de la structure"}, {"suspended", "Inscription suspendue"},
    {"erased", "Données personnelles effacées"}, {NULL, NULL}};

static const french_word_t s_whos[] = {
    {"applicant", "la structure"}, {"validation", "la vérification de la charte"},
    {"review", "le service d'examen"}, {"publication", "la publication"}, {"staff", "l'équipe de la CRESS"},
    {"committee", "le comité"}, {NULL, NULL}};

static const char *s_word_of(const french_word_t *table, const char *code)
{
    for (size_t i = 0; table[i].code; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].label;
    return NULL;
}

/*  The rest of an update's why after "revision N" ("; changed: offer.
 *  departments, …; minor"): the fields keep their paths, which are the
 *  application's own names. */
static void s_update_why(FILE *out, const char *rest)
{
    const char *changed = "; changed: ", *minor = "; minor", *substantive = "; substantive";
    size_t len = strlen(rest), tail = 0;
    const char *what = NULL;
    if (len >= strlen(minor) && strcmp(rest + len - strlen(minor), minor) == 0)
        tail = strlen(minor), what = "modification mineure, sans vote";
    else if (len >= strlen(substantive) && strcmp(rest + len - strlen(substantive), substantive) == 0)
        tail = strlen(substantive), what = "modification soumise au comité";
    if (strncmp(rest, changed, strlen(changed)) == 0) {
        fputs(" ; champs modifiés : ", out);
        html_escape(out, rest + strlen(changed), len - tail - strlen(changed));
    } else {
        html_escape(out, rest, len - tail);
    }
    if (what)
        fprintf(out, " ; %s", what);
}

/*  What follows "round N: decision" in a decided record. */
static void s_decided_why(FILE *out, const char *rest)
{
    const char *minor = " (minor update of the listing, no vote)", *motivations = "; motivations: ";
    if (strncmp(rest, minor, strlen(minor)) == 0) {
        fputs(" (mise à jour mineure de la fiche, sans vote)", out);
        rest += strlen(minor);
    }
    if (strncmp(rest, motivations, strlen(motivations)) == 0)
        fputs(" ; motivations : ", out), html_escape_z(out, rest + strlen(motivations));
    else
        html_escape_z(out, rest);
}

/*  intake writes a record's why for machines ("revision 2", "revision 3;
 *  changed: offer.themes; minor", "verdict review", "round 3 (appeal)
 *  opens", "round 1: reject; motivations: …"): the page says the same in
 *  French, and any other text as it is. */
static void s_why(FILE *out, const char *why, size_t len)
{
    char text[HISTORY_TEXT_MAX + 1], kind[16] = "", decision[16] = "";
    unsigned long n = 0;
    int used = 0;
    snprintf(text, sizeof text, "%.*s", (int)len, why);
    if (sscanf(text, "revision %lu%n", &n, &used) == 1 && (text[used] == '\0' || text[used] == ';'))
        fprintf(out, "révision %lu", n), s_update_why(out, text + used);
    else if (sscanf(text, "listed in the directory, version %lu%n", &n, &used) == 1 && text[used] == '\0')
        fprintf(out, "inscrite dans l'annuaire (version %lu)", n);
    else if (strncmp(text, "withdrawn from the directory: ", 30) == 0)
        fputs("retirée de l'annuaire : ", out), html_escape_z(out, french_withdrawal(text + 30));
    else if (strcmp(text, "personal data erased on request") == 0)
        fputs("données personnelles effacées à la demande", out);
    else if (strcmp(text, "verdict review") == 0)
        fputs("complète : transmise au comité", out);
    else if (strncmp(text, "verdict incomplete", 18) == 0) {
        fputs("incomplète", out);
        if (strncmp(text + 18, "; failing: ", 11) == 0)
            fputs(" ; critères non remplis : ", out), html_escape_z(out, text + 29);
    } else if (sscanf(text, "round %lu (%15[a-z]) opens%n", &n, kind, &used) == 2 && text[used] == '\0') {
        fprintf(out, "ouverture du tour %lu (", n);
        html_escape_z(out, french_round_kind(kind));
        fputc(')', out);
    } else if (sscanf(text, "round %lu opens%n", &n, &used) == 1 && text[used] == '\0')
        fprintf(out, "ouverture du tour %lu", n);
    else if (sscanf(text, "round %lu (%15[a-z]): %15[a-z]%n", &n, kind, decision, &used) == 3
             || sscanf(text, "round %lu: %15[a-z]%n", &n, decision, &used) == 2) {
        fprintf(out, "tour %lu", n);
        if (kind[0])
            fputs(" (", out), html_escape_z(out, french_round_kind(kind)), fputc(')', out);
        fputs(" : ", out);
        html_escape_z(out, french_decision(decision));
        s_decided_why(out, text + used);
    } else
        html_escape(out, why, len);
}

/*  [body: bin, hash: bin 32] */
static const msgpack_object *s_parts(const msgpack_object *record)
{
    if (!record || record->type != MSGPACK_OBJECT_ARRAY || record->via.array.size != 2)
        return NULL;
    const msgpack_object *parts = record->via.array.ptr;
    return parts[0].type == MSGPACK_OBJECT_BIN && parts[1].type == MSGPACK_OBJECT_BIN ? parts : NULL;
}

bool staff_file_history_holds(const msgpack_object *history, char *why, size_t cap)
{
    history_verifier_t v;
    history_verifier_init(&v);
    const msgpack_object *records = doc_array(history, "records");
    for (size_t i = 0; i < doc_len(records); i++) {
        const msgpack_object *parts = s_parts(doc_at(records, i));
        if (parts)
            history_verify_record(&v, parts[0].via.bin.ptr, parts[0].via.bin.size, parts[1].via.bin.ptr,
                                  parts[1].via.bin.size);
        else
            history_verify_record(&v, "", 0, NULL, 0);
    }
    history_head_t expected = {0};
    const msgpack_object *head = doc_get(history, "head");
    doc_uint(history, "count", &expected.count);
    if (head && head->type == MSGPACK_OBJECT_BIN && head->via.bin.size == HISTORY_HASH_BYTES)
        memcpy(expected.head, head->via.bin.ptr, HISTORY_HASH_BYTES);
    history_verify_end(&v, &expected);
    bool holds = !v.broken && doc_bool(history, "verified", false);
    if (v.broken)
        snprintf(why, cap, "La chaîne de l'historique est rompue à l'enregistrement n° %llu (%s) : un "
                           "enregistrement a été modifié, supprimé ou déplacé après coup. Prévenez "
                           "l'équipe technique.", (unsigned long long)v.brk.n, v.brk.reason);
    else if (!holds)
        snprintf(why, cap, "Le service des candidatures signale une rupture de la chaîne de l'historique. "
                           "Prévenez l'équipe technique.");
    else
        snprintf(why, cap, "La chaîne de l'historique est intacte : %llu enregistrement%s vérifié%s par le bureau.",
                 (unsigned long long)expected.count, expected.count > 1 ? "s" : "", expected.count > 1 ? "s" : "");
    history_verifier_fini(&v);
    return holds;
}

static void s_history(FILE *out, const msgpack_object *history)
{
    char why[400];
    bool holds = staff_file_history_holds(history, why, sizeof why);
    fputs("<section aria-labelledby=\"historique\">\n<h2 id=\"historique\">Historique vérifié</h2>\n", out);
    fprintf(out, "<p class=\"%s\"%s>", holds ? "notice verified" : "error", holds ? "" : " role=\"alert\"");
    html_escape_z(out, why);
    fputs("</p>\n<ol class=\"history\">\n", out);
    const msgpack_object *records = doc_array(history, "records");
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    for (size_t i = 0; i < doc_len(records); i++) {
        const msgpack_object *parts = s_parts(doc_at(records, i));
        msgpack_object body;
        msgpack_zone_clear(&zone);
        if (!parts || history_body_decode(parts[0].via.bin.ptr, parts[0].via.bin.size, &zone, &body) != 0) {
            fprintf(out, "<li class=\"error\">Enregistrement n° %zu illisible.</li>\n", i + 1);
            continue;
        }
        char what[32], who[128], state[24];
        uint64_t at = 0;
        doc_uint(&body, "at", &at);
        french_copy(&body, "what", what, sizeof what);
        french_copy(&body, "who", who, sizeof who);
        french_copy(&body, "state", state, sizeof state);
        const char *what_fr = s_word_of(s_whats, what), *who_fr = s_word_of(s_whos, who);
        fputs("<li><time>", out);
        french_datetime(out, at);
        fputs("</time> — <strong>", out);
        html_escape_z(out, what_fr ? what_fr : what);
        fputs("</strong>, par ", out);
        if (who_fr)
            html_escape_z(out, who_fr);
        else
            french_field(out, &body, "who");
        fputs(" ; état : ", out);
        html_escape_z(out, french_state(state));
        const char *text;
        size_t len;
        if (doc_str(&body, "why", &text, &len) && len) {
            fputs("<br><span class=\"why\">", out);
            s_why(out, text, len);
            fputs("</span>", out);
        } else if (doc_bool(&body, "erased", false)) {
            fputs("<br><span class=\"why\">(texte effacé avec les données personnelles)</span>", out);
        }
        fputs("</li>\n", out);
    }
    msgpack_zone_destroy(&zone);
    fputs("</ol>\n</section>\n", out);
}

static void s_action_form(FILE *out, const staff_file_view_t *view, const char *action, const char *title,
                          const char *help, const char *field, const char *label, const char *button)
{
    fprintf(out, "<section aria-labelledby=\"%s\">\n<h3 id=\"%s\">%s</h3>\n<p>%s</p>\n", field, field, title, help);
    fprintf(out, "<form method=\"post\" action=\"/admin/dossier/%s\">\n", action);
    fputs("<input type=\"hidden\" name=\"csrf\" value=\"", out);
    html_escape_z(out, view->csrf);
    fputs("\">\n<input type=\"hidden\" name=\"id\" value=\"", out);
    html_escape_z(out, view->id);
    fprintf(out, "\">\n<div class=\"field\"><label for=\"%s-texte\">%s</label>\n", field, label);
    if (strcmp(action, "effacement") == 0)
        fprintf(out, "<input type=\"text\" id=\"%s-texte\" name=\"confirm\" required autocomplete=\"off\" "
                     "spellcheck=\"false\"></div>\n", field);
    else
        fprintf(out, "<textarea id=\"%s-texte\" name=\"reason\" rows=\"3\" maxlength=\"4000\" required></textarea>"
                     "</div>\n", field);
    fprintf(out, "<p class=\"actions\"><button type=\"submit\" class=\"danger\">%s</button></p>\n</form>\n</section>\n",
            button);
}

static void s_actions(FILE *out, const staff_file_view_t *view, const char *state)
{
    bool withdrawn = strcmp(state, "withdrawn") == 0;
    bool listed = strcmp(state, "approved") == 0 || strcmp(state, "published") == 0;
    fputs("<section aria-labelledby=\"actions\">\n<h2 id=\"actions\">Actions de l'équipe</h2>\n", out);
    if (!withdrawn)
        s_action_form(out, view, "retrait", "Retirer le dossier",
                      "Le retrait est définitif : le dossier quitte le comité, et l'inscription l'annuaire s'il "
                      "y figure. Le motif reste interne ; il apparaît dans l'historique.",
                      "retrait", "Motif du retrait", "Retirer définitivement");
    if (listed)
        s_action_form(out, view, "reclamation", "Ouvrir une réclamation",
                      "L'inscription est suspendue (retirée de l'annuaire) et le comité vote « Rétablir » ou "
                      "« Retirer ». Le motif est montré aux membres du comité.",
                      "reclamation", "Motif de la réclamation", "Suspendre et saisir le comité");
    char help[400];
    snprintf(help, sizeof help, "Efface le nom, le SIRET, les contacts, les motivations et la candidature dans "
                                "chaque service ; il reste le numéro, les états, les dates et les votes. Pour "
                                "confirmer, recopiez le numéro du dossier : %s.", view->id);
    s_action_form(out, view, "effacement", "Effacer les données personnelles", help, "effacement",
                  "Numéro du dossier, pour confirmer", "Effacer les données personnelles");
    fputs("</section>\n", out);
}

void staff_file_page_render(FILE *out, const staff_file_view_t *view)
{
    char state[24] = "";
    const msgpack_object *status = view->status;
    french_copy(status, "state", state, sizeof state);
    /* The frame writes the title: the applicant's name, or « Dossier aux
     * données effacées » (staff_file_page_title). */
    fputs("<p class=\"lead\">Dossier n° <strong class=\"id\">", out);
    html_escape_z(out, view->id);
    fprintf(out, "</strong> · <span class=\"state state-%s\">", french_word(state));
    html_escape_z(out, french_state(state));
    fputs("</span></p>\n", out);
    if (view->notice)
        fputs("<p class=\"notice\" role=\"status\">", out), html_escape_z(out, view->notice), fputs("</p>\n", out);
    if (view->error)
        fputs("<p class=\"error\" role=\"alert\">", out), html_escape_z(out, view->error), fputs("</p>\n", out);
    uint64_t submitted = 0, updated = 0, expires = 0;
    fputs("<dl class=\"fields\">\n", out);
    if (doc_get(status, "siret"))
        fputs("<dt>SIRET</dt><dd>", out), french_field(out, status, "siret"), fputs("</dd>\n", out);
    if (doc_uint(status, "submitted_at", &submitted))
        fputs("<dt>Déposée le</dt><dd>", out), french_datetime(out, submitted), fputs("</dd>\n", out);
    if (doc_uint(status, "updated_at", &updated))
        fputs("<dt>Dernier changement</dt><dd>", out), french_datetime(out, updated), fputs("</dd>\n", out);
    if (doc_uint(status, "expires", &expires))
        fputs("<dt>Inscription jusqu'au</dt><dd>", out), french_day(out, expires), fputs("</dd>\n", out);
    if (doc_get(status, "reason"))
        fputs("<dt>Motif</dt><dd>", out), french_field(out, status, "reason"), fputs("</dd>\n", out);
    if (doc_get(status, "renews"))
        fputs("<dt>Renouvelle</dt><dd>", out), french_field(out, status, "renews"), fputs("</dd>\n", out);
    fputs("</dl>\n", out);
    file_page_rounds(out, doc_array(status, "decisions"));
    if (view->history)
        s_history(out, view->history);
    s_actions(out, view, state);
    fputs("<section aria-labelledby=\"candidature\">\n<h2 id=\"candidature\">La candidature</h2>\n", out);
    application_view_render(out, doc_map(status, "application"), doc_map(status, "report"));
    fputs("</section>\n", out);
}

void staff_file_page_title(const msgpack_object *status, char *out, size_t cap)
{
    if (doc_strcpy(status, "name", out, cap) < 0)
        snprintf(out, cap, "Dossier aux données effacées");
}

bool staff_file_erase_confirmed(const char *id, const char *typed)
{
    if (!id || !typed)
        return false;
    while (*typed == ' ')
        typed++;
    size_t len = strlen(id);
    if (strncmp(typed, id, len) != 0)
        return false;
    for (const char *p = typed + len; *p; p++)
        if (*p != ' ')
            return false;
    return len > 0;
}
