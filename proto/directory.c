/*  proto/directory.c - see directory.h. */
#include "directory.h"

#include "proto/date.h"
#include "proto/doc.h"
#include "proto/search.h"
#include "proto/text.h"

#include <string.h>

const char *directory_label(directory_kind_t kind, const char *code, size_t len)
{
    return labels_find(kind, code, len);
}

size_t directory_codes(directory_kind_t kind, const char *const **codes)
{
    /* The table holds code/label pairs; hand out the codes as an array. */
    static const char *lists[LABELS_SET_COUNT][128];
    static size_t counts[LABELS_SET_COUNT];
    if (!counts[kind]) {
        size_t n;
        const label_t *table = labels_table(kind, &n);
        for (size_t i = 0; i < n && i < 128; i++)
            lists[kind][i] = table[i].code;
        counts[kind] = n < 128 ? n : 128;
    }
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

bool directory_matches(const directory_filter_t *filter, const msgpack_object *entry)
{
    const msgpack_object *offer = doc_map(entry, "offer");
    if (!s_has(offer, "departments", filter->department) || !s_has(offer, "themes", filter->theme)
        || !s_has(offer, "formats", filter->format) || !s_has(offer, "scope", filter->scope))
        return false;
    if (*filter->legal_form
        && !doc_str_eq(doc_map(entry, "organisation"), "legal_form", filter->legal_form))
        return false;
    return search_entry_matches(filter->q, entry);
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
