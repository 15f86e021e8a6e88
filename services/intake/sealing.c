/*  services/intake/sealing.c - see sealing.h. */
#include "sealing.h"

#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"

#include <czmq.h>
#include <string.h>

/*  The core runs in the service's one thread: no lock. */
static uint8_t s_notify_key[SEALED_TOKEN_KEY_BYTES];
static bool s_found;
static bool s_warned;
static int64_t s_next_look_ms;   /* no look before, while the key is not there */

/*  A missing key is looked for again a second later, not at every seal:
 *  a stack without notify would read the directory at each submission. */
#define S_LOOK_AGAIN_MS 1000

/*  notify's public key from keys/allowed/service-notify.cert, once it
 *  is there with notify's name and the role service. */
static bool s_find_key(void)
{
    if (s_found)
        return true;
    int64_t now = zclock_mono();
    if (now < s_next_look_ms)
        return false;
    s_next_look_ms = now + S_LOOK_AGAIN_MS;
    char path[CONFIG_PATH_MAX];
    if (auth_key_path("allowed", "service-notify", ".cert", path, sizeof path))
        return false;
    zcert_t *cert = zsys_file_exists(path) ? zcert_load(path) : NULL;
    const char *role = cert ? zcert_meta(cert, "role") : NULL, *name = cert ? zcert_meta(cert, "name") : NULL;
    if (cert && role && name && strcmp(role, AUTH_ROLE_SERVICE) == 0 && strcmp(name, "notify") == 0) {
        memcpy(s_notify_key, zcert_public_key(cert), sizeof s_notify_key);
        s_found = true;
        log_info("tokens are sealed for notify (%s)", path);
    } else if (!s_warned) {
        s_warned = true;
        log_warn("no key of notify in %s (role service, name notify): tracking links cannot be mailed until "
                 "notify has started once", path);
    }
    zcert_destroy(&cert);
    return s_found;
}

bool sealing_token(const char *token, size_t len, uint8_t out[SEALED_TOKEN_MAX], size_t *out_len)
{
    return s_find_key() && sealed_token_seal(s_notify_key, token, len, out, SEALED_TOKEN_MAX, out_len) == 0;
}

void sealing_forget(void)
{
    s_found = false;
    s_warned = false;
    s_next_look_ms = 0;
}
