/*  services/cli/cmd_desk.c - accounts on essp-desk, the committee's and the
 *  staff's web site (staff key).
 *
 *  An account is made here as the desk makes it: a new CURVE key pair,
 *  whose public half the desk installs in keys/allowed, and whose secret
 *  half is sent only sealed under a one-time invitation token (256 random
 *  bits; the desk stores its hash).  The invitation URL printed is the
 *  only place the token exists: the person opens it, chooses a password,
 *  and the desk reseals the secret under it (common/sealed_key.h).
 *    essp member add NAME --college C --email E   (review, then the desk)
 *    essp staff add NAME --email E
 *    essp desk invite member|staff NAME EMAIL
 *    essp desk list | desk remove EMAIL | desk reset EMAIL
 *    essp desk demo-account member|staff NAME EMAIL --out FILE
 *  reset issues a new key pair (the old one is refused from then on) and a
 *  new invitation.  demo-account sets a random password directly, written
 *  with the staff's TOTP secret to FILE (mode 0600): for the demo only.
 */
#include "commands.h"

#include "output.h"

#include "common/auth.h"
#include "common/sealed_key.h"
#include "proto/doc.h"
#include "proto/identifiers.h"
#include "proto/messages.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_INVITATION_DAYS 7

/*  Packs the fields every account_invite has. */
static void s_pack_account(request_t *r, const char *role, const char *name, const char *email,
                           const unsigned char public_key[32], const unsigned char sealed[72])
{
    proto_pack_kv_str(&r->pk, "email", email);
    proto_pack_kv_str(&r->pk, "name", name);
    proto_pack_kv_str(&r->pk, "role", role);
    proto_pack_str(&r->pk, "public_key");
    msgpack_pack_bin_with_body(&r->pk, public_key, 32);
    proto_pack_str(&r->pk, "sealed_secret");
    msgpack_pack_bin_with_body(&r->pk, sealed, 72);
}

/*  Sends the request to the desk and prints its refusal, if any. */
static int s_send(request_t *r, reply_t *reply)
{
    int rc = client_call(SERVICE_DESK, &r->buf, 0, reply);
    msgpack_sbuffer_destroy(&r->buf);
    if (rc != EXIT_OK) {
        reply_release(reply);      /* a refusal still holds the reply's frame */
        return rc;
    }
    if (doc_str_eq(&reply->msg, "type", "error")) {
        char message[512] = "", field[64] = "", rule[64] = "";
        doc_strcpy(&reply->msg, "message", message, sizeof message);
        doc_strcpy(&reply->msg, "field", field, sizeof field);
        doc_strcpy(&reply->msg, "rule", rule, sizeof rule);
        fprintf(stderr, "essp: the desk refused: %s (field %s, rule %s)\n", message, field, rule);
        reply_release(reply);
        return EXIT_REFUSED;
    }
    return EXIT_OK;
}

int cli_desk_invite(const char *role, const char *name, const char *email, bool reset)
{
    /* A member added by `essp member add` has a key pair on this host
     * already (the tool votes with it): the desk gets the same one.  A
     * reset always makes a new one. */
    zcert_t *cert = reset ? NULL : auth_load(role, name);
    if (!cert)
        cert = zcert_new();
    if (!cert)
        return EXIT_REFUSED;
    unsigned char token[SEALED_TOKEN_BYTES], key[SEALED_KEY_BYTES], hash[32], sealed[72];
    randombytes_buf(token, sizeof token);
    sealed_key_from_token(token, key);
    sealed_token_hash(token, hash);
    sealed_seal(key, zcert_secret_key(cert), 32, sealed);
    sodium_memzero(key, sizeof key);
    request_t r;
    request_init(&r, "account_invite", proto_entries(7, reset));
    s_pack_account(&r, role, name, email, zcert_public_key(cert), sealed);
    zcert_destroy(&cert);
    proto_pack_str(&r.pk, "token_hash");
    msgpack_pack_bin_with_body(&r.pk, hash, 32);
    proto_pack_kv_uint(&r.pk, "expires", (uint64_t)time(NULL) + S_INVITATION_DAYS * 86400);
    if (reset)
        proto_pack_kv_bool(&r.pk, "reset", true);
    reply_t reply;
    int rc = s_send(&r, &reply);
    if (rc != EXIT_OK) {
        sodium_memzero(token, sizeof token);
        return rc;
    }
    reply_release(&reply);
    char url[CONFIG_ENDPOINT_MAX], text[64], link[CONFIG_ENDPOINT_MAX + 80];
    config_desk_url(url, sizeof url);
    sealed_token_text(token, text, sizeof text);
    sodium_memzero(token, sizeof token);
    size_t len = strlen(url);
    snprintf(link, sizeof link, "%s%sinvitation/%s", url, len && url[len - 1] == '/' ? "" : "/", text);
    printf("{\"email\":");
    output_json_string(email, stdout);
    printf(",\"name\":");
    output_json_string(name, stdout);
    printf(",\"role\":\"%s\",\"invitation\":", role);
    output_json_string(link, stdout);
    printf(",\"valid_days\":%d}\n", S_INVITATION_DAYS);
    return EXIT_OK;
}

bool cli_desk_deployed(void)
{
    char path[CONFIG_PATH_MAX];
    return auth_key_path("", "desk", ".cert", path, sizeof path) == 0 && access(path, R_OK) == 0;
}

static bool s_email_ok(const char *email)
{
    return id_login_valid(email, strlen(email));
}

int cmd_staff_add(const args_t *args)
{
    const char *email = args_value(args, "email");
    if (!s_email_ok(email))
        return cli_usage("--email takes an address such as prenom.nom@exemple.fr");
    int rc = cli_as_staff();
    return rc == EXIT_OK ? cli_desk_invite(AUTH_ROLE_STAFF, args->pos[0], email, false) : rc;
}

/*  An account for someone the desk does not know yet (a member added
 *  before the desk was deployed). */
int cmd_desk_invite(const args_t *args)
{
    const char *role = args->pos[0], *name = args->pos[1], *email = args->pos[2];
    if (!auth_is_role(role))
        return cli_usage("the role is member or staff");
    if (!s_email_ok(email))
        return cli_usage("the e-mail address is one such as prenom.nom@exemple.fr");
    int rc = cli_as_staff();
    return rc == EXIT_OK ? cli_desk_invite(role, name, email, false) : rc;
}

int cmd_desk_list(const args_t *args)
{
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "account_list", 0);
    return request_call_and_print(SERVICE_DESK, &r, "accounts");
}

int cli_desk_remove_member(const char *name)
{
    request_t r;
    request_init(&r, "account_list", 0);
    reply_t reply;
    int rc = s_send(&r, &reply);
    if (rc != EXIT_OK)
        return rc;
    const msgpack_object *accounts = doc_array(&reply.msg, "accounts");
    char email[PROTO_EMAIL_MAX + 1] = "";
    for (size_t i = 0; i < doc_len(accounts) && !*email; i++) {
        const msgpack_object *a = doc_at(accounts, i);
        if (doc_str_eq(a, "name", name) && doc_str_eq(a, "role", AUTH_ROLE_MEMBER))
            doc_strcpy(a, "email", email, sizeof email);
    }
    reply_release(&reply);
    if (!*email)
        return EXIT_OK;
    request_init(&r, "account_remove", 1);
    proto_pack_kv_str(&r.pk, "email", email);
    if ((rc = s_send(&r, &reply)) == EXIT_OK) {
        output_pair("desk_account_removed", email, "name", name, stdout);
        reply_release(&reply);
    }
    return rc;
}

int cmd_desk_remove(const args_t *args)
{
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "account_remove", 1);
    proto_pack_kv_str(&r.pk, "email", args->pos[0]);
    return request_call_and_print(SERVICE_DESK, &r, NULL);
}

/*  A new key pair and a new invitation for an account: its name and role
 *  come from the desk's list. */
int cmd_desk_reset(const args_t *args)
{
    const char *email = args->pos[0];
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    request_t r;
    request_init(&r, "account_list", 0);
    reply_t reply;
    if ((rc = s_send(&r, &reply)) != EXIT_OK)
        return rc;
    const msgpack_object *accounts = doc_array(&reply.msg, "accounts");
    char name[PROTO_NAME_MAX + 1] = "", role[16] = "";
    for (size_t i = 0; i < doc_len(accounts); i++) {
        const msgpack_object *a = doc_at(accounts, i);
        if (doc_str_eq(a, "email", email)) {
            doc_strcpy(a, "name", name, sizeof name);
            doc_strcpy(a, "role", role, sizeof role);
        }
    }
    reply_release(&reply);
    if (!*name) {
        fprintf(stderr, "essp: no desk account with the e-mail address '%s' (essp desk list)\n", email);
        return EXIT_REFUSED;
    }
    return cli_desk_invite(role, name, email, true);
}

/* ------------------------------------------------------------------ demo */

/*  A random password of 20 characters (~119 bits). */
static void s_random_password(char out[21])
{
    static const char letters[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < 20; i++)
        out[i] = letters[randombytes_uniform(sizeof letters - 1)];
    out[20] = '\0';
}

static void s_base32(const unsigned char *bytes, size_t len, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t n = 0, bits = 0;
    unsigned value = 0;
    for (size_t i = 0; i < len; i++) {
        value = (value << 8) | bytes[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = alphabet[(value >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[n++] = alphabet[(value << (5 - bits)) & 31];
    out[n] = '\0';
}

int cmd_desk_demo_account(const args_t *args)
{
    const char *role = args->pos[0], *name = args->pos[1], *email = args->pos[2];
    const char *file = args_value(args, "out");
    if (!auth_is_role(role))
        return cli_usage("the role is member or staff");
    if (!s_email_ok(email))
        return cli_usage("the e-mail address is one such as prenom.nom@exemple.fr");
    int rc = cli_as_staff();
    if (rc != EXIT_OK)
        return rc;
    /* The demo's members keep the key pair the essp tool votes with, when
     * this host has one: both the tool and the desk then vote as them. */
    zcert_t *cert = auth_load(role, name);
    if (!cert && !(cert = zcert_new()))
        return EXIT_REFUSED;
    char password[21], totp_text[64] = "";
    unsigned char salt[SEALED_SALT_BYTES], key[SEALED_KEY_BYTES], sealed[72], totp[20], totp_sealed[60];
    char pwhash[crypto_pwhash_STRBYTES];
    s_random_password(password);
    randombytes_buf(salt, sizeof salt);
    if (sealed_key_from_password(password, strlen(password), salt, key) != 0
        || crypto_pwhash_str(pwhash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        zcert_destroy(&cert);
        return EXIT_REFUSED;
    }
    sealed_seal(key, zcert_secret_key(cert), 32, sealed);
    bool staff = !strcmp(role, AUTH_ROLE_STAFF);
    if (staff) {
        randombytes_buf(totp, sizeof totp);
        sealed_seal(key, totp, sizeof totp, totp_sealed);
        s_base32(totp, sizeof totp, totp_text);
    }
    sodium_memzero(key, sizeof key);
    request_t r;
    request_init(&r, "account_invite", proto_entries(7, staff));
    s_pack_account(&r, role, name, email, zcert_public_key(cert), sealed);
    zcert_destroy(&cert);
    proto_pack_kv_str(&r.pk, "pwhash", pwhash);
    proto_pack_str(&r.pk, "salt");
    msgpack_pack_bin_with_body(&r.pk, salt, sizeof salt);
    if (staff) {
        proto_pack_str(&r.pk, "totp_sealed");
        msgpack_pack_bin_with_body(&r.pk, totp_sealed, sizeof totp_sealed);
    }
    reply_t reply;
    if ((rc = s_send(&r, &reply)) != EXIT_OK)
        return rc;
    reply_release(&reply);
    /* Appended to a file only its owner reads. */
    int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0600);
    FILE *out = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "a") : NULL;
    if (!out) {
        fprintf(stderr, "essp: cannot write %s: %s\n", file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_REFUSED;
    }
    fprintf(out, "%s\t%s\t%s\t%s%s%s\n", role, name, email, password, staff ? "\ttotp:" : "", totp_text);
    fclose(out);
    sodium_memzero(password, sizeof password);
    printf("{\"email\":");
    output_json_string(email, stdout);
    printf(",\"role\":\"%s\",\"passwords\":", role);
    output_json_string(file, stdout);
    printf("}\n");
    return EXIT_OK;
}
