/*  services/notify/template.c - see template.h. */
#include "template.h"

#include "common/html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX 48
#define S_DEPTH_MAX 8

/* ---- values ---------------------------------------------------------- */

typedef struct {
    char *name;
    char *value;                 /* a variable, or NULL for a section */
    vars_t **items;              /* a section's items */
    size_t count;
} s_entry_t;

struct vars_t {
    vars_t *parent;
    s_entry_t *entries;
    size_t count;
};

vars_t *vars_new(void)
{
    return calloc(1, sizeof(vars_t));
}

void vars_destroy(vars_t **self_p)
{
    vars_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        for (size_t j = 0; j < e->count; j++)
            vars_destroy(&e->items[j]);
        free(e->items);
        free(e->name);
        free(e->value);
    }
    free(self->entries);
    free(self);
    *self_p = NULL;
}

static s_entry_t *s_entry(vars_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp(self->entries[i].name, name))
            return &self->entries[i];
    s_entry_t *grown = realloc(self->entries, (self->count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    self->entries = grown;
    s_entry_t *e = &grown[self->count];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name)))
        return NULL;
    self->count++;
    return e;
}

int vars_setn(vars_t *self, const char *name, const char *value, size_t len)
{
    s_entry_t *e = s_entry(self, name);
    char *copy = e ? malloc(len + 1) : NULL;
    if (!copy)
        return -1;
    memcpy(copy, value, len);
    copy[len] = 0;
    free(e->value);
    e->value = copy;
    return 0;
}

int vars_set(vars_t *self, const char *name, const char *value)
{
    return vars_setn(self, name, value, strlen(value));
}

int vars_setf(vars_t *self, const char *name, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, format, ap);
    char *text = n < 0 ? NULL : malloc((size_t) n + 1);
    if (text)
        vsnprintf(text, (size_t) n + 1, format, again);
    va_end(again);
    va_end(ap);
    if (!text)
        return -1;
    int rc = vars_setn(self, name, text, (size_t) n);
    free(text);
    return rc;
}

vars_t *vars_add_item(vars_t *self, const char *section)
{
    s_entry_t *e = s_entry(self, section);
    if (!e)
        return NULL;
    vars_t **grown = realloc(e->items, (e->count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    e->items = grown;
    vars_t *item = vars_new();
    if (!item)
        return NULL;
    item->parent = self;
    e->items[e->count++] = item;
    return item;
}

int vars_flag(vars_t *self, const char *section, bool on)
{
    s_entry_t *e = s_entry(self, section);
    if (!e)
        return -1;
    for (size_t j = 0; j < e->count; j++)
        vars_destroy(&e->items[j]);
    e->count = 0;
    return on && !vars_add_item(self, section) ? -1 : 0;
}

/*  The entry of `name` in this scope or an outer one. */
static const s_entry_t *s_lookup(const vars_t *self, const char *name)
{
    for (; self; self = self->parent)
        for (size_t i = 0; i < self->count; i++)
            if (!strcmp(self->entries[i].name, name))
                return &self->entries[i];
    return NULL;
}

const char *vars_get(const vars_t *self, const char *name)
{
    const s_entry_t *e = s_lookup(self, name);
    return e ? e->value : NULL;
}

/* ---- templates ------------------------------------------------------- */

typedef enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED } s_node_kind_t;

typedef struct s_node_t s_node_t;
struct s_node_t {
    s_node_kind_t kind;
    const char *text;            /* N_TEXT: into the template's source */
    size_t len;
    char name[S_NAME_MAX];
    s_node_t *children;          /* sections */
    size_t count;
    int line;
};

typedef struct {
    char *source;
    s_node_t root;
} s_doc_t;

struct template_t {
    char kind[S_NAME_MAX];
    s_doc_t subject, text, html;
};

typedef struct {
    const char *file;
    const char *start, *p, *end;
    int line;
    const template_spec_t *spec;
    char *err;
    size_t cap;
} s_parser_t;

static int s_fail(s_parser_t *ps, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(s_parser_t *ps, const char *format, ...)
{
    char reason[200];
    va_list ap;
    va_start(ap, format);
    vsnprintf(reason, sizeof reason, format, ap);
    va_end(ap);
    snprintf(ps->err, ps->cap, "%s, ligne %d : %s", ps->file, ps->line, reason);
    return -1;
}

static s_node_t *s_push(s_node_t *parent)
{
    s_node_t *grown = realloc(parent->children, (parent->count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    parent->children = grown;
    s_node_t *n = &grown[parent->count++];
    memset(n, 0, sizeof *n);
    return n;
}

static void s_free_nodes(s_node_t *node)
{
    for (size_t i = 0; i < node->count; i++)
        s_free_nodes(&node->children[i]);
    free(node->children);
    node->children = NULL;
    node->count = 0;
}

static bool s_declared(const template_spec_t *spec, const char *name, bool section)
{
    for (const char *const *n = section ? spec->sections : spec->names; *n; n++)
        if (!strcmp(*n, name))
            return true;
    return false;
}

static void s_count_lines(s_parser_t *ps, const char *from, const char *to)
{
    for (const char *q = from; q < to; q++)
        if (*q == '\n')
            ps->line++;
}

static int s_push_text(s_parser_t *ps, s_node_t *parent, const char *from, const char *to)
{
    if (to <= from)
        return 0;
    s_node_t *t = s_push(parent);
    if (!t)
        return s_fail(ps, "%s", "mémoire épuisée");
    *t = (s_node_t){ .kind = N_TEXT, .text = from, .len = (size_t) (to - from), .line = ps->line };
    return 0;
}

/*  A section tag alone on its line takes the whole line with it (as in
 *  Mustache), so that a template can put each tag on a line of its own
 *  without leaving blank lines in the letter.  Sets *line_start and
 *  *next (just after the line's end) when it is. */
static bool s_standalone(const s_parser_t *ps, const char *open, const char *after, const char **line_start,
                         const char **next)
{
    const char *b = open;
    while (b > ps->start && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    if (b > ps->start && b[-1] != '\n')
        return false;
    const char *a = after;
    while (a < ps->end && (*a == ' ' || *a == '\t' || *a == '\r'))
        a++;
    if (a < ps->end && *a != '\n')
        return false;
    *line_start = b;
    *next = a < ps->end ? a + 1 : a;
    return true;
}

/*  Parses until the end, or until {{/closing}} when closing is set. */
static int s_parse(s_parser_t *ps, s_node_t *parent, const char *closing, int depth)
{
    if (depth > S_DEPTH_MAX)
        return s_fail(ps, "sections imbriquées trop profondément (%s)", closing);
    while (ps->p < ps->end) {
        const char *open = strstr(ps->p, "{{");
        if (!open || open >= ps->end) {
            if (s_push_text(ps, parent, ps->p, ps->end))
                return -1;
            s_count_lines(ps, ps->p, ps->end);
            ps->p = ps->end;
            break;
        }
        /* Errors name the tag's line: count up to it first. */
        int line_before = ps->line;
        s_count_lines(ps, ps->p, open);
        const char *close = strstr(open, "}}");
        if (!close || close >= ps->end)
            return s_fail(ps, "%s", "« {{ » sans « }} »");
        char sigil = open[2];
        bool is_section = sigil == '#' || sigil == '^' || sigil == '/';
        const char *name = open + 2 + is_section;
        size_t len = (size_t) (close - name);
        char buf[S_NAME_MAX];
        if (len == 0 || len >= sizeof buf)
            return s_fail(ps, "%s", "nom de variable vide ou trop long");
        memcpy(buf, name, len);
        buf[len] = 0;
        for (size_t i = 0; i < len; i++)
            if (!((buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '_'))
                return s_fail(ps, "nom « %s » : lettres minuscules, chiffres et _ seulement", buf);
        const char *text_end = open, *next = close + 2;
        if (is_section)
            s_standalone(ps, open, close + 2, &text_end, &next);
        ps->line = line_before;
        if (s_push_text(ps, parent, ps->p, text_end))
            return -1;
        s_count_lines(ps, ps->p, next);
        ps->p = next;
        if (sigil == '/') {
            if (!closing || strcmp(closing, buf))
                return s_fail(ps, "« {{/%s}} » ne ferme aucune section ouverte", buf);
            return 0;
        }
        if (!s_declared(ps->spec, buf, is_section))
            return s_fail(ps, is_section ? "« %s » n’est pas une section de ce courrier"
                                         : "« %s » n’est pas une variable de ce courrier", buf);
        s_node_t *n = s_push(parent);
        if (!n)
            return s_fail(ps, "%s", "mémoire épuisée");
        n->kind = sigil == '#' ? N_SECTION : sigil == '^' ? N_INVERTED : N_VAR;
        n->line = ps->line;
        memcpy(n->name, buf, len + 1);
        if (n->kind != N_VAR) {
            s_node_t holder = { 0 };
            int rc = s_parse(ps, &holder, buf, depth + 1);
            /* parent->children may have moved while parsing: find n again. */
            n = &parent->children[parent->count - 1];
            n->children = holder.children;
            n->count = holder.count;
            if (rc)
                return rc;
        }
    }
    if (closing)
        return s_fail(ps, "la section « %s » n’est pas fermée", closing);
    return 0;
}

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    char buf[4096];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, mem);
    bool bad = ferror(f) || !mem;
    fclose(f);
    if (mem)
        fclose(mem);
    if (bad || (text && strlen(text) != size)) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

static int s_parse_doc(s_doc_t *doc, char *source, const char *start, const char *end, const char *file,
                       int line, const template_spec_t *spec, char *err, size_t cap)
{
    doc->source = source;
    s_parser_t ps = { .file = file, .start = start, .p = start, .end = end, .line = line, .spec = spec, .err = err, .cap = cap };
    return s_parse(&ps, &doc->root, NULL, 0);
}

static int s_load_text(template_t *self, const char *dir, const template_spec_t *spec, char *err, size_t cap)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/%s.txt", dir, spec->kind);
    char *source = s_read(path, &len);
    if (!source) {
        snprintf(err, cap, "%s : fichier absent ou illisible", path);
        return -1;
    }
    /* "Objet : ..." on the first line, then an empty line. */
    static const char prefix[] = "Objet : ";
    char *nl = strchr(source, '\n');
    if (strncmp(source, prefix, sizeof prefix - 1) || !nl || nl[1] != '\n') {
        snprintf(err, cap, "%s, ligne 1 : la première ligne doit être « Objet : … », suivie d’une ligne vide",
                 path);
        free(source);
        return -1;
    }
    if (s_parse_doc(&self->subject, NULL, source + sizeof prefix - 1, nl, path, 1, spec, err, cap)
        || s_parse_doc(&self->text, source, nl + 2, source + len, path, 3, spec, err, cap)) {
        if (!self->text.source)
            free(source);
        return -1;
    }
    return 0;
}

template_t *template_load(const char *dir, const template_spec_t *spec, char *err, size_t cap)
{
    template_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, cap, "mémoire épuisée");
        return NULL;
    }
    snprintf(self->kind, sizeof self->kind, "%s", spec->kind);
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/%s.html", dir, spec->kind);
    if (s_load_text(self, dir, spec, err, cap))
        goto fail;
    char *html = s_read(path, &len);
    if (!html) {
        snprintf(err, cap, "%s : fichier absent ou illisible", path);
        goto fail;
    }
    if (s_parse_doc(&self->html, html, html, html + len, path, 1, spec, err, cap))
        goto fail;
    return self;
fail:
    template_destroy(&self);
    return NULL;
}

void template_destroy(template_t **self_p)
{
    template_t *self = *self_p;
    if (!self)
        return;
    s_doc_t *docs[] = { &self->subject, &self->text, &self->html };
    for (size_t i = 0; i < 3; i++) {
        s_free_nodes(&docs[i]->root);
        free(docs[i]->source);
    }
    free(self);
    *self_p = NULL;
}

typedef struct {
    FILE *out;
    bool html;
    const char *kind;
    char *err;
    size_t cap;
} s_render_t;

static int s_render_nodes(s_render_t *r, const s_node_t *parent, const vars_t *scope)
{
    for (size_t i = 0; i < parent->count; i++) {
        const s_node_t *n = &parent->children[i];
        if (n->kind == N_TEXT) {
            fwrite(n->text, 1, n->len, r->out);
            continue;
        }
        const s_entry_t *e = s_lookup(scope, n->name);
        if (n->kind == N_VAR) {
            if (!e || !e->value) {
                snprintf(r->err, r->cap, "%s : la variable « %s » n’a pas de valeur", r->kind, n->name);
                return -1;
            }
            if (r->html)
                html_escape_z(r->out, e->value);
            else
                fputs(e->value, r->out);
            continue;
        }
        if (!e || e->value) {
            snprintf(r->err, r->cap, "%s : la section « %s » n’a pas de valeur", r->kind, n->name);
            return -1;
        }
        if (n->kind == N_INVERTED) {
            if (e->count == 0 && s_render_nodes(r, n, scope))
                return -1;
            continue;
        }
        for (size_t j = 0; j < e->count; j++)
            if (s_render_nodes(r, n, e->items[j]))
                return -1;
    }
    return 0;
}

static int s_render_doc(const template_t *self, const s_doc_t *doc, bool html, const vars_t *vars, char **out,
                        char *err, size_t cap)
{
    size_t len;
    FILE *f = open_memstream(out, &len);
    if (!f) {
        snprintf(err, cap, "mémoire épuisée");
        return -1;
    }
    s_render_t r = { .out = f, .html = html, .kind = self->kind, .err = err, .cap = cap };
    int rc = s_render_nodes(&r, &doc->root, vars);
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, cap, "mémoire épuisée");
        rc = -1;
    }
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int template_render(const template_t *self, const vars_t *vars, char **subject, char **text, char **html,
                    char *err, size_t cap)
{
    *subject = *text = *html = NULL;
    if (s_render_doc(self, &self->subject, false, vars, subject, err, cap)
        || s_render_doc(self, &self->text, false, vars, text, err, cap)
        || s_render_doc(self, &self->html, true, vars, html, err, cap)) {
        free(*subject);
        free(*text);
        free(*html);
        *subject = *text = *html = NULL;
        return -1;
    }
    return 0;
}
