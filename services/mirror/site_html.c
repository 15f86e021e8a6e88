/*  services/mirror/site_html.c - see site_write.h: files written whole
 *  then renamed, and the pieces of HTML every page shares.
 */
#include "site_write.h"

#include "mirror.h"
#include "common/config.h"
#include "common/html.h"
#include "common/log.h"
#include "proto/date.h"
#include "proto/directory.h"
#include "proto/doc.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

FILE *site_open(out_file_t *out, const char *dir, const char *name)
{
    int a = snprintf(out->path, sizeof out->path, "%s/%s", dir, name);
    int b = snprintf(out->tmp, sizeof out->tmp, "%s/.%s.tmp", dir, name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof out->path || (size_t)b >= sizeof out->tmp) {
        log_error("path too long: %s/%s", dir, name);
        out->file = NULL;
        return NULL;
    }
    out->file = fopen(out->tmp, "w");
    if (!out->file)
        log_error("cannot write %s: %s", out->tmp, strerror(errno));
    return out->file;
}

int site_close(out_file_t *out)
{
    int failed = ferror(out->file);
    failed |= fclose(out->file) != 0;
    if (!failed && rename(out->tmp, out->path) == 0)
        return 0;
    log_error("cannot write %s: %s", out->path, strerror(errno));
    unlink(out->tmp);
    return -1;
}

/*  Removes dir's .*.tmp files (site_open's names). */
static int s_remove_tmp_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || e->d_name[0] != '.' || strcmp(e->d_name + len - 4, ".tmp") != 0)
            continue;
        char path[CONFIG_PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno != ENOENT) {
            log_error("cannot remove %s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int site_remove_leftovers(const char *out_dir)
{
    char pages[CONFIG_PATH_MAX + 32];
    snprintf(pages, sizeof pages, "%s/" SITE_PAGES_DIR, out_dir);
    return s_remove_tmp_in(out_dir) | s_remove_tmp_in(pages);
}

int site_write_asset(const char *out_dir, const char *name, const unsigned char *text)
{
    out_file_t out;
    FILE *f = site_open(&out, out_dir, name);
    if (!f)
        return -1;
    fputs((const char *)text, f);
    return site_close(&out);
}

static bool s_html_control(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

void site_html_escape(FILE *f, const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (!s_html_control((unsigned char)text[i]))
            continue;
        html_escape(f, text + run, i - run);
        run = i + 1;
    }
    html_escape(f, text + run, len - run);
}

bool site_esc_at(FILE *f, const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return false;
    site_html_escape(f, value->via.str.ptr, value->via.str.size);
    return true;
}

/*  The length of the UTF-8 character at s when XML 1.0 allows it, else 0. */
static size_t s_xml_char(const unsigned char *s, size_t left)
{
    unsigned lead = s[0];
    if (lead < 0x80)
        return lead >= 0x20 || lead == '\t' || lead == '\n' || lead == '\r';
    size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (!n || n > left || lead > 0xF4)
        return 0;
    uint32_t code = lead & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        code = code << 6 | (s[i] & 0x3Fu);
    }
    bool overlong = (n == 3 && code < 0x800) || (n == 4 && code < 0x10000);
    bool excluded = (code >= 0xD800 && code <= 0xDFFF) || code == 0xFFFE || code == 0xFFFF || code > 0x10FFFF;
    return overlong || excluded ? 0 : n;
}

void site_xml_escape(FILE *f, const char *text, size_t len)
{
    size_t run = 0, i = 0;
    while (i < len) {
        size_t n = s_xml_char((const unsigned char *)text + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        html_escape(f, text + run, i - run);
        run = ++i;
    }
    html_escape(f, text + run, len - run);
}

bool site_xml_at(FILE *f, const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return false;
    site_xml_escape(f, value->via.str.ptr, value->via.str.size);
    return true;
}

bool site_has_str(const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    return value && value->type == MSGPACK_OBJECT_STR && value->via.str.size > 0;
}

const char *site_label_at(const msgpack_object *map, const char *path, directory_kind_t kind)
{
    const msgpack_object *value = doc_path(map, path);
    if (!value || value->type != MSGPACK_OBJECT_STR)
        return NULL;
    return directory_label(kind, value->via.str.ptr, value->via.str.size);
}

/*  "26 novembre 2026" for a YYYY-MM-DD date or a day number. */
void site_french_date(int32_t days, char *out, size_t cap)
{
    if (date_french_day(days, out, cap) < 0 && cap)
        out[0] = '\0';
}

/*  A <time> element for a date string at path; false when absent. */
bool site_time_at(FILE *f, const msgpack_object *map, const char *path)
{
    const msgpack_object *value = doc_path(map, path);
    int32_t days;
    if (!value || value->type != MSGPACK_OBJECT_STR
        || date_parse(value->via.str.ptr, value->via.str.size, &days) != 0)
        return false;
    char text[40], iso[11];
    site_french_date(days, text, sizeof text);
    date_format(days, iso);
    fprintf(f, "<time datetime=\"%s\">%s</time>", iso, text);
    return true;
}

void site_rfc3339(uint64_t at, char out[32])
{
    time_t t = (time_t)at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*  "Maine-et-Loire (49)" */
void site_department(FILE *f, const char *code, size_t len)
{
    const char *name = directory_label(DIRECTORY_DEPARTMENT, code, len);
    if (name) {
        html_escape_z(f, name);
        fputs(" (", f);
        site_html_escape(f, code, len);
        fputc(')', f);
    } else {
        site_html_escape(f, code, len);
    }
}

/*  The labels of a coded array, as an inline list "A, B" or as <li>s. */
void site_labels(FILE *f, const msgpack_object *array, directory_kind_t kind, bool items)
{
    for (size_t i = 0; i < doc_len(array); i++) {
        const msgpack_object *code = doc_at(array, i);
        if (code->type != MSGPACK_OBJECT_STR)
            continue;
        fputs(items ? "<li>" : i ? ", " : "", f);
        if (kind == DIRECTORY_DEPARTMENT) {
            site_department(f, code->via.str.ptr, code->via.str.size);
        } else {
            const char *label = directory_label(kind, code->via.str.ptr, code->via.str.size);
            if (label)
                html_escape_z(f, label);
            else
                site_html_escape(f, code->via.str.ptr, code->via.str.size);
        }
        if (items)
            fputs("</li>", f);
    }
}

void site_head(FILE *f, const char *title, const char *root)
{
    fputs("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    site_html_escape(f, title, strlen(title));   /* it holds the entry's name */
    fprintf(f, "</title>\n<link rel=\"stylesheet\" href=\"%sstyle.css\">\n"
               "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"" T_FEED_LINK_TITLE "\" "
               "href=\"%sannuaire.atom\">\n"
               "</head>\n<body>\n<a class=\"evitement\" href=\"#contenu\">" T_SKIP_LINK "</a>\n"
               "<header class=\"bandeau\"><p class=\"site\"><a href=\"%sindex.html\">" SITE_TITLE "</a></p></header>\n"
               "<main id=\"contenu\" tabindex=\"-1\">\n",
            root, root, root);
}

/*  The footer: who keeps the directory, the charter its advisors commit
 *  to, how to apply, and the open data. */
void site_foot(FILE *f, const char *root, const site_options_t *options)
{
    const char *pub = options->public_url ? options->public_url : "";
    char charter[CONFIG_PATH_MAX + 16];
    snprintf(charter, sizeof charter, "%scharte", pub);
    fputs("</main>\n<footer class=\"pied\">\n<p>" T_FOOT_WHO "</p>\n<p>", f);
    fprintf(f, T_FOOT_CHARTER, charter);
    fputs("</p>\n<p>", f);
    fprintf(f, T_FOOT_APPLY, pub);
    fputs("</p>\n<p>", f);
    fprintf(f, T_FOOT_DATA, root, root, root);
    fputs("</p>\n</footer>\n</body>\n</html>\n", f);
}
