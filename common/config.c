/*  common/config.c - see config.h. */
#include "config.h"

#include "log.h"

#include "proto/date.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_names[SERVICE_COUNT] = {"intake", "validation", "review", "publication", "desk",
                                             "notify"};

const char *config_service_name(service_id_t service)
{
    return service < SERVICE_COUNT ? s_names[service] : "unknown";
}

int config_service_by_name(const char *name)
{
    for (int i = 0; i < SERVICE_COUNT; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

const char *config_home(void)
{
    const char *home = getenv("ESSP_HOME");
    return home && *home ? home : "./var";
}

/* ------------------------------------------------------ the config file */

#define S_FILE_ENTRIES_MAX 128
#define S_FILE_LINE_MAX    512

typedef struct {
    char name[64];
    char value[S_FILE_LINE_MAX];
} file_entry_t;

static file_entry_t s_file[S_FILE_ENTRIES_MAX];
static size_t s_file_count;
static pthread_once_t s_file_once = PTHREAD_ONCE_INIT;

void config_file_path(char *out, size_t cap)
{
    const char *explicit = getenv("ESSP_CONFIG");
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        snprintf(out, cap, "%s/essp.conf", config_home());
}

static char *s_trim(char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n'
                   || text[len - 1] == '\r'))
        text[--len] = '\0';
    /* A value may be quoted, as in a shell or systemd environment file. */
    if (len >= 2 && (text[0] == '"' || text[0] == '\'') && text[len - 1] == text[0]) {
        text[len - 1] = '\0';
        text++;
    }
    return text;
}

/*  Reads NAME=value lines; blank lines and lines starting with # are
 *  skipped, and so is anything that is not NAME=value (a service must
 *  start even with a damaged file: the defaults hold). */
static void s_file_load(void)
{
    char path[CONFIG_PATH_MAX];
    config_file_path(path, sizeof path);
    FILE *file = fopen(path, "r");
    if (!file)
        return;
    char line[S_FILE_LINE_MAX];
    while (s_file_count < S_FILE_ENTRIES_MAX && fgets(line, sizeof line, file)) {
        char *text = s_trim(line);
        char *equals = strchr(text, '=');
        if (*text == '#' || !equals)
            continue;
        *equals = '\0';
        char *name = s_trim(text), *value = s_trim(equals + 1);
        if (!*name || strlen(name) >= sizeof s_file[0].name)
            continue;
        snprintf(s_file[s_file_count].name, sizeof s_file[0].name, "%s", name);
        snprintf(s_file[s_file_count].value, sizeof s_file[0].value, "%s", value);
        s_file_count++;
    }
    fclose(file);
}

static const char *s_file_get(const char *name)
{
    pthread_once(&s_file_once, s_file_load);
    /* The last line that names a setting wins, as in a shell. */
    for (size_t i = s_file_count; i-- > 0;)
        if (strcmp(s_file[i].name, name) == 0)
            return s_file[i].value;
    return NULL;
}

static const char *s_secret_get(const char *name, const char *path);

/*  NAME, else the content of the file NAME_FILE names: the environment
 *  first, then the config file (see config.h). */
const char *config_get(const char *name)
{
    char file_name[96];
    snprintf(file_name, sizeof file_name, "%s_FILE", name);
    const char *text = getenv(name);
    if (text && *text)
        return text;
    if ((text = getenv(file_name)) && *text)
        return s_secret_get(name, text);
    if ((text = s_file_get(name)))
        return text;
    if ((text = s_file_get(file_name)) && *text)
        return s_secret_get(name, text);
    return NULL;
}

long config_env_long(const char *name, long fallback, long min, long max)
{
    const char *text = config_get(name);
    if (!text || !*text)
        return fallback;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || value < min || value > max)
        return fallback;
    return value;
}

int config_base_port(void)
{
    const char *text = getenv("ESSP_PORT");
    if (!text || !*text)
        return 7700;
    char *end;
    long port = strtol(text, &end, 10);
    if (*end || port < 1 || port > 65535 - 32)
        return -1;
    return (int)port;
}

/* The offsets of config.h's table, one place for every port. */
#define S_HTTP_OFFSET      4
#define S_DESK_HTTP_OFFSET 11
#define S_METRICS_OFFSET   16

int config_port(service_id_t service)
{
    static const int offset[SERVICE_COUNT] = {[SERVICE_INTAKE] = 0, [SERVICE_VALIDATION] = 1,
                                              [SERVICE_REVIEW] = 2, [SERVICE_PUBLICATION] = 3,
                                              [SERVICE_DESK] = 9, [SERVICE_NOTIFY] = 12};
    int base = config_base_port();
    return base < 0 || service >= SERVICE_COUNT ? -1 : base + offset[service];
}

int config_http_port(void)
{
    int base = config_base_port();
    return base < 0 ? -1 : base + S_HTTP_OFFSET;
}

int config_desk_http_port(void)
{
    int base = config_base_port();
    return base < 0 ? -1 : base + S_DESK_HTTP_OFFSET;
}

int config_metrics_port(service_id_t service)
{
    int base = config_base_port();
    return base < 0 || service >= SERVICE_COUNT ? -1 : base + S_METRICS_OFFSET + (int)service;
}

const char *config_metrics_bind(void)
{
    const char *bind = config_get("ESSP_METRICS_BIND");
    return bind && *bind ? bind : "127.0.0.1";
}

int config_secure_port(service_id_t service)
{
    /* review's came first (base + 5); intake's is base + 6. */
    static const int offset[SERVICE_COUNT] = {[SERVICE_REVIEW] = 5, [SERVICE_INTAKE] = 6,
                                              [SERVICE_VALIDATION] = 7, [SERVICE_PUBLICATION] = 8,
                                              [SERVICE_DESK] = 10, [SERVICE_NOTIFY] = 13};
    int base = config_base_port();
    return base < 0 || service >= SERVICE_COUNT ? -1 : base + offset[service];
}

void config_secure_bind_endpoint(service_id_t service, char *out, size_t cap)
{
    const char *bind = getenv("ESSP_BIND");
    snprintf(out, cap, "tcp://%s:%d", bind && *bind ? bind : "127.0.0.1", config_secure_port(service));
}

void config_secure_connect_endpoint(service_id_t service, char *out, size_t cap)
{
    char var[64];
    snprintf(var, sizeof var, "ESSP_%s_SECURE_ENDPOINT", config_service_name(service));
    for (char *c = var; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const char *explicit = getenv(var);
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        snprintf(out, cap, "tcp://127.0.0.1:%d", config_secure_port(service));
}

void config_bind_endpoint(service_id_t service, char *out, size_t cap)
{
    const char *bind = getenv("ESSP_BIND");
    snprintf(out, cap, "tcp://%s:%d", bind && *bind ? bind : "127.0.0.1", config_port(service));
}

void config_connect_endpoint(service_id_t service, char *out, size_t cap)
{
    char var[64];
    snprintf(var, sizeof var, "ESSP_%s_ENDPOINT", s_names[service]);
    for (char *c = var; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const char *explicit = getenv(var);
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        snprintf(out, cap, "tcp://127.0.0.1:%d", config_port(service));
}

void config_path(const char *sub, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", config_home(), sub);
}

int config_mkdirs(const char *path)
{
    char buf[CONFIG_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* ---------------------------------------------- settings given as files */

#define S_SECRETS_MAX    32
#define S_SECRET_BYTES   4096

typedef struct {
    char name[64];
    char *value;                 /* NULL: the file was refused */
} secret_entry_t;

static secret_entry_t s_secrets[S_SECRETS_MAX];
static size_t s_secret_count;
static pthread_mutex_t s_secret_lock = PTHREAD_MUTEX_INITIALIZER;

/*  The content of the file at path, its trailing newline stripped, or
 *  NULL (logged) when it cannot be read, is not a regular file, is larger
 *  than S_SECRET_BYTES or is readable or writable by others than its
 *  owner and group. */
static char *s_secret_read(const char *name, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_error("config: %s_FILE=%s: %s", name, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *value = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_error("config: %s_FILE=%s: not a regular file", name, path);
    } else if (st.st_mode & S_IRWXO) {
        log_error("config: %s_FILE=%s: refused, the file is open to every user (mode %04o): "
                  "chmod 0600 (or 0640 for a group) first", name, path, (unsigned)(st.st_mode & 07777));
    } else if (st.st_size > S_SECRET_BYTES) {
        log_error("config: %s_FILE=%s: larger than %d bytes", name, path, S_SECRET_BYTES);
    } else if ((value = malloc((size_t)st.st_size + 1))) {
        ssize_t got = read(fd, value, (size_t)st.st_size);
        if (got < 0) {
            log_error("config: %s_FILE=%s: %s", name, path, strerror(errno));
            free(value);
            value = NULL;
        } else {
            size_t len = (size_t)got;
            if (len && value[len - 1] == '\n')
                len--;
            if (len && value[len - 1] == '\r')
                len--;
            value[len] = '\0';
        }
    }
    close(fd);
    return value;
}

/*  A setting given as a file is read once, on its first lookup, and kept:
 *  the pointer returned stays valid as long as the process. */
static const char *s_secret_get(const char *name, const char *path)
{
    const char *value = NULL;
    pthread_mutex_lock(&s_secret_lock);
    size_t i = 0;
    while (i < s_secret_count && strcmp(s_secrets[i].name, name) != 0)
        i++;
    if (i < s_secret_count) {
        value = s_secrets[i].value;
    } else if (strlen(name) < sizeof s_secrets[0].name) {
        value = s_secret_read(name, path);
        if (s_secret_count < S_SECRETS_MAX) {
            snprintf(s_secrets[s_secret_count].name, sizeof s_secrets[0].name, "%s", name);
            s_secrets[s_secret_count++].value = (char *)value;
        }
        /* Past S_SECRETS_MAX settings given as files, the value is not
         * kept: it leaks, once per lookup, which never happens with the
         * project's few secrets. */
    }
    pthread_mutex_unlock(&s_secret_lock);
    return value;
}

const char *config_http_bind(void)
{
    const char *bind = config_get("ESSP_HTTP_BIND");
    return bind && *bind ? bind : "127.0.0.1";
}

/* http://ADDRESS:port/ for a site that binds `bind`: the loopback
 * address when it binds every interface, IPv6 in brackets. */
static void s_url_of_bind(const char *bind, int port, char *out, size_t cap)
{
    if (strcmp(bind, "0.0.0.0") == 0)
        bind = "127.0.0.1";
    else if (strcmp(bind, "::") == 0 || strcmp(bind, "[::]") == 0)
        bind = "::1";
    bool v6 = strchr(bind, ':') && bind[0] != '[';
    snprintf(out, cap, "http://%s%s%s:%d/", v6 ? "[" : "", bind, v6 ? "]" : "", port);
}

void config_http_connect_endpoint(char *out, size_t cap)
{
    const char *explicit = getenv("ESSP_INTAKE_HTTP_ENDPOINT");
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        s_url_of_bind(config_http_bind(), config_http_port(), out, cap);
}

const char *config_desk_http_bind(void)
{
    const char *bind = config_get("ESSP_DESK_HTTP_BIND");
    return bind && *bind ? bind : "127.0.0.1";
}

void config_desk_url(char *out, size_t cap)
{
    const char *explicit = config_get("ESSP_DESK_URL");
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        s_url_of_bind(config_desk_http_bind(), config_desk_http_port(), out, cap);
}

static int s_day_compare(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int config_parse_meetings(const char *text, int32_t *days, size_t cap, size_t *count, char *error,
                          size_t error_cap)
{
    *count = 0;
    if (error_cap)
        error[0] = '\0';
    while (text && *text) {
        text += strspn(text, " \t");
        size_t len = strcspn(text, ",");
        size_t trimmed = len;
        while (trimmed && (text[trimmed - 1] == ' ' || text[trimmed - 1] == '\t'))
            trimmed--;
        if (trimmed) {
            int32_t day;
            if (date_parse(text, trimmed, &day) != 0) {
                snprintf(error, error_cap, "ESSP_COMMITTEE_MEETINGS: '%.*s' is not a date YYYY-MM-DD",
                         (int)(trimmed > 40 ? 40 : trimmed), text);
                return -1;
            }
            if (*count == cap) {
                snprintf(error, error_cap, "ESSP_COMMITTEE_MEETINGS: more than %zu dates", cap);
                return -1;
            }
            days[(*count)++] = day;
        }
        text += len;
        if (*text == ',')
            text++;
    }
    qsort(days, *count, sizeof *days, s_day_compare);
    return 0;
}

int config_committee_meetings(int32_t *days, size_t cap, size_t *count, char *error, size_t error_cap)
{
    return config_parse_meetings(config_get("ESSP_COMMITTEE_MEETINGS"), days, cap, count, error, error_cap);
}

int config_retention_years(void)
{
    return (int)config_env_long("ESSP_RETENTION_YEARS", 3, 1, 30);
}

int config_heartbeat_ms(void)
{
    long ms = config_env_long("ESSP_HEARTBEAT_MS", 1000, 0, 600000);
    return ms > 0 && ms < 100 ? 100 : (int)ms;
}

const char *config_contact_email(void)
{
    const char *email = config_get("ESSP_CONTACT_EMAIL");
    return email && *email ? email : "contact@esspratiques.fr";
}
