/*  common/config.c - see config.h. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *s_names[SERVICE_COUNT] = {"intake", "validation", "review", "publication"};

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

const char *config_get(const char *name)
{
    const char *text = getenv(name);
    if (text && *text)
        return text;
    pthread_once(&s_file_once, s_file_load);
    /* The last line that names a setting wins, as in a shell. */
    for (size_t i = s_file_count; i-- > 0;)
        if (strcmp(s_file[i].name, name) == 0)
            return s_file[i].value;
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
    if (*end || port < 1 || port > 65535 - 16)
        return -1;
    return (int)port;
}

int config_port(service_id_t service)
{
    int base = config_base_port();
    return base < 0 ? -1 : base + (int)service;
}

int config_http_port(void)
{
    int base = config_base_port();
    return base < 0 ? -1 : base + SERVICE_COUNT;
}

int config_secure_port(service_id_t service)
{
    /* review's came first (base + 5); intake's is base + 6. */
    static const int offset[SERVICE_COUNT] = {[SERVICE_REVIEW] = 5, [SERVICE_INTAKE] = 6,
                                              [SERVICE_VALIDATION] = 7, [SERVICE_PUBLICATION] = 8};
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
