/*  common/config.c - see config.h. */
#include "config.h"

#include <ctype.h>
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

long config_env_long(const char *name, long fallback, long min, long max)
{
    const char *text = getenv(name);
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

int config_secure_port(void)
{
    int base = config_base_port();
    return base < 0 ? -1 : base + SERVICE_COUNT + 1;
}

void config_secure_bind_endpoint(char *out, size_t cap)
{
    const char *bind = getenv("ESSP_BIND");
    snprintf(out, cap, "tcp://%s:%d", bind && *bind ? bind : "127.0.0.1", config_secure_port());
}

void config_secure_connect_endpoint(char *out, size_t cap)
{
    const char *explicit = getenv("ESSP_REVIEW_SECURE_ENDPOINT");
    if (explicit && *explicit)
        snprintf(out, cap, "%s", explicit);
    else
        snprintf(out, cap, "tcp://127.0.0.1:%d", config_secure_port());
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
