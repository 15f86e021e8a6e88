/*  services/desk/queue_page.c - see queue_page.h. */
#include "queue_page.h"
#include "french.h"

#include "common/html.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/labels.h"

#include <stdlib.h>
#include <string.h>

#define S_OPTIONS_MAX 128        /* départements or themes offered in one filter */

/*  The département of the item's applicant, "" when its postcode has none. */
static void s_department(const msgpack_object *item, char out[4])
{
    const msgpack_object *postcode = doc_path(doc_map(item, "application"), "organisation.address.postcode");
    out[0] = '\0';
    if (!postcode || postcode->type != MSGPACK_OBJECT_STR
        || id_postcode_department(postcode->via.str.ptr, postcode->via.str.size, out) != 0)
        out[0] = '\0';
}

static bool s_has_theme(const msgpack_object *item, const char *theme)
{
    const msgpack_object *themes = doc_path(doc_map(item, "application"), "offer.themes");
    for (size_t i = 0; i < doc_len(themes); i++)
        if (doc_is(doc_at(themes, i), theme))
            return true;
    return false;
}

static bool s_college_voted(const msgpack_object *item, const char *college)
{
    const msgpack_object *votes = doc_array(item, "votes");
    for (size_t i = 0; i < doc_len(votes); i++)
        if (doc_str_eq(doc_at(votes, i), "college", college))
            return true;
    return false;
}

int queue_filter_set(queue_filter_t *self, const char *college, const char *department, const char *theme)
{
    int dropped = 0;
    memset(self, 0, sizeof *self);
    if (college && *college) {
        if (strcmp(french_college(college), college) != 0)
            snprintf(self->college, sizeof self->college, "%s", college);
        else
            dropped++;
    }
    if (department && *department) {
        if (labels_find(LABELS_DEPARTMENT, department, strlen(department)))
            snprintf(self->department, sizeof self->department, "%s", department);
        else
            dropped++;
    }
    if (theme && *theme) {
        if (labels_find(LABELS_THEME, theme, strlen(theme)))
            snprintf(self->theme, sizeof self->theme, "%s", theme);
        else
            dropped++;
    }
    return dropped;
}

bool queue_filter_keeps(const queue_filter_t *self, const msgpack_object *item, const char *skip)
{
    if (self->college[0] && !(skip && strcmp(skip, "college") == 0) && s_college_voted(item, self->college))
        return false;
    if (self->department[0] && !(skip && strcmp(skip, "department") == 0)) {
        char department[4];
        s_department(item, department);
        if (strcmp(department, self->department) != 0)
            return false;
    }
    if (self->theme[0] && !(skip && strcmp(skip, "theme") == 0) && !s_has_theme(item, self->theme))
        return false;
    return true;
}

void queue_filter_query(const queue_filter_t *self, FILE *out)
{
    const char *sep = "?";
    const char *names[] = {"college", "departement", "theme"};
    const char *values[] = {self->college, self->department, self->theme};
    for (int i = 0; i < 3; i++)
        if (values[i][0]) {
            /* The values are checked codes: letters, digits and '_' only. */
            fprintf(out, "%s%s=%s", sep, names[i], values[i]);
            sep = "&amp;";
        }
}

/*  Newest first: ids begin with their time, so a larger id is newer. */
static int s_newest_first(const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object *const *)a, *y = *(const msgpack_object *const *)b;
    const char *xs = "", *ys = "";
    size_t xl = 0, yl = 0;
    doc_str(x, "id", &xs, &xl);
    doc_str(y, "id", &ys, &yl);
    int c = memcmp(xs, ys, xl < yl ? xl : yl);
    if (c == 0)
        c = (xl > yl) - (xl < yl);
    return -c;
}

/* ------------------------------------------------------------------ filters */

typedef struct {
    char code[64];
    size_t count;
} s_option_t;

static size_t s_count(const msgpack_object *const *items, size_t count, const queue_filter_t *filter,
                      const char *skip, const queue_filter_t *with)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (!doc_bool(items[i], "recused", false) && queue_filter_keeps(filter, items[i], skip)
            && queue_filter_keeps(with, items[i], NULL))
            n++;
    return n;
}

static void s_select_head(FILE *out, const char *name, const char *id, const char *label, size_t all)
{
    fprintf(out, "<div class=\"field\"><label for=\"%s\">%s</label>\n<select id=\"%s\" name=\"%s\">\n"
                 "<option value=\"\">Tous (%zu)</option>\n", id, label, id, name, all);
}

static void s_option(FILE *out, const char *code, const char *label, size_t n, bool selected)
{
    fprintf(out, "<option value=\"%s\"%s>", code, selected ? " selected" : "");
    html_escape_z(out, label);
    fprintf(out, " (%zu)</option>\n", n);
}

static void s_college_filter(FILE *out, const msgpack_object *const *items, size_t count,
                             const queue_filter_t *filter)
{
    queue_filter_t one = {0};
    s_select_head(out, "college", "f-college", "Sans vote encore du collège", s_count(items, count, filter, "college", &one));
    for (size_t c = 0; french_colleges[c].code; c++) {
        snprintf(one.college, sizeof one.college, "%s", french_colleges[c].code);
        s_option(out, one.college, french_colleges[c].label, s_count(items, count, filter, "college", &one),
                 strcmp(filter->college, one.college) == 0);
    }
    fputs("</select></div>\n", out);
}

/*  The départements or themes found among the items (and the one chosen),
 *  in the order of proto's labels. */
static void s_listed_filter(FILE *out, const msgpack_object *const *items, size_t count,
                            const queue_filter_t *filter, labels_set_t set)
{
    bool departments = set == LABELS_DEPARTMENT;
    const char *skip = departments ? "department" : "theme";
    const char *chosen = departments ? filter->department : filter->theme;
    queue_filter_t one = {0};
    s_select_head(out, departments ? "departement" : "theme", departments ? "f-departement" : "f-theme",
                  departments ? "Département de la structure" : "Thème", s_count(items, count, filter, skip, &one));
    size_t n;
    const label_t *table = labels_table(set, &n);
    for (size_t i = 0; i < n; i++) {
        memset(&one, 0, sizeof one);
        if (departments)
            snprintf(one.department, sizeof one.department, "%s", table[i].code);
        else
            snprintf(one.theme, sizeof one.theme, "%s", table[i].code);
        size_t matching = s_count(items, count, filter, skip, &one);
        bool selected = strcmp(chosen, table[i].code) == 0;
        if (matching == 0 && !selected)
            continue;
        char label[160];
        if (departments)
            snprintf(label, sizeof label, "%s – %s", table[i].code, table[i].label);
        else
            snprintf(label, sizeof label, "%s", table[i].label);
        s_option(out, table[i].code, label, matching, selected);
    }
    fputs("</select></div>\n", out);
}

static void s_filters(FILE *out, const msgpack_object *const *items, size_t count, const queue_filter_t *filter)
{
    fputs("<form method=\"get\" action=\"/comite\" class=\"filters\" aria-label=\"Filtrer les dossiers\">\n", out);
    s_college_filter(out, items, count, filter);
    s_listed_filter(out, items, count, filter, LABELS_DEPARTMENT);
    s_listed_filter(out, items, count, filter, LABELS_THEME);
    fputs("<p class=\"actions\"><button type=\"submit\">Filtrer</button> "
          "<a href=\"/comite\">Tout afficher</a></p>\n</form>\n", out);
}

/* ------------------------------------------------------------------ items */

static void s_item_facts(FILE *out, const msgpack_object *item)
{
    char kind[16], department[4];
    uint64_t round = 0, revision = 0;
    doc_uint(item, "round", &round);
    doc_uint(item, "revision", &revision);
    french_copy(item, "kind", kind, sizeof kind);
    s_department(item, department);
    fprintf(out, "<p class=\"facts\"><span class=\"kind kind-%s\">", french_word(kind));
    html_escape_z(out, french_round_kind(kind));
    fprintf(out, "</span> · tour %llu · révision %llu", (unsigned long long)round, (unsigned long long)revision);
    if (department[0]) {
        const char *name = labels_find(LABELS_DEPARTMENT, department, strlen(department));
        fprintf(out, " · %s", department);
        if (name) {
            fputs(" (", out);
            html_escape_z(out, name);
            fputc(')', out);
        }
    }
    fputs("</p>\n", out);
}

static void s_votes_line(FILE *out, const msgpack_object *item)
{
    const msgpack_object *votes = doc_array(item, "votes");
    size_t n = doc_len(votes);
    if (n == 0) {
        fputs("<p class=\"votes\">Aucun vote pour l'instant.</p>\n", out);
        return;
    }
    fprintf(out, "<p class=\"votes\">%zu vote%s : ", n, n > 1 ? "s" : "");
    for (size_t i = 0; i < n; i++) {
        char decision[16], college[24];
        french_copy(doc_at(votes, i), "decision", decision, sizeof decision);
        french_copy(doc_at(votes, i), "college", college, sizeof college);
        fputs(i ? " ; " : "", out);
        html_escape_z(out, french_choice(decision));
        fputs(" (", out);
        html_escape_z(out, french_college(college));
        fputc(')', out);
    }
    fputs("</p>\n", out);
}

/*  Why the member may not vote: each conflict, then their own reason. */
void queue_page_recusal(FILE *out, const msgpack_object *item)
{
    const msgpack_object *conflicts = doc_array(item, "conflicts");
    fputs("<ul class=\"why\">\n", out);
    for (size_t i = 0; i < doc_len(conflicts); i++) {
        const msgpack_object *c = doc_at(conflicts, i);
        char role[24];
        french_copy(c, "role", role, sizeof role);
        fputs("<li>", out);
        if (strcmp(role, "network") == 0) {
            fputs("Vous appartenez au réseau « ", out);
            french_field(out, c, "network");
            fputs(" », déclaré par la candidate.", out);
        } else {
            fputs("Vous êtes lié·e à ", out);
            html_escape_z(out, french_conflict_role(role));
            if (doc_get(c, "name")) {
                fputs(", « ", out);
                french_field(out, c, "name");
                fputs(" »", out);
            }
            fputs(" (SIREN ", out);
            french_field(out, c, "siren");
            fputs(").", out);
        }
        fputs("</li>\n", out);
    }
    const msgpack_object *recusal = doc_map(item, "recusal");
    if (recusal) {
        uint64_t at = 0;
        fputs("<li>Vous vous êtes récusé·e", out);
        if (doc_uint(recusal, "at", &at)) {
            fputs(" le ", out);
            french_datetime(out, at);
        }
        fputs(" : « ", out);
        french_field(out, recusal, "reason");
        fputs(" ».</li>\n", out);
    }
    fputs("</ul>\n", out);
}

static void s_item(FILE *out, const msgpack_object *item, bool recused)
{
    fputs("<li class=\"file\">\n<h3><a href=\"/comite/dossier/", out);
    french_field(out, item, "id");
    fputs("\">", out);
    french_field(out, item, "name");
    fputs("</a></h3>\n<p class=\"id\">Dossier n° ", out);
    french_field(out, item, "id");
    fputs("</p>\n", out);
    s_item_facts(out, item);
    if (recused)
        queue_page_recusal(out, item);
    else
        s_votes_line(out, item);
    fputs("</li>\n", out);
}

void queue_page_list(FILE *out, const msgpack_object *const *items, size_t count, const queue_filter_t *filter)
{
    const msgpack_object **sorted = count ? malloc(count * sizeof *sorted) : NULL;
    size_t kept = 0, waiting = 0;
    for (size_t i = 0; i < count; i++)
        if (queue_filter_keeps(filter, items[i], NULL)) {
            sorted[kept++] = items[i];
            waiting += !doc_bool(items[i], "recused", false);
        }
    if (kept > 1)
        qsort(sorted, kept, sizeof *sorted, s_newest_first);

    fputs("<div id=\"liste-dossiers\" aria-live=\"polite\">\n", out);
    s_filters(out, items, count, filter);
    fputs("<section aria-labelledby=\"a-voter\">\n<h2 id=\"a-voter\">", out);
    if (waiting == 0)
        fputs("Aucun dossier n'attend votre vote", out);
    else
        fprintf(out, "%zu dossier%s attend%s votre vote", waiting, waiting > 1 ? "s" : "", waiting > 1 ? "ent" : "");
    fputs("</h2>\n", out);
    if (waiting) {
        fputs("<ul class=\"files\">\n", out);
        for (size_t i = 0; i < kept; i++)
            if (!doc_bool(sorted[i], "recused", false))
                s_item(out, sorted[i], false);
        fputs("</ul>\n", out);
    }
    fputs("</section>\n", out);
    if (waiting < kept) {
        fprintf(out, "<section aria-labelledby=\"recuse\" class=\"recused\">\n<h2 id=\"recuse\">"
                     "Dossiers dont vous êtes récusé·e (%zu)</h2>\n<p>Vous ne pouvez pas voter sur ces "
                     "dossiers ; ils sont montrés pour que le conflit soit connu de tous.</p>\n"
                     "<ul class=\"files\">\n", kept - waiting);
        for (size_t i = 0; i < kept; i++)
            if (doc_bool(sorted[i], "recused", false))
                s_item(out, sorted[i], true);
        fputs("</ul>\n</section>\n", out);
    }
    fputs("</div>\n", out);
    free(sorted);
}

void queue_page_render(FILE *out, const msgpack_object *const *items, size_t count, const queue_filter_t *filter)
{
    /* The frame (desk_page_begin) writes the title, « Mes dossiers ». */
    fputs("<p class=\"lead\">Les dossiers qui attendent votre vote, les plus "
          "récents d'abord. La liste se met à jour d'elle-même ; sans JavaScript, <a href=\"/comite", out);
    queue_filter_query(filter, out);
    fputs("\">actualisez la page</a>.</p>\n", out);
    queue_page_list(out, items, count, filter);
}
