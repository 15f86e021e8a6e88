/*  common/auth.c - see auth.h. */
#include "auth.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_SECRET ".cert_secret"

static bool s_kept(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_';
}

int auth_file_name(const char *name, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (!*name)
        return -1;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (n + (s_kept(*c) ? 1 : 3) >= cap)
            return -1;
        if (s_kept(*c)) {
            out[n++] = (char)*c;
        } else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    out[n] = '\0';
    return 0;
}

static int s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int auth_name_of_file(const char *file, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (n + 1 >= cap)
            return -1;
        unsigned char c = (unsigned char)file[i];
        if (s_kept(c)) {
            out[n++] = (char)c;
            continue;
        }
        if (c != '%' || i + 2 >= len || s_hex(file[i + 1]) < 0 || s_hex(file[i + 2]) < 0)
            return -1;
        int byte = s_hex(file[i + 1]) * 16 + s_hex(file[i + 2]);
        /* Only the escaped form of a byte is accepted, and never NUL. */
        if (byte == 0 || s_kept((unsigned char)byte))
            return -1;
        out[n++] = (char)byte;
        i += 2;
    }
    out[n] = '\0';
    return 0;
}

int auth_key_path(const char *dir, const char *name, const char *suffix, char *out, size_t cap)
{
    char file[256];
    if (auth_file_name(name, file, sizeof file))
        return -1;
    int n = *dir ? snprintf(out, cap, "%s/keys/%s/%s%s", config_home(), dir, file, suffix)
                 : snprintf(out, cap, "%s/keys/%s%s", config_home(), file, suffix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

bool auth_is_role(const char *role)
{
    return role && (strcmp(role, AUTH_ROLE_MEMBER) == 0 || strcmp(role, AUTH_ROLE_STAFF) == 0);
}

/*  "members" or "staff": where a role's key pairs are kept. */
static const char *s_role_dir(const char *role)
{
    return strcmp(role, AUTH_ROLE_MEMBER) == 0 ? "members" : "staff";
}

/*  The certificate's file in allowed/: the role prefixes the name, so a
 *  member and a staff key of the same name are two files. */
static int s_allowed_path(const char *role, const char *name, char *out, size_t cap)
{
    char prefixed[PATH_MAX];
    if (snprintf(prefixed, sizeof prefixed, "%s-%s", role, name) >= (int)sizeof prefixed)
        return -1;
    return auth_key_path("allowed", prefixed, ".cert", out, cap);
}

static int s_mkdir_keys(const char *dir)
{
    char path[CONFIG_PATH_MAX];
    snprintf(path, sizeof path, "%s/keys%s%s", config_home(), *dir ? "/" : "", dir);
    return config_mkdirs(path);
}

/*  keys/allowed/service-<service>.cert: the service's public key with its
 *  name and the role "service", unless it is there already. */
static int s_register_service(service_id_t service, zcert_t *cert)
{
    char allowed[CONFIG_PATH_MAX];
    if (s_allowed_path(AUTH_ROLE_SERVICE, config_service_name(service), allowed, sizeof allowed)
        || s_mkdir_keys("allowed"))
        return -1;
    zcert_t *known = zcert_load(allowed);
    bool same = known && strcmp(zcert_public_txt(known), zcert_public_txt(cert)) == 0
        && zcert_meta(known, "role") && strcmp(zcert_meta(known, "role"), AUTH_ROLE_SERVICE) == 0;
    zcert_destroy(&known);
    if (same)
        return 0;
    zcert_t *entry = zcert_new_from(zcert_public_key(cert), zcert_secret_key(cert));
    if (!entry)
        return -1;
    zcert_set_meta(entry, "name", "%s", config_service_name(service));
    zcert_set_meta(entry, "role", "%s", AUTH_ROLE_SERVICE);
    int rc = zcert_save_public(entry, allowed);
    zcert_destroy(&entry);
    if (rc != 0)
        log_error("cannot save %s: %s", allowed, strerror(errno));
    return rc == 0 ? 0 : -1;
}

zcert_t *auth_server_cert(service_id_t service)
{
    char path[CONFIG_PATH_MAX], secret[CONFIG_PATH_MAX];
    if (auth_key_path("", config_service_name(service), ".cert", path, sizeof path)
        || auth_key_path("", config_service_name(service), S_SECRET, secret, sizeof secret))
        return NULL;
    zcert_t *cert = zcert_load(secret);
    if (!cert) {
        if (s_mkdir_keys(""))
            return NULL;
        cert = zcert_new();
        if (!cert)
            return NULL;
        zcert_set_meta(cert, "service", "%s", config_service_name(service));
        /* zcert_save writes path (public) and path + "_secret". */
        if (zcert_save(cert, path) != 0) {
            log_error("cannot save %s: %s", path, strerror(errno));
            zcert_destroy(&cert);
            return NULL;
        }
        log_info("created the service key %s", path);
    }
    if (s_register_service(service, cert) != 0)
        zcert_destroy(&cert);
    return cert;
}

bool auth_stream_is_public(service_id_t stream)
{
    return stream == SERVICE_PUBLICATION;
}

bool auth_may_pull(service_id_t stream, const char *name, const char *role)
{
    /* Each private stream and the services that consume it (the upstreams
     * of each service's main.c); SERVICE_COUNT ends a row. */
    static const service_id_t readers[SERVICE_COUNT][4] = {
        [SERVICE_INTAKE] = {SERVICE_VALIDATION, SERVICE_NOTIFY, SERVICE_COUNT},
        [SERVICE_VALIDATION] = {SERVICE_REVIEW, SERVICE_INTAKE, SERVICE_NOTIFY, SERVICE_COUNT},
        [SERVICE_REVIEW] = {SERVICE_PUBLICATION, SERVICE_INTAKE, SERVICE_NOTIFY, SERVICE_DESK},
        [SERVICE_DESK] = {SERVICE_COUNT},
        [SERVICE_NOTIFY] = {SERVICE_COUNT},
    };
    if (stream >= SERVICE_COUNT)
        return false;
    if (auth_stream_is_public(stream))
        return true;
    if (!name || !role)
        return false;
    if (strcmp(role, AUTH_ROLE_STAFF) == 0)
        return true;
    if (strcmp(role, AUTH_ROLE_SERVICE) != 0)
        return false;
    int reader = config_service_by_name(name);
    if (reader < 0)
        return false;
    for (size_t i = 0; i < 4 && readers[stream][i] != SERVICE_COUNT; i++)
        if ((service_id_t)reader == readers[stream][i])
            return true;
    return false;
}

zactor_t *auth_start(void)
{
    char allowed[CONFIG_PATH_MAX];
    if (s_mkdir_keys("allowed"))
        return NULL;
    snprintf(allowed, sizeof allowed, "%s/keys/allowed", config_home());
    zactor_t *auth = zactor_new(zauth, NULL);
    if (!auth)
        return NULL;
    if (getenv("ESSP_AUTH_VERBOSE")) {
        zstr_sendx(auth, "VERBOSE", NULL);
        zsock_wait(auth);
    }
    zstr_sendx(auth, "CURVE", allowed, NULL);
    zsock_wait(auth);
    return auth;
}

void auth_make_server(zsock_t *sock, zcert_t *cert)
{
    zcert_apply(cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "essp");
}

void auth_peer(zframe_t *frame, const char **name, const char **role)
{
    *name = zframe_meta(frame, "name");
    *role = zframe_meta(frame, "role");
    bool service = *role && strcmp(*role, AUTH_ROLE_SERVICE) == 0;
    if (!*name || !**name || !(auth_is_role(*role) || (service && config_service_by_name(*name) >= 0)))
        *name = *role = NULL;
}

/*  czmq's certificate store reloads keys/allowed when its file count,
 *  total size or newest modification time (whole seconds) changes.  A key
 *  replaced within the second of the last reload changes none of them
 *  (same count, same size, same second), and the old key would stay
 *  admitted.  So a certificate written here gets a modification time past
 *  every file's before the write: the newest time always moves, without
 *  waiting for the clock (which it may run ahead of by a second per write
 *  made within one second). */
static time_t s_newest_allowed(void)
{
    char dir[CONFIG_PATH_MAX];
    config_path("keys/allowed", dir, sizeof dir);
    time_t newest = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[CONFIG_PATH_MAX + 256];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    if (d)
        closedir(d);
    return newest;
}

static void s_mark_newest(const char *allowed, time_t newest_before)
{
    time_t now = time(NULL);
    time_t mark = newest_before >= now ? newest_before + 1 : now;
    struct timespec times[2] = {{.tv_sec = mark}, {.tv_sec = mark}};
    if (utimensat(AT_FDCWD, allowed, times, 0) != 0)
        log_warn("cannot set the time of %s: %s", allowed, strerror(errno));
}

int auth_issue(const char *role, const char *name)
{
    char pair[CONFIG_PATH_MAX], allowed[CONFIG_PATH_MAX];
    if (!auth_is_role(role) || auth_key_path(s_role_dir(role), name, ".cert", pair, sizeof pair)
        || s_allowed_path(role, name, allowed, sizeof allowed) || s_mkdir_keys(s_role_dir(role))
        || s_mkdir_keys("allowed"))
        return -1;
    zcert_t *cert = zcert_new();
    if (!cert)
        return -1;
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "role", "%s", role);
    time_t before = s_newest_allowed();
    int rc = zcert_save(cert, pair);
    if (rc == 0)
        rc = zcert_save_public(cert, allowed);
    zcert_destroy(&cert);
    if (rc == 0)
        s_mark_newest(allowed, before);
    return rc == 0 ? 0 : -1;
}

int auth_install_public(const char *role, const char *name, const unsigned char public_key[32])
{
    char allowed[CONFIG_PATH_MAX];
    if (!auth_is_role(role) || s_allowed_path(role, name, allowed, sizeof allowed) || s_mkdir_keys("allowed"))
        return -1;
    /* zcert_new_from wants a secret half: a zero one, never saved. */
    unsigned char none[32] = {0};
    zcert_t *cert = zcert_new_from(public_key, none);
    if (!cert)
        return -1;
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "role", "%s", role);
    time_t before = s_newest_allowed();
    int rc = zcert_save_public(cert, allowed);
    zcert_destroy(&cert);
    if (rc == 0)
        s_mark_newest(allowed, before);
    return rc == 0 ? 0 : -1;
}

int auth_revoke(const char *role, const char *name)
{
    char allowed[CONFIG_PATH_MAX];
    if (!auth_is_role(role) || s_allowed_path(role, name, allowed, sizeof allowed))
        return -1;
    return unlink(allowed) == 0 || errno == ENOENT ? 0 : -1;
}

bool auth_has_key(const char *role, const char *name)
{
    char secret[CONFIG_PATH_MAX];
    return auth_is_role(role) && auth_key_path(s_role_dir(role), name, S_SECRET, secret, sizeof secret) == 0
        && access(secret, R_OK) == 0;
}

zcert_t *auth_load(const char *role, const char *name)
{
    char secret[CONFIG_PATH_MAX];
    if (!auth_is_role(role) || auth_key_path(s_role_dir(role), name, S_SECRET, secret, sizeof secret))
        return NULL;
    return zcert_load(secret);
}

int auth_staff_name(char *out, size_t cap)
{
    const char *chosen = getenv("ESSP_STAFF");
    if (chosen && *chosen) {
        snprintf(out, cap, "%s", chosen);
        return 0;
    }
    char dir[CONFIG_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/keys/staff", config_home());
    DIR *d = opendir(dir);
    if (!d)
        return 1;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name), suffix = strlen(S_SECRET);
        if (len <= suffix || strcmp(e->d_name + len - suffix, S_SECRET) != 0)
            continue;
        if (auth_name_of_file(e->d_name, len - suffix, out, cap) == 0)
            found++;
    }
    closedir(d);
    return found == 0 ? 1 : found == 1 ? 0 : 2;
}

int auth_make_client(zsock_t *sock, zcert_t *cert, service_id_t service)
{
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("", config_service_name(service), ".cert", path, sizeof path))
        return -1;
    zcert_t *server = zcert_load(path);
    if (!server)
        return -1;
    zcert_apply(cert, sock);
    zsock_set_curve_serverkey(sock, zcert_public_txt(server));
    zcert_destroy(&server);
    return 0;
}
