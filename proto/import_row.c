/*  proto/import_row.c - see import_row.h. */
#include "import_row.h"

#include "proto/date.h"
#include "proto/json_codec.h"
#include "proto/labels.h"
#include "proto/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  What a column holds. */
enum { C_IGNORED, C_APPROVED, C_STR, C_LIST, C_LABEL, C_LABELS, C_BOOL, C_TRAINED, C_COMMITMENTS,
       C_REF_STR, C_REF_BOOL, C_REF_YEAR, C_REF_LABEL, C_REF_LIST };

#define S_REFS_MAX 9                   /* "référence 1 : ..." to "référence 9 : ..." */
#define S_NO_SET (-1)

typedef struct {
    const char *heading;
    int kind;
    const char *path;                  /* the schema's path (in a reference, its key) */
    int set;                           /* labels_set_t of a coded value, or S_NO_SET */
    bool required;
} column_t;

/*  The columns of annuaire.csv (proto/directory.c) first, then the
 *  private fields.  "publié le" is the annuaire's name of the approval
 *  date: a file exported from a directory reads as it is. */
static const column_t s_columns[] = {
    {"identifiant", C_IGNORED, NULL, S_NO_SET, false},
    {"version", C_IGNORED, NULL, S_NO_SET, false},
    {"nom", C_STR, "organisation.name", S_NO_SET, true},
    {"forme juridique", C_LABEL, "organisation.legal_form", LABELS_LEGAL_FORM, true},
    {"SIRET", C_STR, "organisation.siret", S_NO_SET, true},
    {"adresse", C_STR, "organisation.address.street", S_NO_SET, false},
    {"code postal", C_STR, "organisation.address.postcode", S_NO_SET, true},
    {"commune", C_STR, "organisation.address.city", S_NO_SET, true},
    {"départements", C_LIST, "offer.departments", S_NO_SET, true},
    {"thèmes", C_LABELS, "offer.themes", LABELS_THEME, true},
    {"formats", C_LABELS, "offer.formats", LABELS_FORMAT, true},
    {"périmètre", C_LABELS, "offer.scope", LABELS_SCOPE, true},
    {"courriel", C_STR, "organisation.public_contact.email", S_NO_SET, true},
    {"téléphone", C_STR, "organisation.public_contact.phone", S_NO_SET, false},
    {"site web", C_STR, "organisation.website", S_NO_SET, false},
    {"présentation", C_STR, "offer.description", S_NO_SET, false},
    {"approuvé le", C_APPROVED, "approved_at", S_NO_SET, true},
    {"publié le", C_APPROVED, "approved_at", S_NO_SET, false},
    {"conseiller", C_STR, "advisor", S_NO_SET, false},
    {"RNA", C_STR, "organisation.rna", S_NO_SET, false},
    {"créée le", C_STR, "organisation.created", S_NO_SET, false},
    {"ESUS préfecture", C_STR, "organisation.esus.prefecture", S_NO_SET, false},
    {"ESUS accordé le", C_STR, "organisation.esus.granted", S_NO_SET, false},
    {"ESUS expire le", C_STR, "organisation.esus.expires", S_NO_SET, false},
    {"NDA", C_STR, "organisation.nda", S_NO_SET, false},
    {"Qualiopi expire le", C_STR, "organisation.qualiopi.expires", S_NO_SET, false},
    {"contact nom", C_STR, "organisation.private_contact.name", S_NO_SET, true},
    {"contact courriel", C_STR, "organisation.private_contact.email", S_NO_SET, true},
    {"contact téléphone", C_STR, "organisation.private_contact.phone", S_NO_SET, false},
    {"finalité", C_STR, "principles.purpose", S_NO_SET, false},
    {"gouvernance", C_STR, "principles.governance", S_NO_SET, false},
    {"excédents", C_STR, "principles.surplus", S_NO_SET, false},
    {"espace privé", C_BOOL, "offer.private_area", S_NO_SET, false},
    {"personnes formées", C_TRAINED, "trained_people", S_NO_SET, false},
    {"engagements", C_COMMITMENTS, "commitments", S_NO_SET, false},
    {"liens organisations", C_LIST, "ties.organisations", S_NO_SET, false},
    {"réseaux", C_LIST, "ties.networks", S_NO_SET, false},
};
#define S_COLUMNS (sizeof s_columns / sizeof *s_columns)

/*  The columns of reference N: "référence N : client"... */
static const column_t s_ref_columns[] = {
    {"client", C_REF_STR, "client", S_NO_SET, false},
    {"ESS", C_REF_BOOL, "client_is_ess", S_NO_SET, false},
    {"SIREN", C_REF_STR, "client_siren", S_NO_SET, false},
    {"année", C_REF_YEAR, "year", S_NO_SET, false},
    {"nature", C_REF_LABEL, "kind", LABELS_FORMAT, false},
    {"thèmes", C_REF_LIST, "ci_topics", S_NO_SET, false},
    {"résumé", C_REF_STR, "summary", S_NO_SET, false},
};
#define S_REF_COLUMNS (sizeof s_ref_columns / sizeof *s_ref_columns)
#define S_REF_BASE 1000                /* kind index of s_ref_columns[i]: S_REF_BASE + i */

_Static_assert(S_COLUMNS + S_REFS_MAX * S_REF_COLUMNS <= IMPORT_CELLS_MAX,
               "a file with every documented column must fit in IMPORT_CELLS_MAX cells");

static const char *const s_commitments[] = {
    "contract_before_action", "within_competence", "confidentiality", "non_discrimination",
    "conflict_disclosure", "tax_compliance", "regulatory_watch", "intellectual_property",
    "fair_competition", "charter_on_request", NULL};

/* ----------------------------------------------------------------- reader */

/*  White space around a cell.  Not strchr(" \t\r\n", c): that finds the
 *  terminator for c == '\0', and a NUL byte would be trimmed unseen. */
static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void import_reader_init(import_reader_t *r, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    r->text = text;
    r->len = len;
    r->line = 1;
    r->sep = ',';
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

/*  Ends the cell buf[start..used) of the record being read. */
static void s_end_cell(import_cells_t *cells, size_t start, size_t used, bool *too_many)
{
    if (cells->count < IMPORT_CELLS_MAX) {
        cells->cell[cells->count] = cells->buf + start;
        cells->cell_len[cells->count++] = used - start;
    } else {
        *too_many = true;
    }
}

/*  Whether every cell is empty or blank: a blank line, or a row of bare
 *  separators such as Excel leaves below a table (« ,,,, »). */
static bool s_all_empty(const import_cells_t *cells)
{
    for (size_t i = 0; i < cells->count; i++)
        for (size_t j = 0; j < cells->cell_len[i]; j++)
            if (!s_space(cells->cell[i][j]))
                return false;
    return true;
}

/*  A quote that does not end where RFC 4180 says (never closed, or
 *  closed then followed by text): the record's extent is unknown, so
 *  reading goes on at the line after the one it began on.  Every later
 *  line is read again and counted, none is swallowed into this row. */
static int s_quote_fault(import_reader_t *r, size_t begin, unsigned first, const import_cells_t *cells,
                         char after, proto_error_t *err)
{
    const char *nl = memchr(r->text + begin, '\n', r->len - begin);
    r->pos = nl ? (size_t)(nl - r->text) + 1 : r->len;
    r->line = first + 1;
    char what[32] = "du texte";
    if (after > ' ' && after < 0x7f)
        snprintf(what, sizeof what, "« %c »", after);
    if (after)
        return proto_error_set(err, "", "quote", "cellule %zu : après le guillemet fermant vient %s ; seuls le "
                               "séparateur ou la fin de ligne peuvent suivre (un guillemet dans une valeur s'écrit "
                               "\"\") ; ligne refusée, la lecture reprend ligne %u",
                               cells->count + 1, what, first + 1);
    return proto_error_set(err, "", "quote", "cellule %zu : guillemet ouvert jamais refermé ; ligne refusée, "
                           "la lecture reprend ligne %u", cells->count + 1, first + 1);
}

/*  Whether c, just after a closing quote, may stand there: a separator,
 *  or the end of the line (\n, \r\n, the end of the file). */
static bool s_may_follow_quote(const import_reader_t *r, char c)
{
    if (c == r->sep || c == '\n')
        return true;
    return c == '\r' && (r->pos >= r->len || r->text[r->pos] == '\n');
}

/*  One record from r->pos into cells: 1, 0 when it is blank (skipped by
 *  the caller), -1 with err.  Always moves past the record. */
static int s_record(import_reader_t *r, import_cells_t *cells, unsigned first, proto_error_t *err)
{
    size_t begin = r->pos, used = 0, start = 0;
    bool quoted = false, was_quoted = false, closed = false, too_long = false, too_many = false, ended = false;
    cells->count = 0;
    while (r->pos < r->len && !ended) {
        char c = r->text[r->pos++];
        if (c == '\n')
            r->line++;
        if (quoted) {
            if (c == '"' && r->pos < r->len && r->text[r->pos] == '"')
                r->pos++;
            else if (c == '"') {
                quoted = false;
                closed = true;
                continue;
            }
        } else if (closed && !s_may_follow_quote(r, c)) {
            return s_quote_fault(r, begin, first, cells, c, err);
        } else if (c == '"' && used == start && !was_quoted) {
            quoted = was_quoted = true;
            continue;
        } else if (c == r->sep || c == '\n') {
            if (c == '\n' && used > start && cells->buf[used - 1] == '\r' && !was_quoted)
                used--;
            s_end_cell(cells, start, used, &too_many);
            start = used;
            was_quoted = closed = false;
            ended = c == '\n';
            continue;
        } else if (c == '\r' && closed) {
            continue;
        }
        if (used < sizeof cells->buf)
            cells->buf[used++] = c;
        else if (quoted)
            /* 64 KiB inside quotes is an open quote, not a long line */
            return s_quote_fault(r, begin, first, cells, '\0', err);
        else
            too_long = true;
    }
    if (quoted)
        return s_quote_fault(r, begin, first, cells, '\0', err);
    if (!ended)
        s_end_cell(cells, start, used, &too_many);
    if (too_long)
        return proto_error_set(err, "", "too_long", "ligne de plus de %u octets", IMPORT_RECORD_MAX);
    if (too_many)
        return proto_error_set(err, "", "cells", "plus de %d colonnes", IMPORT_CELLS_MAX);
    return s_all_empty(cells) ? 0 : 1;
}

int import_csv_next(import_reader_t *r, import_cells_t *cells, unsigned *line, proto_error_t *err)
{
    int rc = 0;
    while (rc == 0 && r->pos < r->len) {
        *line = r->line;
        rc = s_record(r, cells, *line, err);
    }
    return rc;
}

int import_jsonl_next(import_reader_t *r, const char **text, size_t *len, unsigned *line, proto_error_t *err)
{
    while (r->pos < r->len) {
        const char *start = r->text + r->pos;
        const char *end = memchr(start, '\n', r->len - r->pos);
        size_t n = end ? (size_t)(end - start) : r->len - r->pos;
        r->pos += n + (end != NULL);
        *line = r->line++;
        size_t blank = 0;
        while (blank < n && start[blank] != '\n' && s_space(start[blank]))
            blank++;
        if (blank == n)
            continue;
        if (n > IMPORT_RECORD_MAX)
            return proto_error_set(err, "", "too_long", "ligne de plus de %u octets", IMPORT_RECORD_MAX);
        *text = start;
        *len = n;
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- columns */

static bool s_heading_is(const char *folded, const char *heading)
{
    char mine[128];
    text_fold(heading, strlen(heading), mine, sizeof mine);
    return strcmp(folded, mine) == 0;
}

/*  "référence N : X" (folded "reference N X"): the reference's index and
 *  its column, or -1. */
static int s_ref_column(const char *folded, int *ref)
{
    if (strncmp(folded, "reference ", 10) != 0 || folded[10] < '1' || folded[10] > '9' || folded[11] != ' ')
        return -1;
    *ref = folded[10] - '1';
    for (size_t i = 0; i < S_REF_COLUMNS; i++)
        if (s_heading_is(folded + 12, s_ref_columns[i].heading))
            return (int)i;
    return -1;
}

static int s_column_kind(const char *folded, int *ref)
{
    for (size_t i = 0; i < S_COLUMNS; i++)
        if (s_heading_is(folded, s_columns[i].heading))
            return (int)i;
    int sub = s_ref_column(folded, ref);
    return sub < 0 ? -1 : S_REF_BASE + sub;
}

static bool s_has(const import_columns_t *columns, const char *path)
{
    for (size_t i = 0; i < columns->count; i++)
        if (columns->kind[i] >= 0 && columns->kind[i] < S_REF_BASE && s_columns[columns->kind[i]].path
            && strcmp(s_columns[columns->kind[i]].path, path) == 0)
            return true;
    return false;
}

static bool s_is_utf8(const char *text, size_t len)
{
    json_t *probe = json_stringn(text, len);
    json_decref(probe);
    return probe != NULL;
}

/*  A heading that is not UTF-8: the whole file is in another encoding
 *  (Excel's plain « CSV » is Windows-1252), which staff fix by saving it
 *  again, not column by column.  The heading is shown with '?' for the
 *  bytes that cannot be printed. */
static int s_not_utf8(char *heading, proto_error_t *err)
{
    for (char *c = heading; *c; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    return proto_error_set(err, heading, "utf8", "le fichier n'est pas en UTF-8 (en-tête « %s ») : "
                           "enregistrez-le en UTF-8 (dans Excel : « CSV UTF-8 »), puis importez-le de nouveau",
                           heading);
}

static void s_skip_blank_lines(import_reader_t *r)
{
    for (size_t at = r->pos; at < r->len && s_space(r->text[at]); at++)
        if (r->text[at] == '\n') {
            r->pos = at + 1;
            r->line++;
        }
}

int import_csv_columns(import_reader_t *r, import_columns_t *columns, proto_error_t *err)
{
    static import_cells_t cells;
    unsigned line;
    /* The header says which separator the file uses: its own line, below
     * any blank ones (which import_csv_next skips too). */
    s_skip_blank_lines(r);
    const char *nl = memchr(r->text + r->pos, '\n', r->len - r->pos);
    size_t first = nl ? (size_t)(nl - (r->text + r->pos)) : r->len - r->pos;
    if (!memchr(r->text + r->pos, ',', first) && memchr(r->text + r->pos, ';', first))
        r->sep = ';';
    int rc = import_csv_next(r, &cells, &line, err);
    if (rc <= 0)
        return rc < 0 ? -1 : proto_error_set(err, "", "empty", "le fichier est vide : il faut une ligne d'en-têtes");
    memset(columns, 0, sizeof *columns);
    columns->count = cells.count;
    for (size_t i = 0; i < cells.count; i++) {
        char folded[128];
        snprintf(columns->heading[i], sizeof columns->heading[i], "%.*s",
                 (int)proto_utf8_prefix(cells.cell[i], cells.cell_len[i], 63), cells.cell[i]);
        text_fold(cells.cell[i], cells.cell_len[i], folded, sizeof folded);
        columns->kind[i] = s_column_kind(folded, &columns->ref[i]);
        if (columns->kind[i] < 0 && !s_is_utf8(cells.cell[i], cells.cell_len[i]))
            return s_not_utf8(columns->heading[i], err);
        if (columns->kind[i] < 0)
            return proto_error_set(err, columns->heading[i], "unknown_column",
                                   "colonne inconnue « %s » (proto/README.md donne la liste des colonnes)",
                                   columns->heading[i]);
        for (size_t j = 0; j < i; j++)
            if (columns->kind[j] == columns->kind[i] && columns->ref[j] == columns->ref[i])
                return proto_error_set(err, columns->heading[i], "duplicate_column", "colonne « %s » en double",
                                       columns->heading[i]);
    }
    for (size_t k = 0; k < S_COLUMNS; k++)
        if (s_columns[k].required && !s_has(columns, s_columns[k].path))
            return proto_error_set(err, s_columns[k].heading, "missing_column", "colonne « %s » manquante",
                                   s_columns[k].heading);
    return 0;
}

/* -------------------------------------------------------------------- row */

static void s_trim(const char **text, size_t *len)
{
    while (*len && s_space(**text)) {
        (*text)++;
        (*len)--;
    }
    while (*len && s_space((*text)[*len - 1]))
        (*len)--;
}

/*  Sets obj's value at a dotted path, making the maps on the way. */
static void s_set_path(json_t *obj, const char *path, json_t *value)
{
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        json_t *next = json_object_get(obj, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(obj, key, next);
        }
        obj = next;
        path = dot + 1;
    }
    json_object_set_new(obj, path, value);
}

/*  The code of a value given as its code or as its French label. */
static json_t *s_code(int set, const char *text, size_t len)
{
    if (set == S_NO_SET || labels_find((labels_set_t)set, text, len))
        return json_stringn(text, len);
    char folded[256], label[256];
    text_fold(text, len, folded, sizeof folded);
    size_t count;
    const label_t *table = labels_table((labels_set_t)set, &count);
    for (size_t i = 0; i < count; i++) {
        text_fold(table[i].label, strlen(table[i].label), label, sizeof label);
        if (strcmp(folded, label) == 0)
            return json_string(table[i].code);
    }
    return json_stringn(text, len);
}

/*  A list of "a; b; c", each item trimmed, coded when set says so. */
static json_t *s_list(int set, const char *text, size_t len)
{
    json_t *list = json_array();
    while (len) {
        const char *semi = memchr(text, ';', len);
        size_t n = semi ? (size_t)(semi - text) : len;
        const char *item = text;
        size_t item_len = n;
        s_trim(&item, &item_len);
        if (item_len) {
            json_t *value = s_code(set, item, item_len);
            if (!value) {
                json_decref(list);
                return NULL;
            }
            json_array_append_new(list, value);
        }
        text += n + (semi != NULL);
        len -= n + (semi != NULL);
    }
    return list;
}

static int s_bool(const char *text, size_t len, bool *out)
{
    char folded[16];
    text_fold(text, len, folded, sizeof folded);
    *out = !strcmp(folded, "oui") || !strcmp(folded, "vrai") || !strcmp(folded, "true") || !strcmp(folded, "1");
    return *out || !strcmp(folded, "non") || !strcmp(folded, "faux") || !strcmp(folded, "false")
                   || !strcmp(folded, "0") ? 0 : -1;
}

/*  "AAAA-MM-JJ" or "JJ/MM/AAAA". */
static int s_date(const char *text, size_t len, int32_t *day)
{
    int d, m, y, n = 0;
    char buf[16];
    if (len == 10 && text[2] == '/' && text[5] == '/') {
        snprintf(buf, sizeof buf, "%.*s", (int)len, text);
        if (sscanf(buf, "%2d/%2d/%4d%n", &d, &m, &y, &n) != 3 || n != 10)
            return -1;
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        return date_parse(buf, 10, day);
    }
    return date_parse(text, len, day);
}

/*  {"name", "session_date"}, or NULL when either is not UTF-8 (jansson
 *  refuses it: a NULL set as a value would drop the field unseen). */
static json_t *s_person(const char *name, size_t name_len, const char *date, size_t date_len)
{
    json_t *n = json_stringn(name, name_len), *d = json_stringn(date, date_len);
    if (!n || !d) {
        json_decref(n);
        json_decref(d);
        return NULL;
    }
    json_t *person = json_object();
    json_object_set_new(person, "name", n);
    json_object_set_new(person, "session_date", d);
    return person;
}

/*  "Nom (AAAA-MM-JJ); Nom (AAAA-MM-JJ)". */
static json_t *s_trained(const char *text, size_t len, proto_error_t *err)
{
    json_t *list = json_array();
    for (size_t i = 0; len; i++) {
        const char *semi = memchr(text, ';', len);
        size_t n = semi ? (size_t)(semi - text) : len;
        const char *item = text;
        size_t item_len = n;
        s_trim(&item, &item_len);
        const char *open = item_len ? memchr(item, '(', item_len) : NULL;
        if (item_len && (!open || item[item_len - 1] != ')')) {
            json_decref(list);
            proto_error_set(err, "", "format", "« Nom (AAAA-MM-JJ) » attendu, séparés par « ; »");
            snprintf(err->field, sizeof err->field, "trained_people[%zu]", i);
            return NULL;
        }
        if (item_len) {
            const char *name = item, *date = open + 1;
            size_t name_len = (size_t)(open - item), date_len = item_len - (size_t)(date - item) - 1;
            s_trim(&name, &name_len);
            s_trim(&date, &date_len);
            json_t *person = s_person(name, name_len, date, date_len);
            if (!person) {
                json_decref(list);
                proto_error_set(err, "", "utf8", "texte illisible : ce n'est pas de l'UTF-8 valide");
                snprintf(err->field, sizeof err->field, "trained_people[%zu].name", i);
                return NULL;
            }
            json_array_append_new(list, person);
        }
        text += n + (semi != NULL);
        len -= n + (semi != NULL);
    }
    return list;
}

/*  "tous", or the codes of the commitments made, separated by « ; ». */
static json_t *s_commitments_of(const char *text, size_t len, proto_error_t *err)
{
    char folded[32];
    text_fold(text, len, folded, sizeof folded);
    bool all = strcmp(folded, "tous") == 0;
    json_t *given = all ? NULL : s_list(S_NO_SET, text, len);
    if (!all && !given) {
        proto_error_set(err, "commitments", "utf8", "texte illisible : ce n'est pas de l'UTF-8 valide");
        return NULL;
    }
    json_t *map = json_object();
    for (size_t i = 0; s_commitments[i]; i++) {
        bool made = !given;
        for (size_t j = 0; given && j < json_array_size(given); j++)
            made = made || strcmp(json_string_value(json_array_get(given, j)), s_commitments[i]) == 0;
        json_object_set_new(map, s_commitments[i], json_boolean(made));
    }
    for (size_t j = 0; given && j < json_array_size(given); j++) {
        if (!json_object_get(map, json_string_value(json_array_get(given, j)))) {
            proto_error_set(err, "commitments", "enum", "engagement inconnu « %s » : « tous » ou les codes de "
                            "proto/README.md, séparés par « ; »", json_string_value(json_array_get(given, j)));
            proto_utf8_trim(err->message);
            json_decref(given);
            json_decref(map);
            return NULL;
        }
    }
    json_decref(given);
    return map;
}

/*  The value of one non-empty cell of column c, or NULL with err. */
static json_t *s_value(const column_t *c, const char *text, size_t len, proto_error_t *err)
{
    json_t *value = NULL;
    bool flag;
    if (memchr(text, '\0', len)) {
        proto_error_set(err, c->path, "control", "la cellule contient un octet nul, invisible : le fichier est "
                        "abîmé ou n'est pas un CSV texte");
        return NULL;
    }
    switch (c->kind) {
    case C_STR: case C_REF_STR: case C_LABEL: case C_REF_LABEL:
        value = s_code(c->set, text, len);
        break;
    case C_LIST: case C_LABELS: case C_REF_LIST:
        value = s_list(c->set, text, len);
        break;
    case C_BOOL: case C_REF_BOOL:
        if (s_bool(text, len, &flag) == 0)
            return json_boolean(flag);
        proto_error_set(err, c->path, "boolean", "« oui » ou « non » attendu");
        return NULL;
    case C_REF_YEAR: {
        char buf[8];
        int year, n = 0;
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 7 ? len : 7), text);
        if (len <= 4 && sscanf(buf, "%4d%n", &year, &n) == 1 && (size_t)n == len)
            return json_integer(year);
        proto_error_set(err, c->path, "integer", "une année attendue (AAAA)");
        return NULL;
    }
    case C_TRAINED:
        return s_trained(text, len, err);
    case C_COMMITMENTS:
        return s_commitments_of(text, len, err);
    }
    if (!value)
        proto_error_set(err, c->path, "utf8", "texte illisible : ce n'est pas de l'UTF-8 valide");
    return value;
}

static const column_t *s_column_of(const import_columns_t *columns, size_t i)
{
    int kind = columns->kind[i];
    return kind >= S_REF_BASE ? &s_ref_columns[kind - S_REF_BASE] : &s_columns[kind];
}

/*  The application packed by json_codec (the one mapping); releases it. */
static int s_pack(json_t *application, msgpack_sbuffer *out, proto_error_t *err)
{
    int rc = json_codec_value_to_msgpack(application, out, err);
    json_decref(application);
    return rc;
}

int import_row_from_csv(const import_columns_t *columns, const import_cells_t *cells, msgpack_sbuffer *out,
                        int32_t *approved_day, proto_error_t *err)
{
    if (cells->count != columns->count)
        return proto_error_set(err, "", "cells", "%zu cellules pour %zu colonnes", cells->count, columns->count);
    json_t *application = json_object(), *refs[S_REFS_MAX] = {0};
    bool dated = false;
    for (size_t i = 0; i < cells->count; i++) {
        const column_t *c = s_column_of(columns, i);
        const char *text = cells->cell[i];
        size_t len = cells->cell_len[i];
        s_trim(&text, &len);
        if (!len || c->kind == C_IGNORED)
            continue;
        if (c->kind == C_APPROVED) {
            if (s_date(text, len, approved_day) != 0) {
                json_decref(application);
                for (int r = 0; r < S_REFS_MAX; r++)
                    json_decref(refs[r]);
                return proto_error_set(err, "approved_at", "date", "date d'approbation attendue (AAAA-MM-JJ "
                                       "ou JJ/MM/AAAA)");
            }
            dated = true;
            continue;
        }
        json_t *value = s_value(c, text, len, err);
        if (!value) {
            if (c->kind >= C_REF_STR) {
                char field[PROTO_FIELD_MAX];
                snprintf(field, sizeof field, "references[%d].%s", columns->ref[i], c->path);
                memcpy(err->field, field, sizeof field);
            }
            json_decref(application);
            for (int r = 0; r < S_REFS_MAX; r++)
                json_decref(refs[r]);
            return -1;
        }
        if (c->kind >= C_REF_STR) {
            json_t **ref = &refs[columns->ref[i]];
            if (!*ref)
                *ref = json_object();
            json_object_set_new(*ref, c->path, value);
        } else {
            s_set_path(application, c->path, value);
        }
    }
    json_t *list = json_array();
    for (int r = 0; r < S_REFS_MAX; r++)
        if (refs[r])
            json_array_append_new(list, refs[r]);
    json_object_set_new(application, "references", list);
    if (!dated) {
        json_decref(application);
        return proto_error_set(err, "approved_at", "required", "la date d'approbation manque");
    }
    return s_pack(application, out, err);
}

unsigned import_row_refs(const import_columns_t *columns, const import_cells_t *cells)
{
    unsigned refs = 0;
    for (size_t i = 0; i < cells->count && i < columns->count; i++) {
        const char *text = cells->cell[i];
        size_t len = cells->cell_len[i];
        s_trim(&text, &len);
        if (len && s_column_of(columns, i)->kind >= C_REF_STR)
            refs |= 1u << columns->ref[i];
    }
    return refs;
}

int import_ref_of(unsigned refs, int k)
{
    for (int n = 0, seen = 0; n < S_REFS_MAX; n++)
        if (refs & (1u << n) && seen++ == k)
            return n;
    return k;
}

int import_row_from_json(const char *text, size_t len, msgpack_sbuffer *out, int32_t *approved_day,
                         proto_error_t *err)
{
    json_error_t jerr;
    json_t *row = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!row)
        return proto_error_set(err, "", strstr(jerr.text, "UTF-8") || strstr(jerr.text, "decode") ? "utf8"
                                                                                                  : "json_syntax",
                               "JSON illisible, colonne %d : %s", jerr.column, jerr.text);
    json_t *approved = json_object_get(row, "approved_at");
    json_t *application = json_object_get(row, "application");
    int rc = 0;
    if (!json_is_string(approved)
        || s_date(json_string_value(approved), json_string_length(approved), approved_day) != 0)
        rc = proto_error_set(err, "approved_at", approved ? "date" : "required",
                             "« approved_at » : la date d'approbation (AAAA-MM-JJ)");
    else if (!json_is_object(application))
        rc = proto_error_set(err, "application", "required", "« application » : un objet, la candidature");
    if (rc == 0) {
        json_incref(application);
        rc = s_pack(application, out, err);
    }
    json_decref(row);
    return rc;
}

/* ------------------------------------------------------------ for people */

void import_column_of(const char *field, char *out, size_t cap)
{
    int ref;
    char key[64];
    out[0] = '\0';
    if (sscanf(field, "references[%d].%63s", &ref, key) == 2 && ref >= 0 && ref < S_REFS_MAX) {
        for (size_t i = 0; i < S_REF_COLUMNS; i++)
            if (strcmp(s_ref_columns[i].path, key) == 0)
                snprintf(out, cap, "référence %d : %s", ref + 1, s_ref_columns[i].heading);
        return;
    }
    size_t best = 0;
    for (size_t i = 0; i < S_COLUMNS; i++) {
        const char *path = s_columns[i].path;
        size_t n = path ? strlen(path) : 0;
        /* the column of the field, or of the list or map it is in */
        if (n > best && strncmp(field, path, n) == 0 && strchr(".[", field[n]) && s_columns[i].kind != C_IGNORED) {
            snprintf(out, cap, "%s", s_columns[i].heading);
            best = n;
        }
    }
}

const char *import_rule_french(const char *rule)
{
    static const char *const words[][2] = {
        {"required", "ce champ est obligatoire"},
        {"type", "la valeur n'est pas du type attendu"},
        {"pattern", "la valeur n'a pas la forme attendue"},
        {"format", "la valeur n'a pas la forme attendue (une date : AAAA-MM-JJ)"},
        {"enum", "cette valeur n'est pas dans la liste des valeurs admises"},
        {"minLength", "la valeur est trop courte"},
        {"maxLength", "la valeur est trop longue"},
        {"minItems", "il faut au moins un élément"},
        {"maxItems", "il y a trop d'éléments"},
        {"uniqueItems", "un élément est répété"},
        {"minimum", "la valeur est trop petite"},
        {"maximum", "la valeur est trop grande"},
        {"additionalProperties", "ce champ n'existe pas dans le formulaire"},
        {"utf8", "le texte n'est pas de l'UTF-8 valide"},
        {"control", "la valeur contient un caractère invisible, ou un retour à la ligne là où une seule ligne "
                    "est attendue"},
        {"siret", "ce numéro SIRET n'est pas valide (clé de contrôle)"},
        {"siren", "ce numéro SIREN n'est pas valide (clé de contrôle)"},
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(rule, words[i][0]) == 0)
            return words[i][1];
    return "la valeur ne respecte pas cette règle";
}
