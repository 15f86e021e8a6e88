/*  services/cli/cmd_import.c - essp import FILE.csv|FILE.jsonl [--dry-run]
 *  [--json]: the directory that existed before essp, brought in by the
 *  staff (proto/README.md « Importer l'annuaire existant »).
 *
 *  The file is read whole and every row made into an application
 *  (proto/import_row.h); a row that cannot be read is reported at once
 *  and never sent.  The others go to intake's `import` in batches of at
 *  most IMPORT_ROWS_MAX rows and S_BATCH_BYTES bytes (one transaction
 *  each), which checks each against the schema and the charter before
 *  storing anything (services/intake/import.h).  A batch whose reply was
 *  lost is sent again: a row already stored comes back "already", so an
 *  import killed at any point is completed by running it again.
 *
 *  Output: every row that is not imported is reported in French on
 *  stderr (ligne, champ, colonne, règle); with --json, one JSON object
 *  per row on stdout.  Last, a summary object on stdout, with the time
 *  taken and the rate.  On a terminal, stderr shows a progress bar
 *  (count, rate, time left).  Exit 0 when every row is imported or was
 *  already there, 1 when some row was refused or had ended.
 */
#include "commands.h"

#include "proto/doc.h"
#include "proto/import_row.h"
#include "proto/listing.h"
#include "proto/messages.h"
#include "proto/wire.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <jansson.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_FILE_MAX (512u << 20)          /* bytes of an import file */
#define S_BATCH_BYTES (960u << 10)       /* under intake's PROTO_REQUEST_MAX (1 MiB) */
#define S_DAY 86400
#define S_BATCH_WAIT_MS 15000

#define S_QUEUE_MAX 4                    /* batches read ahead of the one being sent */

/*  Rows ready to send: n maps {line, application, approved_at}, packed. */
typedef struct batch_t {
    msgpack_sbuffer rows;
    msgpack_packer pk;
    size_t n;
    struct batch_t *next;
} batch_t;

/*  The file is read by a thread of its own while the batches it made
 *  are sent: reading and storing overlap.  The lock guards the queue,
 *  the counts and what is printed. */
typedef struct {
    bool json, dry_run, tty;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    batch_t *head, *tail, *filling;
    size_t queued;
    bool read_all;                       /* the reader is done */
    int read_rc;                         /* its exit code */
    bool csv;
    import_reader_t reader;
    size_t expected;                     /* lines of the file: the bar's total until all is read */
    size_t total;                        /* rows read (sent and not) */
    size_t done;                         /* rows with an outcome */
    size_t imported, already, ended, refused;
    double started;
    bool bar_shown;
    zhash_t *seen;                       /* listing key -> its first line (reader thread only) */
    zhash_t *gaps;                       /* line -> import_row_refs, for rows with an empty reference
                                            before a filled one (under the lock) */
} import_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- reporting */

static void s_clear_bar(import_t *self)
{
    if (self->bar_shown)
        fputs("\r\033[K", stderr);
    self->bar_shown = false;
}

/*  The bar: [#####.....] count/total, rows per second, time left. */
static void s_bar(import_t *self)
{
    size_t total = self->read_all ? self->total : self->expected;
    if (!self->tty || !total)
        return;
    double elapsed = s_now() - self->started;
    double rate = elapsed > 0 ? self->done / elapsed : 0;
    double left = rate > 0 && total > self->done ? (total - self->done) / rate : 0;
    char bar[31];
    size_t filled = self->done >= total ? 30 : self->done * 30 / total;
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K[%s] %zu/%zu lignes  %.0f lignes/s  reste %.0f s", bar, self->done, total, rate,
            left);
    fflush(stderr);
    self->bar_shown = true;
}

static void s_count(import_t *self, const char *outcome)
{
    self->done++;
    if (!strcmp(outcome, "imported") || !strcmp(outcome, "would_import"))
        self->imported++;
    else if (!strcmp(outcome, "already"))
        self->already++;
    else if (!strcmp(outcome, "ended"))
        self->ended++;
    else
        self->refused++;
}

/*  A field of intake's "references[k]...", which numbers the filled
 *  references only, as the file's reference (its « référence N »
 *  column); any other field as it is. */
static const char *s_renumber(import_t *self, unsigned line, const char *field, char out[PROTO_FIELD_MAX])
{
    int k, at = 0;
    char key[16];
    if (!field || !self->gaps || sscanf(field, "references[%d]%n", &k, &at) != 1 || at == 0)
        return field;
    snprintf(key, sizeof key, "%u", line);
    uintptr_t refs = (uintptr_t)zhash_lookup(self->gaps, key);
    if (!refs)
        return field;
    snprintf(out, PROTO_FIELD_MAX, "references[%d]%s", import_ref_of((unsigned)refs, k), field + at);
    return out;
}

/*  One row's outcome: counted, said in French when it was not imported,
 *  and one JSON line with --json. */
static void s_report(import_t *self, unsigned line, const char *outcome, const char *id, const char *field,
                     const char *rule, const char *message)
{
    s_count(self, outcome);
    char column[96] = "", renumbered[PROTO_FIELD_MAX];
    field = s_renumber(self, line, field, renumbered);
    if (field && *field)
        import_column_of(field, column, sizeof column);
    if (self->json) {
        json_t *o = json_pack("{s:i, s:s}", "line", (json_int_t)line, "outcome", outcome);
        if (id && *id)
            json_object_set_new(o, "id", json_string(id));
        if (rule && *rule) {
            json_object_set_new(o, "field", json_string(field ? field : ""));
            json_object_set_new(o, "column", json_string(column));
            json_object_set_new(o, "rule", json_string(rule));
            json_object_set_new(o, "message", json_string(message ? message : ""));
        }
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text)
            puts(text);
        free(text);
        json_decref(o);
    }
    if (!rule || !*rule)
        return;
    s_clear_bar(self);
    fprintf(stderr, "ligne %u : ", line);
    if (field && *field)
        fprintf(stderr, "champ « %s »%s%s%s, ", field, *column ? " (colonne « " : "", column, *column ? " »)" : "");
    fprintf(stderr, "règle « %s » : %s\n", rule, message ? message : "");
}

/* ---------------------------------------------------------------- reading */

static batch_t *s_batch_new(void)
{
    batch_t *b = calloc(1, sizeof *b);
    if (b) {
        msgpack_sbuffer_init(&b->rows);
        msgpack_packer_init(&b->pk, &b->rows, msgpack_sbuffer_write);
    }
    return b;
}

static void s_batch_destroy(batch_t *b)
{
    msgpack_sbuffer_destroy(&b->rows);
    free(b);
}

/*  Queues the batch being filled, waiting while S_QUEUE_MAX are. */
static void s_queue(import_t *self)
{
    pthread_mutex_lock(&self->lock);
    while (self->queued >= S_QUEUE_MAX)
        pthread_cond_wait(&self->changed, &self->lock);
    if (self->tail)
        self->tail->next = self->filling;
    else
        self->head = self->filling;
    self->tail = self->filling;
    self->queued++;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    self->filling = NULL;
}

/*  Adds a row to the batch being filled (its application packed in
 *  `app`); queues the batch when it is full. */
static int s_add_row(import_t *self, unsigned line, const msgpack_sbuffer *app, int32_t day)
{
    if (self->filling && (self->filling->n == IMPORT_ROWS_MAX
                          || self->filling->rows.size + app->size > S_BATCH_BYTES))
        s_queue(self);
    if (!self->filling && !(self->filling = s_batch_new()))
        return -1;
    batch_t *b = self->filling;
    msgpack_pack_map(&b->pk, 3);
    proto_pack_kv_uint(&b->pk, "line", line);
    proto_pack_kv_raw(&b->pk, "application", app->data, app->size);
    proto_pack_kv_uint(&b->pk, "approved_at", day < 0 ? 0 : (uint64_t)day * S_DAY);
    b->n++;
    return 0;
}

/*  The listing's key of a row (proto/listing.h, as intake keys it); ""
 *  without a SIRET. */
static void s_listing_key(const msgpack_sbuffer *app, char out[LISTING_KEY_MAX])
{
    static msgpack_zone zone;
    static bool ready;
    if (!ready)
        ready = msgpack_zone_init(&zone, 4096);
    msgpack_zone_clear(&zone);
    msgpack_object application;
    out[0] = '\0';
    if (wire_decode_stored(app->data, app->size, &zone, &application, NULL) == 0)
        listing_key(&application, out);
}

/*  A second row of the same listing (SIRET and advisor) in one file is
 *  refused, naming the first: intake would take the first and call the
 *  second "already" there, a dry run would count both, and either way
 *  the file says two things about one listing. */
static bool s_duplicate(import_t *self, unsigned line, const msgpack_sbuffer *app, proto_error_t *err)
{
    char key[LISTING_KEY_MAX];
    s_listing_key(app, key);
    if (!*key)
        return false;   /* no SIRET: the schema says so */
    uintptr_t first = (uintptr_t)zhash_lookup(self->seen, key);
    if (!first) {
        zhash_insert(self->seen, key, (void *)(uintptr_t)line);
        return false;
    }
    proto_error_set(err, "organisation.siret", "duplicate", "même SIRET et même conseiller que la ligne %u de ce "
                    "fichier : une seule ligne par fiche ; cette ligne n'est pas importée", (unsigned)first);
    return true;
}

static void s_report_locked(import_t *self, unsigned line, const proto_error_t *err)
{
    pthread_mutex_lock(&self->lock);
    self->total++;
    s_report(self, line, "refused", NULL, err->field, err->rule, err->message);
    pthread_mutex_unlock(&self->lock);
}

static void s_read_one(import_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->total++;
    pthread_mutex_unlock(&self->lock);
}

/*  Remembers a row whose references have a gap (reference 2 filled,
 *  reference 1 empty), for s_renumber. */
static void s_keep_gaps(import_t *self, unsigned line, unsigned refs)
{
    if ((refs & (refs + 1)) == 0)
        return;   /* 0, or references 1 to N: intake numbers them alike */
    char key[16];
    snprintf(key, sizeof key, "%u", line);
    pthread_mutex_lock(&self->lock);
    zhash_insert(self->gaps, key, (void *)(uintptr_t)refs);
    pthread_mutex_unlock(&self->lock);
}

/*  A quote fault names the cell by its number (the reader knows no
 *  headings): staff look for the column's name. */
static void s_name_cell(const import_columns_t *columns, const import_cells_t *cells, proto_error_t *err)
{
    if (strcmp(err->rule, "quote") != 0 || cells->count >= columns->count)
        return;
    char message[PROTO_MESSAGE_MAX + sizeof columns->heading[0] + 32];
    snprintf(message, sizeof message, "colonne « %s », %s", columns->heading[cells->count], err->message);
    message[PROTO_MESSAGE_MAX - 1] = '\0';
    proto_utf8_trim(message);
    memcpy(err->message, message, PROTO_MESSAGE_MAX);
}

/*  Every row of the file: those that read are kept for sending, the
 *  others reported.  EXIT_OK, or an exit code when the file as a whole
 *  cannot be imported (its header). */
static int s_read_csv(import_t *self, import_reader_t *reader)
{
    static import_columns_t columns;
    static import_cells_t cells;
    proto_error_t err;
    if (import_csv_columns(reader, &columns, &err)) {
        fprintf(stderr, "essp: ligne 1 (en-têtes) : colonne « %s », règle « %s » : %s ; rien n'est importé\n",
                err.field, err.rule, err.message);
        return EXIT_REFUSED;
    }
    unsigned line;
    int rc;
    msgpack_sbuffer app;
    msgpack_sbuffer_init(&app);
    while ((rc = import_csv_next(reader, &cells, &line, &err)) != 0) {
        int32_t day = 0;
        app.size = 0;
        if (rc < 0)
            s_name_cell(&columns, &cells, &err);
        if (rc < 0 || import_row_from_csv(&columns, &cells, &app, &day, &err)
            || s_duplicate(self, line, &app, &err)) {
            s_report_locked(self, line, &err);
            continue;
        }
        s_keep_gaps(self, line, import_row_refs(&columns, &cells));
        s_read_one(self);
        if (s_add_row(self, line, &app, day))
            break;
    }
    msgpack_sbuffer_destroy(&app);
    return rc == 0 ? EXIT_OK : EXIT_REFUSED;
}

static int s_read_jsonl(import_t *self, import_reader_t *reader)
{
    proto_error_t err;
    const char *text;
    size_t len;
    unsigned line;
    int rc;
    msgpack_sbuffer app;
    msgpack_sbuffer_init(&app);
    while ((rc = import_jsonl_next(reader, &text, &len, &line, &err)) != 0) {
        int32_t day = 0;
        app.size = 0;
        if (rc < 0 || import_row_from_json(text, len, &app, &day, &err)
            || s_duplicate(self, line, &app, &err)) {
            s_report_locked(self, line, &err);
            continue;
        }
        s_read_one(self);
        if (s_add_row(self, line, &app, day))
            break;
    }
    msgpack_sbuffer_destroy(&app);
    return rc == 0 ? EXIT_OK : EXIT_REFUSED;
}

/*  Only a regular file is read: opening a pipe would wait for a writer,
 *  and a directory opens but has no size to read. */
static bool s_regular(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "essp: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    if (S_ISREG(st.st_mode))
        return true;
    fprintf(stderr, "essp : %s n'est pas un fichier ordinaire (%s) : donnez le chemin du fichier CSV ou JSONL "
            "lui-même ; rien n'est importé\n", path, S_ISDIR(st.st_mode) ? "c'est un dossier" : "un tube ou un "
            "périphérique");
    return false;
}

static char *s_slurp(const char *path, size_t *len)
{
    if (!s_regular(path))
        return NULL;
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "essp: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    if (fseek(file, 0, SEEK_END) == 0) {
        long size = ftell(file);
        rewind(file);
        if (size > (long)S_FILE_MAX)
            fprintf(stderr, "essp: %s: larger than %u bytes; split it\n", path, S_FILE_MAX);
        else if (size >= 0 && (text = malloc((size_t)size + 1)))
            *len = fread(text, 1, (size_t)size, file);
    }
    fclose(file);
    return text;
}

/* ---------------------------------------------------------------- sending */

/*  Sends one batch and reports what became of each of its rows. */
static int s_send(import_t *self, const batch_t *b)
{
    request_t r;
    request_init(&r, "import", 2);
    proto_pack_kv_bool(&r.pk, "dry_run", self->dry_run);
    proto_pack_str(&r.pk, "rows");
    msgpack_pack_array(&r.pk, b->n);
    msgpack_sbuffer_write(&r.buf, b->rows.data, b->rows.size);
    reply_t reply;
    /* A batch is checked and stored in one turn: under load that may take
     * longer than the usual wait, and a batch sent again while the first
     * is still being stored only finds its rows "already" there. */
    int rc = client_call(SERVICE_INTAKE, &r.buf, S_BATCH_WAIT_MS, &reply);
    msgpack_sbuffer_destroy(&r.buf);
    if (rc != EXIT_OK)
        return rc;
    const msgpack_object *results = doc_array(&reply.msg, "results");
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < doc_len(results); i++) {
        const msgpack_object *res = doc_at(results, i);
        char outcome[16] = "", id[PROTO_ID_MAX + 1] = "", field[PROTO_FIELD_MAX] = "", rule[PROTO_RULE_MAX] = "";
        char message[PROTO_MESSAGE_MAX] = "";
        uint64_t line = 0;
        doc_uint(res, "line", &line);
        doc_strcpy(res, "outcome", outcome, sizeof outcome);
        doc_strcpy(res, "id", id, sizeof id);
        doc_strcpy(res, "field", field, sizeof field);
        doc_strcpy(res, "rule", rule, sizeof rule);
        doc_strcpy(res, "message", message, sizeof message);
        s_report(self, (unsigned)line, outcome, id, field, rule, message);
    }
    s_bar(self);
    pthread_mutex_unlock(&self->lock);
    reply_release(&reply);
    return EXIT_OK;
}

/*  The next batch the reader queued, or NULL once it is done. */
static batch_t *s_next_batch(import_t *self)
{
    pthread_mutex_lock(&self->lock);
    while (!self->head && !self->read_all)
        pthread_cond_wait(&self->changed, &self->lock);
    batch_t *b = self->head;
    if (b) {
        self->head = b->next;
        if (!self->head)
            self->tail = NULL;
        self->queued--;
        pthread_cond_broadcast(&self->changed);
    }
    pthread_mutex_unlock(&self->lock);
    return b;
}

static void *s_reader(void *arg)
{
    import_t *self = arg;
    int rc = self->csv ? s_read_csv(self, &self->reader) : s_read_jsonl(self, &self->reader);
    if (rc == EXIT_OK && self->filling)
        s_queue(self);
    pthread_mutex_lock(&self->lock);
    self->read_rc = rc;
    self->read_all = true;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

/*  Sends the batches as the reader makes them.  After a failure the
 *  batches still coming are dropped (the reader never waits on a queue
 *  nobody empties). */
static int s_send_all(import_t *self)
{
    int rc = EXIT_OK;
    batch_t *b;
    while ((b = s_next_batch(self))) {
        if (rc == EXIT_OK)
            rc = s_send(self, b);
        s_batch_destroy(b);
    }
    return rc != EXIT_OK ? rc : self->read_rc;
}

static void s_summary(import_t *self, double seconds)
{
    s_clear_bar(self);
    double rate = seconds > 0 ? self->done / seconds : 0;
    json_t *o = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:f, s:f}", "dry_run", self->dry_run, "rows",
                          (json_int_t)self->total, self->dry_run ? "would_import" : "imported",
                          (json_int_t)self->imported, "already", (json_int_t)self->already, "ended",
                          (json_int_t)self->ended, "refused", (json_int_t)self->refused, "seconds", seconds,
                          "rows_per_second", rate);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    if (text)
        puts(text);
    free(text);
    json_decref(o);
    fprintf(stderr, "%zu lignes lues en %.2f s (%.0f lignes/s) : %zu %s, %zu déjà présentes, %zu terminées, "
            "%zu refusées\n", self->total, seconds, rate, self->imported,
            self->dry_run ? "à importer (essai : rien n'est enregistré)" : "importées", self->already, self->ended,
            self->refused);
}

static bool s_ends_with(const char *text, const char *end)
{
    size_t n = strlen(text), m = strlen(end);
    return n >= m && strcasecmp(text + n - m, end) == 0;
}

int cmd_import(const args_t *args)
{
    const char *path = args->pos[0];
    bool csv = s_ends_with(path, ".csv"), jsonl = s_ends_with(path, ".jsonl");
    if (!csv && !jsonl)
        return cli_usage("expects FILE.csv or FILE.jsonl");
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    static import_t self;
    self = (import_t){.json = args_flag(args, "json"), .dry_run = args_flag(args, "dry-run"),
                      .tty = isatty(STDERR_FILENO) == 1, .started = s_now(), .csv = csv};
    size_t len = 0;
    char *text = s_slurp(path, &len);
    if (!text)
        return EXIT_REFUSED;
    for (const char *at = text; (at = memchr(at, '\n', (size_t)(text + len - at))); at++)
        self.expected++;
    self.expected -= csv && self.expected > 0;   /* the header */
    import_reader_init(&self.reader, text, len);
    self.seen = zhash_new();
    self.gaps = zhash_new();
    pthread_mutex_init(&self.lock, NULL);
    pthread_cond_init(&self.changed, NULL);
    pthread_t reader;
    if (pthread_create(&reader, NULL, s_reader, &self) != 0) {
        fprintf(stderr, "essp: cannot start reading %s\n", path);
        free(text);
        zhash_destroy(&self.seen);
        zhash_destroy(&self.gaps);
        return EXIT_REFUSED;
    }
    rc = s_send_all(&self);
    pthread_join(reader, NULL);
    if (self.filling)
        s_batch_destroy(self.filling);   /* the reader stopped half way */
    free(text);
    zhash_destroy(&self.seen);
    zhash_destroy(&self.gaps);
    if (rc == EXIT_OK)
        s_summary(&self, s_now() - self.started);
    s_clear_bar(&self);
    pthread_mutex_destroy(&self.lock);
    pthread_cond_destroy(&self.changed);
    if (rc != EXIT_OK)
        return rc;
    return self.refused || self.ended ? EXIT_REFUSED : EXIT_OK;
}
