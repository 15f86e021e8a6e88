/*  services/desk/totp.c - see totp.h. */
#include "totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_init(void)
{
    oath_init();
}

void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, TOTP_SECRET_BYTES);
}

int totp_base32(const unsigned char *secret, size_t len, char *out, size_t cap)
{
    pthread_once(&s_once, s_init);
    char *text = NULL;
    size_t text_len = 0;
    if (oath_base32_encode((const char *)secret, len, &text, &text_len) != OATH_OK)
        return -1;
    while (text_len && text[text_len - 1] == '=')
        text_len--;
    int rc = text_len + 1 <= cap ? 0 : -1;
    if (!rc) {
        memcpy(out, text, text_len);
        out[text_len] = '\0';
    }
    free(text);
    return rc;
}

int totp_uri(const unsigned char *secret, size_t len, const char *email, char *out, size_t cap)
{
    char base32[64], label[3 * 254 + 1];
    if (totp_base32(secret, len, base32, sizeof base32) != 0)
        return -1;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)email; *p && n + 4 < sizeof label; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
            || *p == '.' || *p == '-' || *p == '_' || *p == '@';
        n += plain ? (size_t)snprintf(label + n, sizeof label - n, "%c", *p)
                   : (size_t)snprintf(label + n, sizeof label - n, "%%%02X", *p);
    }
    label[n] = '\0';
    int w = snprintf(out, cap, "otpauth://totp/ESS%%20Pratiques:%s?secret=%s&issuer=ESS%%20Pratiques"
                     "&algorithm=SHA1&digits=6&period=30", label, base32);
    return w > 0 && (size_t)w < cap ? 0 : -1;
}

int totp_code(const unsigned char *secret, size_t len, int64_t now, unsigned digits, char *out, size_t cap)
{
    pthread_once(&s_once, s_init);
    if (cap < digits + 1)
        return -1;
    return oath_totp_generate((const char *)secret, len, (time_t)now, OATH_TOTP_DEFAULT_TIME_STEP_SIZE,
                              OATH_TOTP_DEFAULT_START_TIME, digits, out) == OATH_OK ? 0 : -1;
}

bool totp_check(const unsigned char *secret, size_t len, const char *code, int64_t now, int64_t *step)
{
    pthread_once(&s_once, s_init);
    char digits[8];
    size_t n = 0;
    for (const char *p = code; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p < '0' || *p > '9' || n == 6)
            return false;
        digits[n++] = *p;
    }
    if (n != 6)
        return false;
    digits[n] = '\0';
    int position = 0;
    if (oath_totp_validate2((const char *)secret, len, (time_t)now, OATH_TOTP_DEFAULT_TIME_STEP_SIZE,
                            OATH_TOTP_DEFAULT_START_TIME, 1, &position, digits) < 0)
        return false;
    if (step)
        *step = now / OATH_TOTP_DEFAULT_TIME_STEP_SIZE + position;
    return true;
}

/*  Recovery codes use 32 letters and digits that cannot be confused
 *  (31 of them: no 0/o, 1/l/i). */
static const char s_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

static int s_normalize(const char *typed, char out[17])
{
    size_t n = 0;
    for (const char *p = typed; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!strchr(s_alphabet, c) || n == 16)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 16 ? 0 : -1;
}

int totp_recovery_hash(const char *typed, unsigned char hash[32])
{
    char plain[17];
    if (s_normalize(typed, plain) != 0)
        return -1;
    static const unsigned char context[] = "essp desk recovery code v1";
    crypto_generichash(hash, 32, (const unsigned char *)plain, 16, context, sizeof context - 1);
    return 0;
}

void totp_recovery_new(char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_TEXT],
                       unsigned char hashes[TOTP_RECOVERY_CODES][32])
{
    size_t letters = sizeof s_alphabet - 1;
    for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++) {
        size_t n = 0;
        for (size_t k = 0; k < 16; k++) {
            if (k && k % 4 == 0)
                codes[i][n++] = '-';
            codes[i][n++] = s_alphabet[randombytes_uniform((uint32_t)letters)];
        }
        codes[i][n] = '\0';
        totp_recovery_hash(codes[i], hashes[i]);
    }
}
