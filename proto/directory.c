/*  proto/directory.c - see directory.h. */
#include "directory.h"

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/text.h"

#include <string.h>

typedef struct {
    const char *code;
    const char *label;
} label_t;

/*  The themes of the Guide des bonnes pratiques de l'ESS, as the schema
 *  codes them (offer.themes). */
static const label_t s_themes[] = {
    {"continuous_improvement", "Démarche d’amélioration continue"},
    {"csr_iso26000", "RSE, RSO et ISO 26000"},
    {"democratic_governance", "Gouvernance démocratique"},
    {"strategy_consultation", "Concertation dans l’élaboration de la stratégie"},
    {"territorial_anchoring", "Ancrage territorial de l’activité et des emplois"},
    {"wage_policy_social_exemplarity", "Politique salariale et exemplarité sociale"},
    {"users_unmet_needs", "Lien avec les usagers et réponse aux besoins non couverts"},
    {"diversity_equality", "Diversité, non-discrimination et égalité femmes-hommes"},
    {"sustainable_development", "Développement durable"},
    {"ethics_deontology", "Éthique et déontologie"},
    {NULL, NULL},
};

static const label_t s_legal_forms[] = {
    {"association", "Association"},
    {"cae", "Coopérative d’activité et d’emploi (CAE)"},
    {"commercial_company", "Société commerciale agréée ESUS"},
    {"cooperative", "Coopérative"},
    {"foundation", "Fondation"},
    {"mutual", "Mutuelle"},
    {"scic", "Société coopérative d’intérêt collectif (SCIC)"},
    {"scop", "Société coopérative et participative (SCOP)"},
    {NULL, NULL},
};

static const label_t s_formats[] = {
    {"support", "Accompagnement"},
    {"training", "Formation"},
    {NULL, NULL},
};

static const label_t s_scopes[] = {
    {"whole", "Démarche d’amélioration continue dans son ensemble"},
    {"specific", "Actions spécifiques du plan d’actions"},
    {NULL, NULL},
};

static const label_t s_departments[] = {
    {"01", "Ain"}, {"02", "Aisne"}, {"03", "Allier"}, {"04", "Alpes-de-Haute-Provence"},
    {"05", "Hautes-Alpes"}, {"06", "Alpes-Maritimes"}, {"07", "Ardèche"}, {"08", "Ardennes"},
    {"09", "Ariège"}, {"10", "Aube"}, {"11", "Aude"}, {"12", "Aveyron"},
    {"13", "Bouches-du-Rhône"}, {"14", "Calvados"}, {"15", "Cantal"}, {"16", "Charente"},
    {"17", "Charente-Maritime"}, {"18", "Cher"}, {"19", "Corrèze"}, {"2A", "Corse-du-Sud"},
    {"2B", "Haute-Corse"}, {"21", "Côte-d’Or"}, {"22", "Côtes-d’Armor"}, {"23", "Creuse"},
    {"24", "Dordogne"}, {"25", "Doubs"}, {"26", "Drôme"}, {"27", "Eure"},
    {"28", "Eure-et-Loir"}, {"29", "Finistère"}, {"30", "Gard"}, {"31", "Haute-Garonne"},
    {"32", "Gers"}, {"33", "Gironde"}, {"34", "Hérault"}, {"35", "Ille-et-Vilaine"},
    {"36", "Indre"}, {"37", "Indre-et-Loire"}, {"38", "Isère"}, {"39", "Jura"},
    {"40", "Landes"}, {"41", "Loir-et-Cher"}, {"42", "Loire"}, {"43", "Haute-Loire"},
    {"44", "Loire-Atlantique"}, {"45", "Loiret"}, {"46", "Lot"}, {"47", "Lot-et-Garonne"},
    {"48", "Lozère"}, {"49", "Maine-et-Loire"}, {"50", "Manche"}, {"51", "Marne"},
    {"52", "Haute-Marne"}, {"53", "Mayenne"}, {"54", "Meurthe-et-Moselle"}, {"55", "Meuse"},
    {"56", "Morbihan"}, {"57", "Moselle"}, {"58", "Nièvre"}, {"59", "Nord"},
    {"60", "Oise"}, {"61", "Orne"}, {"62", "Pas-de-Calais"}, {"63", "Puy-de-Dôme"},
    {"64", "Pyrénées-Atlantiques"}, {"65", "Hautes-Pyrénées"}, {"66", "Pyrénées-Orientales"},
    {"67", "Bas-Rhin"}, {"68", "Haut-Rhin"}, {"69", "Rhône"}, {"70", "Haute-Saône"},
    {"71", "Saône-et-Loire"}, {"72", "Sarthe"}, {"73", "Savoie"}, {"74", "Haute-Savoie"},
    {"75", "Paris"}, {"76", "Seine-Maritime"}, {"77", "Seine-et-Marne"}, {"78", "Yvelines"},
    {"79", "Deux-Sèvres"}, {"80", "Somme"}, {"81", "Tarn"}, {"82", "Tarn-et-Garonne"},
    {"83", "Var"}, {"84", "Vaucluse"}, {"85", "Vendée"}, {"86", "Vienne"},
    {"87", "Haute-Vienne"}, {"88", "Vosges"}, {"89", "Yonne"}, {"90", "Territoire de Belfort"},
    {"91", "Essonne"}, {"92", "Hauts-de-Seine"}, {"93", "Seine-Saint-Denis"},
    {"94", "Val-de-Marne"}, {"95", "Val-d’Oise"}, {"971", "Guadeloupe"}, {"972", "Martinique"},
    {"973", "Guyane"}, {"974", "La Réunion"}, {"975", "Saint-Pierre-et-Miquelon"},
    {"976", "Mayotte"}, {NULL, NULL},
};

static const label_t *const s_tables[DIRECTORY_KIND_COUNT] = {
    s_themes, s_legal_forms, s_formats, s_scopes, s_departments,
};

const char *directory_label(directory_kind_t kind, const char *code, size_t len)
{
    for (const label_t *l = s_tables[kind]; l->code; l++)
        if (strlen(l->code) == len && memcmp(l->code, code, len) == 0)
            return l->label;
    return NULL;
}

size_t directory_codes(directory_kind_t kind, const char *const **codes)
{
    /* The tables hold code/label pairs; hand out the codes as an array. */
    static const char *lists[DIRECTORY_KIND_COUNT][128];
    static size_t counts[DIRECTORY_KIND_COUNT];
    if (!counts[kind])
        for (const label_t *l = s_tables[kind]; l->code; l++)
            lists[kind][counts[kind]++] = l->code;
    *codes = lists[kind];
    return counts[kind];
}

/* ----------------------------------------------------------------- filter */

static int s_read_code(const msgpack_object *request, const char *field, directory_kind_t kind,
                       char *out, size_t cap, proto_error_t *err)
{
    const char *text;
    size_t len;
    out[0] = '\0';
    if (!doc_str(request, field, &text, &len) || len == 0)
        return 0;
    if (len >= cap || !directory_label(kind, text, len))
        return proto_error_set(err, field, "enum", "%s: '%.*s' is not one of the codes of the directory",
                               field, (int)(len > 40 ? 40 : len), text);
    memcpy(out, text, len);
    out[len] = '\0';
    return 0;
}

int directory_filter_from_request(const msgpack_object *request, directory_filter_t *filter,
                                proto_error_t *err)
{
    memset(filter, 0, sizeof *filter);
    if (s_read_code(request, "department", DIRECTORY_DEPARTMENT, filter->department,
                    sizeof filter->department, err)
        || s_read_code(request, "theme", DIRECTORY_THEME, filter->theme, sizeof filter->theme, err)
        || s_read_code(request, "format", DIRECTORY_FORMAT, filter->format, sizeof filter->format, err)
        || s_read_code(request, "scope", DIRECTORY_SCOPE, filter->scope, sizeof filter->scope, err)
        || s_read_code(request, "legal_form", DIRECTORY_LEGAL_FORM, filter->legal_form,
                       sizeof filter->legal_form, err))
        return -1;
    const char *q;
    size_t len;
    if (doc_str(request, "q", &q, &len)) {
        if (len >= DIRECTORY_Q_MAX)
            return proto_error_set(err, "q", "max", "q: at most %d bytes of text", DIRECTORY_Q_MAX - 1);
        text_fold(q, len, filter->q, sizeof filter->q);
    }
    return 0;
}

static bool s_has(const msgpack_object *map, const char *key, const char *value)
{
    return !*value || doc_array_has(map, key, value);
}

/*  Appends the folded string at path to hay, then a space. */
static size_t s_fold_into(const msgpack_object *entry, const char *path, char *hay, size_t n,
                          size_t cap)
{
    const msgpack_object *value = doc_path(entry, path);
    if (!value || value->type != MSGPACK_OBJECT_STR || n + 2 >= cap)
        return n;
    n += text_fold(value->via.str.ptr, value->via.str.size, hay + n, cap - n - 1);
    hay[n++] = ' ';
    hay[n] = '\0';
    return n;
}

static bool s_text_matches(const char *q, const msgpack_object *entry)
{
    if (!*q)
        return true;
    static const char *const paths[] = {"organisation.name", "organisation.address.city",
                                        "organisation.address.postcode", "offer.description", NULL};
    char hay[4096];
    size_t n = 1;
    hay[0] = ' ';
    hay[1] = '\0';
    for (const char *const *p = paths; *p; p++)
        n = s_fold_into(entry, *p, hay, n, sizeof hay);
    /* Every word of the query, anywhere. */
    char word[DIRECTORY_Q_MAX];
    for (const char *w = q; *w;) {
        size_t len = strcspn(w, " ");
        memcpy(word, w, len);
        word[len] = '\0';
        if (len && !strstr(hay, word))
            return false;
        w += len;
        while (*w == ' ')
            w++;
    }
    return true;
}

bool directory_matches(const directory_filter_t *filter, const msgpack_object *entry)
{
    const msgpack_object *offer = doc_map(entry, "offer");
    if (!s_has(offer, "departments", filter->department) || !s_has(offer, "themes", filter->theme)
        || !s_has(offer, "formats", filter->format) || !s_has(offer, "scope", filter->scope))
        return false;
    if (*filter->legal_form
        && !doc_str_eq(doc_map(entry, "organisation"), "legal_form", filter->legal_form))
        return false;
    return s_text_matches(filter->q, entry);
}

size_t directory_sort_key(const msgpack_object *entry, char *out, size_t cap)
{
    const char *name = "", *id = "";
    size_t name_len = 0, id_len = 0;
    doc_str(doc_map(entry, "organisation"), "name", &name, &name_len);
    doc_str(entry, "id", &id, &id_len);
    if (cap < id_len + 3)
        return 0;
    size_t n = text_fold(name, name_len, out, cap - id_len - 1);
    out[n++] = '\x01';
    memcpy(out + n, id, id_len);
    out[n + id_len] = '\0';
    return n + id_len;
}

/* -------------------------------------------------------------------- CSV */

/*  A cell that a spreadsheet would read as a formula: one beginning with
 *  = + - @, a TAB or a CR (OWASP's "CSV injection" rule).  Such a cell is
 *  written with a leading apostrophe, inside quotes, so that Excel,
 *  LibreOffice and Google Sheets show it as text and run nothing. */
static bool s_csv_formula(const char *text, size_t len)
{
    return len > 0 && strchr("=+-@\t\r", text[0]) != NULL && text[0] != '\0';
}

static int s_csv_field(FILE *out, const char *text, size_t len, bool last)
{
    bool formula = s_csv_formula(text, len);
    bool quote = formula;
    for (size_t i = 0; i < len && !quote; i++)
        quote = text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n';
    if (quote) {
        fputs(formula ? "\"'" : "\"", out);
        for (size_t i = 0; i < len; i++) {
            if (text[i] == '"')
                fputc('"', out);
            fputc(text[i], out);
        }
        fputc('"', out);
    } else {
        fwrite(text, 1, len, out);
    }
    return fputs(last ? "\r\n" : ",", out) < 0 ? -1 : 0;
}

static int s_csv_str(FILE *out, const msgpack_object *entry, const char *path)
{
    const msgpack_object *value = doc_path(entry, path);
    if (value && value->type == MSGPACK_OBJECT_STR)
        return s_csv_field(out, value->via.str.ptr, value->via.str.size, false);
    return s_csv_field(out, "", 0, false);
}

/*  The labels (or codes, for départements) of an array, joined by "; ". */
static int s_csv_list(FILE *out, const msgpack_object *entry, const char *path, int kind)
{
    const msgpack_object *array = doc_path(entry, path);
    char text[4096];
    size_t n = 0;
    text[0] = '\0';
    for (size_t i = 0; i < doc_len(array); i++) {
        const msgpack_object *item = doc_at(array, i);
        if (item->type != MSGPACK_OBJECT_STR)
            continue;
        const char *label = kind < 0 ? NULL : directory_label((directory_kind_t)kind, item->via.str.ptr,
                                                            item->via.str.size);
        int len = label ? (int)strlen(label) : (int)item->via.str.size;
        int wrote = snprintf(text + n, sizeof text - n, "%s%.*s", n ? "; " : "", len,
                             label ? label : item->via.str.ptr);
        if (wrote < 0 || (size_t)wrote >= sizeof text - n)
            break;
        n += (size_t)wrote;
    }
    return s_csv_field(out, text, n, false);
}

int directory_csv_header(FILE *out)
{
    static const char header[] =
        "identifiant,nom,forme juridique,SIRET,adresse,code postal,commune,départements,"
        "thèmes,formats,périmètre,courriel,téléphone,site web,présentation,version,publié le\r\n";
    return fputs(header, out) < 0 ? -1 : 0;
}

int directory_csv_row(FILE *out, const msgpack_object *entry)
{
    const msgpack_object *form = doc_path(entry, "organisation.legal_form");
    const char *label = form && form->type == MSGPACK_OBJECT_STR
                            ? directory_label(DIRECTORY_LEGAL_FORM, form->via.str.ptr, form->via.str.size)
                            : NULL;
    char version[24] = "", published[11] = "";
    uint64_t number;
    if (doc_uint(entry, "version", &number))
        snprintf(version, sizeof version, "%llu", (unsigned long long)number);
    if (doc_uint(entry, "approved_at", &number))
        date_format((int32_t)(number / 86400), published);
    int rc = s_csv_str(out, entry, "id") | s_csv_str(out, entry, "organisation.name");
    rc |= label ? s_csv_field(out, label, strlen(label), false) : s_csv_str(out, entry, "organisation.legal_form");
    rc |= s_csv_str(out, entry, "organisation.siret") | s_csv_str(out, entry, "organisation.address.street")
          | s_csv_str(out, entry, "organisation.address.postcode")
          | s_csv_str(out, entry, "organisation.address.city")
          | s_csv_list(out, entry, "offer.departments", -1)
          | s_csv_list(out, entry, "offer.themes", DIRECTORY_THEME)
          | s_csv_list(out, entry, "offer.formats", DIRECTORY_FORMAT)
          | s_csv_list(out, entry, "offer.scope", DIRECTORY_SCOPE)
          | s_csv_str(out, entry, "organisation.public_contact.email")
          | s_csv_str(out, entry, "organisation.public_contact.phone")
          | s_csv_str(out, entry, "organisation.website") | s_csv_str(out, entry, "offer.description")
          | s_csv_field(out, version, strlen(version), false)
          | s_csv_field(out, published, strlen(published), true);
    return rc ? -1 : 0;
}
