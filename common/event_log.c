/*  common/event_log.c - see event_log.h. */
#include "event_log.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ the line */

/*  A line being built.  Room is kept for the closing "}\n" at all times,
 *  so that a line that grows too long is shortened, never left open. */
typedef struct {
    char *buf;
    size_t cap, len;
} s_line_t;

#define S_CLOSE 2                /* "}\n" */

static void s_put(s_line_t *line, const char *text, size_t n)
{
    if (line->len + n + S_CLOSE > line->cap)
        return;
    memcpy(line->buf + line->len, text, n);
    line->len += n;
}

/*  The length of the UTF-8 sequence at text (at most n bytes), or 0 when
 *  it is not a well-formed one (RFC 3629: no overlong form, no surrogate,
 *  nothing above U+10FFFF). */
static size_t s_utf8_len(const unsigned char *text, size_t n)
{
    unsigned char c = text[0];
    size_t len;
    uint32_t min, code;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80, code = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800, code = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000, code = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((text[i] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (text[i] & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return 0;
    return len;
}

/*  One JSON string: quotes, backslashes and control characters escaped,
 *  well-formed UTF-8 kept, any other byte replaced by U+FFFD.  Stops
 *  before the line's room runs out, on a whole character. */
static void s_put_json_str(s_line_t *line, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    /* The closing quote must fit too. */
    size_t room = line->cap - S_CLOSE - 1;
    if (line->len + 1 > room)
        return;
    line->buf[line->len++] = '"';
    for (size_t i = 0; i < n;) {
        char esc[8];
        size_t esc_len = 0, used = 1;
        const char *out = esc;
        if (p[i] == '"' || p[i] == '\\') {
            esc[0] = '\\', esc[1] = (char)p[i], esc_len = 2;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[p[i] >> 4], esc[5] = hex[p[i] & 15], esc_len = 6;
        } else if (p[i] < 0x80) {
            out = (const char *)p + i, esc_len = 1;
        } else if ((used = s_utf8_len(p + i, n - i)) > 0) {
            out = (const char *)p + i, esc_len = used;
        } else {
            out = "\xef\xbf\xbd", esc_len = 3, used = 1;
        }
        if (line->len + esc_len > room)
            break;
        memcpy(line->buf + line->len, out, esc_len);
        line->len += esc_len;
        i += used;
    }
    line->buf[line->len++] = '"';
}

/*  The pieces of a line are written by hand, not by snprintf: a line is
 *  written for every request, and formatting took a tenth of review's
 *  time per vote. */

/*  ,"key": into out (40 bytes); keys are this module's own words, never
 *  escaped. */
static size_t s_key(char out[40], const char *key)
{
    size_t k = strnlen(key, 40 - 4);
    out[0] = ',';
    out[1] = '"';
    memcpy(out + 2, key, k);
    out[2 + k] = '"';
    out[3 + k] = ':';
    return k + 4;
}

/*  The decimal digits of value, with its sign; at most 20 bytes. */
static size_t s_decimal(char *out, int64_t value)
{
    char digits[20];
    size_t n = 0, len = 0;
    uint64_t v = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        out[len++] = '-';
    while (n)
        out[len++] = digits[--n];
    return len;
}

/*  ,"key":"value" -- or nothing when value is NULL or empty. */
static void s_put_str(s_line_t *line, const char *key, const char *value)
{
    if (!value || !*value)
        return;
    char head[40];
    size_t n = s_key(head, key);
    size_t before = line->len;
    s_put(line, head, n);
    if (line->len == before)
        return;
    size_t at = line->len;
    s_put_json_str(line, value);
    if (line->len == at)
        line->len = before;      /* no room even for "": the key goes too */
}

static void s_put_int(s_line_t *line, const char *key, int64_t value)
{
    char text[64];
    size_t n = s_key(text, key);
    n += s_decimal(text + n, value);
    s_put(line, text, n);
}

/*  n digits of value, zeros first. */
static void s_digits(char *out, unsigned value, int n)
{
    for (int i = n - 1; i >= 0; i--, value /= 10)
        out[i] = (char)('0' + value % 10);
}

static const char *s_service = "essp";

/*  {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ" -- the date and time of a second are
 *  worked out once per thread and second. */
static size_t s_stamp(char out[64])
{
    static __thread time_t second = -1;
    static __thread char date[19];   /* YYYY-MM-DDTHH:MM:SS */
    struct timeval now;
    gettimeofday(&now, NULL);
    if (now.tv_sec != second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        s_digits(date, (unsigned)(tm.tm_year + 1900) % 10000, 4);
        date[4] = '-';
        s_digits(date + 5, (unsigned)tm.tm_mon + 1, 2);
        date[7] = '-';
        s_digits(date + 8, (unsigned)tm.tm_mday, 2);
        date[10] = 'T';
        s_digits(date + 11, (unsigned)tm.tm_hour, 2);
        date[13] = ':';
        s_digits(date + 14, (unsigned)tm.tm_min, 2);
        date[16] = ':';
        s_digits(date + 17, (unsigned)tm.tm_sec, 2);
        second = now.tv_sec;
    }
    static const char open[] = "{\"time\":\"";
    size_t n = sizeof open - 1;
    memcpy(out, open, n);
    memcpy(out + n, date, sizeof date);
    n += sizeof date;
    out[n++] = '.';
    s_digits(out + n, (unsigned)(now.tv_usec / 1000), 3);
    n += 3;
    out[n++] = 'Z';
    out[n++] = '"';
    return n;
}

/*  {"time":"...","service":"...","kind":"..." */
static void s_begin(s_line_t *line, char *buf, size_t cap, const char *kind)
{
    *line = (s_line_t){.buf = buf, .cap = cap};
    char stamp[64];
    s_put(line, stamp, s_stamp(stamp));
    s_put_str(line, "service", s_service);
    s_put_str(line, "kind", kind);
}

/*  Closes the line: the room for it was kept. */
static size_t s_end(s_line_t *line)
{
    line->buf[line->len++] = '}';
    line->buf[line->len++] = '\n';
    return line->len;
}

/* ------------------------------------------------------------ the sink */

/*  One writer per file: this process (a service owns its log file), so
 *  the size before a write is known and a short write can be taken back.
 *  The lock makes the lines of the front end's threads and of the loop
 *  one after the other, and a rotation happen between two lines. */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_fd = STDERR_FILENO;
static bool s_journal;           /* stderr is the journal's stream */
static char s_path[CONFIG_PATH_MAX];  /* the service's own file, "" for stderr */
static off_t s_max_bytes = 10 << 20;
static long s_files = 5;
static atomic_uint_fast64_t s_lost;
static uint64_t s_lost_told;     /* the count the last message told of */

static int s_open_file(void)
{
    return open(s_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/*  <path>.<i>, <path> itself for i = 0. */
static void s_numbered(char *out, size_t cap, long i)
{
    if (i == 0)
        snprintf(out, cap, "%s", s_path);
    else
        snprintf(out, cap, "%s.%ld", s_path, i);
}

/*  <path> becomes <path>.1, .1 becomes .2 ..., the oldest goes. */
static void s_rotate(void)
{
    close(s_fd);
    s_fd = -1;
    char from[CONFIG_PATH_MAX + 24], to[CONFIG_PATH_MAX + 24];   /* ".N": a dot and up to 20 digits */
    if (s_files <= 1)
        unlink(s_path);
    for (long i = s_files - 1; i >= 1; i--) {
        s_numbered(from, sizeof from, i - 1);
        s_numbered(to, sizeof to, i);
        rename(from, to);
    }
    s_fd = s_open_file();
}

static ssize_t s_write_once(int fd, const char *bytes, size_t len)
{
    ssize_t n;
    do
        n = write(fd, bytes, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/*  The journal's socket or a pipe: what went out cannot be taken back, and
 *  they know no full disk; a write a signal stopped part way is finished. */
static ssize_t s_write_all(int fd, const char *bytes, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, bytes + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return done ? (ssize_t)done : -1;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/*  Writes whole lines (one, or those a turn held) with one write(2), or
 *  nothing.  On a regular file a write may stop part way (ENOSPC when the
 *  disk fills: write(2) of any size is not atomic against that): the file
 *  is then truncated back to its size before the write, which only its
 *  single writer may do safely, and the lines are counted as lost.
 *  Checking the free space first (fstatvfs) would not do: other writers
 *  of the filesystem (LMDB) take it between the check and the write, and
 *  reserved blocks blur the figure. */
static void s_emit(const char *line, size_t len, size_t lines)
{
    uint64_t tell = 0;
    pthread_mutex_lock(&s_lock);
    struct stat st;
    off_t before = -1;
    if (s_path[0]) {
        if (s_fd < 0)
            s_fd = s_open_file();
        if (s_fd >= 0 && fstat(s_fd, &st) == 0) {
            before = st.st_size;
            if (before > 0 && before + (off_t)len > s_max_bytes) {
                s_rotate();
                before = 0;
            }
        }
    }
    ssize_t n = s_fd < 0 ? -1 : s_path[0] ? s_write_once(s_fd, line, len) : s_write_all(s_fd, line, len);
    if (n != (ssize_t)len) {
        atomic_fetch_add(&s_lost, lines);
        /* Part of it went in: taken back.  Shrinking a file needs no
         * space, so this holds on a full disk; its result changes
         * nothing more we could do. */
        if (n > 0 && before >= 0)
            (void)!ftruncate(s_fd, before);
    } else if (atomic_load(&s_lost) != s_lost_told) {
        /* Lines were lost, and there is room again: the log says so. */
        tell = s_lost_told = atomic_load(&s_lost);
    }
    pthread_mutex_unlock(&s_lock);
    if (tell) {
        char msg[160];
        snprintf(msg, sizeof msg, "%" PRIu64 " log lines could not be written whole since the start "
                 "(disk full?) and were left out", tell);
        event_log_message("warn", msg);
    }
}

/*  The lines of the thread that holds (the service's loop, in a turn),
 *  written together: one write(2) for a turn's lines instead of one each.
 *  Whole lines only, so what is written, or taken back, is whole lines. */
#define S_HELD_MAX 65536
static char s_held[S_HELD_MAX];
static size_t s_held_len, s_held_lines;
static atomic_bool s_holding;
static pthread_t s_holder;

static bool s_holds(void)
{
    return atomic_load(&s_holding) && pthread_equal(pthread_self(), s_holder);
}

static void s_flush_held(void)
{
    if (s_held_len)
        s_emit(s_held, s_held_len, s_held_lines);
    s_held_len = s_held_lines = 0;
}

/*  Keeps the line when this thread holds, writing what was kept first
 *  when it does not fit (nor beyond a quarter of the file's size, so that
 *  rotation keeps files near their size); else writes it now. */
static void s_write_line(const char *line, size_t len)
{
    if (!s_holds()) {
        s_emit(line, len, 1);
        return;
    }
    size_t cap = s_max_bytes / 4 < S_HELD_MAX ? (size_t)s_max_bytes / 4 : S_HELD_MAX;
    if (s_held_len + len > cap)
        s_flush_held();
    memcpy(s_held + s_held_len, line, len);
    s_held_len += len;
    s_held_lines++;
}

void event_log_hold(void)
{
    s_holder = pthread_self();
    atomic_store(&s_holding, true);
}

void event_log_flush(void)
{
    if (!s_holds())
        return;
    atomic_store(&s_holding, false);
    s_flush_held();
}

uint64_t event_log_lost(void)
{
    return atomic_load(&s_lost);
}

void event_log_set_service(const char *service)
{
    s_service = service;
}

/*  True when stderr is the journal's stream: JOURNAL_STREAM holds its
 *  "device:inode" (systemd.exec(5)); a child that inherited the variable
 *  but writes elsewhere must not take itself for the journal. */
static bool s_stderr_is_journal(void)
{
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int event_log_open(const char *service)
{
    event_log_set_service(service);
    s_max_bytes = (off_t)config_env_long("ESSP_LOG_MAX_BYTES", 10L << 20, 4096, 1L << 40);
    s_files = config_env_long("ESSP_LOG_FILES", 5, 1, 1000);
    if (s_stderr_is_journal()) {
        pthread_mutex_lock(&s_lock);
        if (s_fd > STDERR_FILENO)
            close(s_fd);
        s_fd = STDERR_FILENO;
        s_path[0] = '\0';
        s_journal = true;
        pthread_mutex_unlock(&s_lock);
        return 0;
    }
    char dir[CONFIG_PATH_MAX / 2];
    config_path("log", dir, sizeof dir);
    if (config_mkdirs(dir) != 0)
        return -1;
    pthread_mutex_lock(&s_lock);
    snprintf(s_path, sizeof s_path, "%s/%s.log", dir, service);
    int fd = s_open_file();
    struct stat st;
    if (fd < 0) {
        s_path[0] = '\0';
    } else {
        if (s_fd > STDERR_FILENO)
            close(s_fd);
        s_fd = fd;
        /* 0640 whatever the umask, and one made before put right: logs
         * name applications and people. */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            fchmod(fd, 0640);
    }
    pthread_mutex_unlock(&s_lock);
    if (fd < 0) {
        char msg[CONFIG_PATH_MAX + 64];
        snprintf(msg, sizeof msg, "cannot open %s/%s.log (%s): logging to stderr", dir, service,
                 strerror(errno));
        event_log_message("error", msg);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the lines */

/*  Sends a line built in buf: under the journal with its priority. */
static void s_send(s_line_t *line, int priority)
{
    s_end(line);
    if (!s_journal) {
        s_write_line(line->buf, line->len);
        return;
    }
    /* "<6>" before the line: the journal's priority (SyslogLevelPrefix),
     * taken off the message, which stays the JSON object alone. */
    char out[EVENT_LOG_LINE_MAX + 4];
    int n = snprintf(out, sizeof out, "<%d>", priority);
    memcpy(out + n, line->buf, line->len);
    s_write_line(out, (size_t)n + line->len);
}

#define S_INFO 6
#define S_WARNING 4

static void s_request_line(s_line_t *line, char *buf, size_t cap, const char *type, const char *id,
                           const char *outcome, const char *rule, int64_t us, const char *actor)
{
    s_begin(line, buf, cap, "request");
    s_put_str(line, "type", type ? type : "?");
    s_put_str(line, "id", id);
    s_put_str(line, "outcome", outcome);
    s_put_str(line, "rule", rule);
    s_put_int(line, "us", us);
    s_put_str(line, "actor", actor);
}

size_t event_log_format_request(char *out, size_t cap, const char *type, const char *id,
                                const char *outcome, const char *rule, int64_t us, const char *actor)
{
    s_line_t line;
    s_request_line(&line, out, cap, type, id, outcome, rule, us, actor);
    return s_end(&line);
}

void event_log_request(const char *type, const char *id, const char *outcome, const char *rule,
                       int64_t us, const char *actor)
{
    char buf[EVENT_LOG_LINE_MAX];
    s_line_t line;
    s_request_line(&line, buf, sizeof buf, type, id, outcome, rule, us, actor);
    s_send(&line, strcmp(outcome, "internal") == 0 ? S_WARNING : S_INFO);
}

void event_log_event(const char *stream, uint64_t seq, const char *type, const char *id,
                     const char *outcome)
{
    char buf[EVENT_LOG_LINE_MAX];
    s_line_t line;
    s_begin(&line, buf, sizeof buf, "event");
    s_put_str(&line, "stream", stream);
    s_put_int(&line, "seq", (int64_t)seq);
    s_put_str(&line, "type", type);
    s_put_str(&line, "id", id);
    s_put_str(&line, "outcome", outcome);
    s_send(&line, S_INFO);
}

void event_log_http(const char *method, const char *path, int status, int64_t us, const char *actor)
{
    char buf[EVENT_LOG_LINE_MAX], clean[1024];
    event_log_path_without(path, SIZE_MAX, clean, sizeof clean);
    s_line_t line;
    s_begin(&line, buf, sizeof buf, "http");
    s_put_str(&line, "method", method);
    s_put_str(&line, "path", clean);
    s_put_int(&line, "status", status);
    s_put_int(&line, "us", us);
    s_put_str(&line, "actor", actor);
    s_send(&line, status >= 500 ? S_WARNING : S_INFO);
}

void event_log_path_without(const char *path, size_t keep, char *out, size_t cap)
{
    size_t len = 0, segments = 0;
    out[0] = '\0';
    for (const char *p = path; *p && *p != '?' && *p != '#'; p++) {
        if (*p == '/' && ++segments > keep) {
            snprintf(out + len, cap - len, "/\xe2\x80\xa6");  /* "/…" */
            return;
        }
        if (len + 1 >= cap)
            break;
        out[len++] = *p;
        out[len] = '\0';
    }
}

int64_t event_log_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void event_log_message(const char *level, const char *msg)
{
    char buf[EVENT_LOG_LINE_MAX];
    s_line_t line;
    s_begin(&line, buf, sizeof buf, "message");
    s_put_str(&line, "level", level);
    s_put_str(&line, "msg", msg);
    int priority = strcmp(level, "error") == 0 ? 3 : strcmp(level, "warn") == 0 ? S_WARNING
                 : strcmp(level, "debug") == 0 ? 7 : S_INFO;
    /* A message is written at once, after the lines held before it: the
     * one that tells why the process stops must not wait in memory. */
    if (s_holds()) {
        s_flush_held();
        atomic_store(&s_holding, false);
        s_send(&line, priority);
        atomic_store(&s_holding, true);
        return;
    }
    s_send(&line, priority);
}
