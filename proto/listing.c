/*  proto/listing.c - see listing.h. */
#include "listing.h"

#include "doc.h"
#include "text.h"

#include <sodium.h>
#include <string.h>

void listing_siret(const msgpack_object *application, char out[LISTING_SIRET_MAX])
{
    const char *text = "";
    size_t len = 0, n = 0;
    doc_str(doc_map(application, "organisation"), "siret", &text, &len);
    for (size_t i = 0; i < len && n < LISTING_SIRET_MAX - 1; i++)
        if (text[i] >= '0' && text[i] <= '9')
            out[n++] = text[i];
    out[n] = '\0';
}

void listing_key(const msgpack_object *application, char out[LISTING_KEY_MAX])
{
    listing_siret(application, out);
    const char *advisor;
    size_t len;
    char folded[1024];
    if (!*out || !doc_str(application, "advisor", &advisor, &len))
        return;
    size_t n = text_fold(advisor, len, folded, sizeof folded);
    if (n == 0)
        return;
    unsigned char hash[16];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)folded, n, NULL, 0);
    size_t at = strlen(out);
    out[at++] = ':';
    sodium_bin2hex(out + at, LISTING_KEY_MAX - at, hash, sizeof hash);
}
