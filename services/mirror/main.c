/*  essp-mirror: the reference downstream site.
 *
 *      essp-mirror --out DIR [--once] [--data DIR] [--endpoint ENDPOINT]
 *                  [--key HEX | --key-file FILE] [--base-url URL]
 *
 *  Follows the publication stream from its own cursor, verifies the
 *  signature of every event (mirror.h), keeps its copy of the directory in
 *  its own LMDB environment (default $ESSP_HOME/data/mirror) and the static
 *  site in --out up to date (site.h).  The key it trusts is --key or
 *  --key-file (the publication service's publication.pub), else the one it
 *  trusted before, else the one the stream's hello gives on first start.
 *  --once stops when it has caught up with the stream.
 *
 *  Exit codes: 0 done (or SIGTERM), 1 an event refused (its signature does
 *  not verify, or it is malformed: reported, nothing after it applied),
 *  2 usage, 3 the publication service does not answer, 4 storage or files,
 *  5 rewind: the stream's head is behind this mirror's cursor (the
 *  publication service was restored from a backup older than what the
 *  mirror shows, or it is another installation): nothing is applied, the
 *  site stays as it is, and an operator decides (proto/README.md 6.3).
 */
#include "follow.h"
#include "mirror.h"
#include "site.h"

#include "common/compact_mark.h"
#include "common/config.h"
#include "proto/doc.h"
#include "common/log.h"
#include "common/store.h"
#include "proto/messages.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { S_OK = 0, S_REFUSED = 1, S_USAGE = 2, S_UNREACHABLE = 3, S_STORAGE = 4, S_REWOUND = 5 };

#define S_SITE_PAUSE_MS 1000   /* live: the site is rewritten at most once a second */

typedef struct {
    const char *out;
    const char *data;
    const char *endpoint;
    const char *key_text;
    const char *key_file;
    const char *base_url;
    bool once;
} options_t;

typedef struct {
    options_t opt;
    char public_url[CONFIG_PATH_MAX];   /* where people apply: the footer's links */
    char base_url[CONFIG_PATH_MAX];     /* --base-url checked, ending in '/', or "" */
    uint64_t edition;       /* the SITE_EDITION of the pages on disk (0: before editions) */
    store_t *store;
    MDB_dbi dbs[8];
    follow_t *follow;
    mirror_t *mirror;
    unsigned char key[STREAM_SIGN_PUBLIC_BYTES];
    char key_hex[STREAM_SIGN_HEX_MAX];
    uint64_t cursor;
    uint64_t site;          /* the cursor the files show */
    int64_t site_at_ms;
    bool compact;           /* an erasure was applied: compact the store (common/compact_mark.h) */
    char endpoint[CONFIG_ENDPOINT_MAX];   /* the publication service's */
} mirror_main_t;

static int s_usage(const char *problem)
{
    fprintf(stderr, "essp-mirror: %s\nusage: essp-mirror --out DIR [--once] [--data DIR] "
                    "[--endpoint ENDPOINT] [--key HEX | --key-file FILE] [--base-url URL]\n",
            problem);
    return S_USAGE;
}

static int s_parse(int argc, char **argv, options_t *opt)
{
    static const char *const valued[] = {"--out", "--data", "--endpoint", "--key", "--key-file",
                                         "--base-url"};
    const char **slots[] = {&opt->out, &opt->data, &opt->endpoint, &opt->key_text, &opt->key_file,
                            &opt->base_url};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0) {
            opt->once = true;
            continue;
        }
        size_t v = 0;
        while (v < 6 && strcmp(argv[i], valued[v]) != 0)
            v++;
        if (v == 6)
            return s_usage("unknown argument");
        if (i + 1 >= argc)
            return s_usage("an option lacks its value");
        *slots[v] = argv[++i];
    }
    if (!opt->out)
        return s_usage("--out DIR is required");
    if (opt->key_text && opt->key_file)
        return s_usage("--key and --key-file: one or the other");
    return S_OK;
}

/* -------------------------------------------------------------- the key */

static int s_key_given(mirror_main_t *self, bool *given)
{
    char text[256] = "";
    *given = false;
    if (self->opt.key_file) {
        FILE *file = fopen(self->opt.key_file, "r");
        size_t len = file ? fread(text, 1, sizeof text - 1, file) : 0;
        if (file)
            fclose(file);
        text[len] = '\0';
        if (!file) {
            log_error("cannot read %s: %s", self->opt.key_file, strerror(errno));
            return S_USAGE;
        }
    } else if (self->opt.key_text) {
        snprintf(text, sizeof text, "%s", self->opt.key_text);
    } else {
        return S_OK;
    }
    if (stream_sign_public_from_hex(text, strlen(text), self->key) != 0) {
        log_error("the publication key must be 64 hex digits");
        return S_USAGE;
    }
    *given = true;
    return S_OK;
}

/*  The key the hello's chain ("keys": [{key, since}], oldest first) says
 *  signs event seq, into key; false when the hello has no chain. */
static bool s_chain_key_at(const msgpack_object *hello, uint64_t seq, unsigned char key[STREAM_SIGN_PUBLIC_BYTES])
{
    const msgpack_object *chain = doc_array(hello, "keys");
    bool found = false;
    for (size_t i = 0; i < doc_len(chain); i++) {
        const msgpack_object *link = doc_at(chain, i);
        const char *hex;
        size_t hex_len;
        uint64_t since = 0;
        if (link->type != MSGPACK_OBJECT_MAP || !doc_uint(link, "since", &since) || since > seq)
            break;
        if (doc_str(link, "key", &hex, &hex_len) && stream_sign_public_from_hex(hex, hex_len, key) == 0)
            found = true;
    }
    return found;
}

/*  True when key is one of the hello's chain. */
static bool s_chain_has(const msgpack_object *hello, const unsigned char key[STREAM_SIGN_PUBLIC_BYTES])
{
    const msgpack_object *chain = doc_array(hello, "keys");
    for (size_t i = 0; i < doc_len(chain); i++) {
        const char *hex;
        size_t hex_len;
        unsigned char link[STREAM_SIGN_PUBLIC_BYTES];
        if (doc_str(doc_at(chain, i), "key", &hex, &hex_len) && stream_sign_public_from_hex(hex, hex_len, link) == 0
            && memcmp(link, key, sizeof link) == 0)
            return true;
    }
    return false;
}

/*  The stream behind the endpoint ends before this mirror's cursor: its
 *  next events would not be the ones the cursor counts, and following it
 *  would silently mix two histories into the site.  Stop, and say so. */
static bool s_rewound(const mirror_main_t *self, uint64_t head)
{
    if (head >= self->cursor)
        return false;
    log_error("REWIND DETECTED: the publication stream at %s ends at seq %llu but this mirror has applied it "
              "up to seq %llu; nothing more is applied and the site in %s stays as it is. The publication "
              "service was restored from an older backup (or this is another installation): rebuild the "
              "mirror from the start (an empty --data directory) to show the restored directory, or point it "
              "back at the installation it followed",
              self->endpoint, (unsigned long long)head,
              (unsigned long long)self->cursor, self->opt.out);
    return true;
}

/*  Settles the key to trust: given, else stored, else the hello's (trust on
 *  first use: the key of its chain that signs the event after the cursor,
 *  the first key for a new site); a key that differs from the stored one
 *  is refused, since every entry here was verified with the stored one.
 *  Once trusted, a key changes only by a key event of the stream signed
 *  with it (mirror.h). */
static int s_settle_key(mirror_main_t *self)
{
    bool given;
    int code = s_key_given(self, &given);
    if (code)
        return code;
    follow_reply_t hello;
    if (follow_hello(self->follow, &hello) != 0)
        return S_UNREACHABLE;
    uint64_t head = 0;
    doc_uint(&hello.msg, "head", &head);
    if (s_rewound(self, head)) {
        follow_reply_release(&hello);
        return S_REWOUND;
    }
    unsigned char offered[STREAM_SIGN_PUBLIC_BYTES];
    const char *hex;
    size_t hex_len;
    bool parsed = doc_str(&hello.msg, "key", &hex, &hex_len)
                  && stream_sign_public_from_hex(hex, hex_len, offered) == 0;
    unsigned char first[STREAM_SIGN_PUBLIC_BYTES], stored_key[STREAM_SIGN_PUBLIC_BYTES];
    bool chained = parsed && s_chain_key_at(&hello.msg, self->cursor + 1, first);
    if (parsed && !chained)
        memcpy(first, offered, sizeof first);
    if (!parsed) {
        follow_reply_release(&hello);
        log_error("the stream's hello carries no key");
        return S_REFUSED;
    }
    MDB_txn *txn;
    if (store_begin(self->store, false, &txn) != 0) {
        follow_reply_release(&hello);
        return S_STORAGE;
    }
    MDB_val k = {3, "key"}, v;
    bool stored = mdb_get(txn, self->dbs[MIRROR_DB_META], &k, &v) == 0 && v.mv_size == sizeof self->key;
    if (stored)
        memcpy(stored_key, v.mv_data, sizeof stored_key);
    /* After a rotation the key given (the same command line, or the new
     * publication.pub) may differ from the one trusted now: the mirror
     * keeps trusting the stored key, which only a key event signed with it
     * changes, when the given key is the first it trusted or one of the
     * stream's chain. */
    MDB_val sk = {8, "site_key"}, sv;
    unsigned char site[STREAM_SIGN_PUBLIC_BYTES];
    bool site_key = mdb_get(txn, self->dbs[MIRROR_DB_META], &sk, &sv) == 0 && sv.mv_size == sizeof site;
    if (site_key)
        memcpy(site, sv.mv_data, sizeof site);
    if (stored && given && memcmp(stored_key, self->key, sizeof self->key) != 0
        && ((site_key && memcmp(site, self->key, sizeof self->key) == 0)
            || (s_chain_has(&hello.msg, self->key) && s_chain_has(&hello.msg, stored_key)))) {
        char given_hex[STREAM_SIGN_HEX_MAX];
        stream_sign_public_hex(self->key, given_hex);
        log_info("the key given, %s, is of this stream's chain: the key trusted now is the one stored", given_hex);
        memcpy(self->key, stored_key, sizeof self->key);
    }
    if (stored && given && memcmp(stored_key, self->key, sizeof self->key) != 0) {
        mdb_txn_abort(txn);
        follow_reply_release(&hello);
        log_error("the key given is not the one this mirror's entries were verified with; "
                  "start from an empty --data directory to change keys");
        return S_REFUSED;
    }
    if (stored)
        memcpy(self->key, stored_key, sizeof self->key);
    else if (!given)
        memcpy(self->key, first, sizeof self->key);
    char key_hex[STREAM_SIGN_HEX_MAX];
    stream_sign_public_hex(self->key, key_hex);
    if (memcmp(self->key, offered, sizeof self->key) != 0 && s_chain_has(&hello.msg, self->key))
        log_info("the stream has changed keys since %s: following its key events", key_hex);
    else if (memcmp(self->key, offered, sizeof self->key) != 0)
        log_warn("the publication service now presents another key than %s, and no chain from it: "
                 "its events will be refused unless a key event signed by %s names the new key",
                 key_hex, key_hex);
    follow_reply_release(&hello);
    if (!stored && !given)
        log_warn("trusting the key of the stream's hello on first use: %s", key_hex);
    int rc = stored ? 0 : store_put(txn, self->dbs[MIRROR_DB_META], "key", 3, self->key, sizeof self->key);
    /* The site keeps the name it was first given (the feed's ids) through
     * rotations: the first key trusted. */
    if (rc == 0 && site_key)
        stream_sign_public_hex(site, self->key_hex);
    else if (rc == 0 && (rc = store_put(txn, self->dbs[MIRROR_DB_META], "site_key", 8, self->key,
                                        sizeof self->key)) == 0)
        stream_sign_public_hex(self->key, self->key_hex);
    if (rc == 0)
        rc = store_commit(self->store, txn);
    else
        mdb_txn_abort(txn);
    return rc ? S_STORAGE : S_OK;
}

/* ------------------------------------------------------------ the stream */

/*  Applies events in one transaction with the new cursor.  Events before a
 *  refused one are kept (they verified); the refused one and what follows
 *  are not.  Returns S_OK, S_REFUSED or S_STORAGE. */
static void s_data_dir(const mirror_main_t *self, char *out, size_t cap)
{
    if (self->opt.data)
        snprintf(out, cap, "%s", self->opt.data);
    else
        snprintf(out, cap, "%s/data/mirror", config_home());
}

/*  Before the commit of a batch that erases (common/compact_mark.h). */
static void s_owe_compaction(mirror_main_t *self)
{
    self->compact = true;
    char data[CONFIG_PATH_MAX];
    s_data_dir(self, data, sizeof data);
    compact_mark_set(data);
}

/*  After an erasure: a compacted copy replaces the store, so the erased
 *  entry's bytes do not stay in LMDB's freed pages (store_compact).  A
 *  compaction that fails with the store still open leaves the mark: the
 *  next start compacts. */
static int s_compact(mirror_main_t *self)
{
    self->compact = false;
    char data[CONFIG_PATH_MAX];
    s_data_dir(self, data, sizeof data);
    int rc = store_compact(&self->store, data, mirror_dbs);
    if (rc != 0 && !self->store)
        return S_STORAGE;
    if (rc != 0) {
        log_warn("the erasure's compaction is owed: it is made at the next start");
        return S_OK;
    }
    compact_mark_clear(data);
    return S_OK;
}

static int s_apply(mirror_main_t *self, const msgpack_object *events, uint64_t *last)
{
    int outcome = S_OK;
    for (;;) {
        MDB_txn *txn;
        int rc = store_begin(self->store, false, &txn);
        bool erased = false;
        *last = self->cursor;
        for (size_t i = 0; rc == 0 && i < doc_len(events); i++) {
            const msgpack_object *event = doc_at(events, i);
            uint64_t seq = 0;
            doc_uint(event, "seq", &seq);
            if (seq <= *last)
                continue;
            if (seq != *last + 1) {
                log_error("gap in the stream: seq %llu after %llu", (unsigned long long)seq,
                          (unsigned long long)*last);
                outcome = S_REFUSED;
                break;
            }
            proto_error_t err;
            rc = mirror_apply(self->mirror, txn, self->dbs, event, &err);
            if (rc == MIRROR_REFUSED) {
                log_error("event refused: %s (field '%s', rule %s); the site stays at seq %llu",
                          err.message, err.field, err.rule, (unsigned long long)*last);
                outcome = S_REFUSED;
                rc = 0;
                break;
            }
            if (rc == 0)
                *last = seq;
            /* From the verified content: the unsigned copy of the reason
             * may have been rewritten on the way. */
            if (rc == 0 && mirror_erased(self->mirror))
                erased = true;
        }
        if (rc == 0 && *last != self->cursor)
            rc = store_put_u64(txn, self->dbs[MIRROR_DB_META], "cursor", *last);
        if (rc == 0 && erased)
            s_owe_compaction(self);
        if (rc == 0)
            rc = store_commit(self->store, txn);
        else
            mdb_txn_abort(txn);
        if (rc == MDB_MAP_FULL && store_grow(self->store) == 0)
            continue;
        if (rc) {
            log_error("cannot store the batch: %s", mdb_strerror(rc));
            return S_STORAGE;
        }
        self->cursor = *last;
        if (self->compact && s_compact(self) != S_OK)
            return S_STORAGE;
        return outcome;
    }
}

static int s_site(mirror_main_t *self, bool full)
{
    site_options_t options = {self->opt.out, self->base_url, self->key_hex, self->public_url};
    int64_t started = zclock_mono();
    if (site_update(self->store, &options, full) != 0)
        return S_STORAGE;
    self->site = self->cursor;
    self->site_at_ms = zclock_mono();
    log_info("site %s up to date at seq %llu (%lld ms)", self->opt.out, (unsigned long long)self->cursor,
             (long long)(self->site_at_ms - started));
    return S_OK;
}

static int s_follow(mirror_main_t *self)
{
    while (!zsys_interrupted) {
        /* Live, a stale site waits for the pause to end, not for the next
         * event. */
        uint32_t wait = 10000;
        int64_t since = zclock_mono() - self->site_at_ms;
        if (self->site != self->cursor)
            wait = since >= S_SITE_PAUSE_MS ? 0 : (uint32_t)(S_SITE_PAUSE_MS - since);
        follow_reply_t reply;
        if (follow_pull(self->follow, self->cursor, PROTO_BATCH_MAX, self->opt.once ? 0 : wait, &reply) != 0)
            return zsys_interrupted ? S_OK : S_UNREACHABLE;
        uint64_t head = 0, last = self->cursor;
        doc_uint(&reply.msg, "head", &head);
        /* Checked before anything of the batch is applied. */
        if (s_rewound(self, head)) {
            follow_reply_release(&reply);
            return S_REWOUND;
        }
        const msgpack_object *events = doc_array(&reply.msg, "events");
        int code = doc_len(events) ? s_apply(self, events, &last) : S_OK;
        follow_reply_release(&reply);
        bool caught_up = self->cursor >= head;
        if (code == S_REFUSED) {
            s_site(self, false);
            return S_REFUSED;
        }
        if (code)
            return code;
        if (caught_up && self->site != self->cursor
            && zclock_mono() - self->site_at_ms >= S_SITE_PAUSE_MS && (code = s_site(self, false)))
            return code;
        if (caught_up && self->opt.once)
            return self->site == self->cursor ? S_OK : s_site(self, false);
    }
    return S_OK;
}

/* ----------------------------------------------------------------- start */

static int s_open(mirror_main_t *self)
{
    char data[CONFIG_PATH_MAX], endpoint[CONFIG_ENDPOINT_MAX];
    s_data_dir(self, data, sizeof data);
    self->store = store_new(data, mirror_dbs);
    if (!self->store)
        return S_STORAGE;
    for (size_t i = 0; mirror_dbs[i]; i++)
        self->dbs[i] = store_db(self->store, i);
    if (compact_mark_present(data)) {
        log_info("an erasure's compaction is owed (it failed, or the mirror stopped first): compacting");
        if (s_compact(self) != S_OK)
            return S_STORAGE;
    }
    MDB_txn *txn;
    if (store_begin(self->store, true, &txn) != 0)
        return S_STORAGE;
    store_get_u64(txn, self->dbs[MIRROR_DB_META], "cursor", &self->cursor);
    store_get_u64(txn, self->dbs[MIRROR_DB_META], "site", &self->site);
    store_get_u64(txn, self->dbs[MIRROR_DB_META], "edition", &self->edition);
    mdb_txn_abort(txn);
    if (self->opt.endpoint)
        snprintf(endpoint, sizeof endpoint, "%s", self->opt.endpoint);
    else
        config_connect_endpoint(SERVICE_PUBLICATION, endpoint, sizeof endpoint);
    uint32_t timeout = (uint32_t)config_env_long("ESSP_TIMEOUT_MS", 5000, 100, 600000);
    unsigned tries = self->opt.once ? (unsigned)config_env_long("ESSP_RETRIES", 3, 1, 1000) : 0;
    self->follow = follow_new(endpoint, timeout, tries);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    log_info("following %s from seq %llu into %s", endpoint, (unsigned long long)self->cursor, self->opt.out);
    return S_OK;
}

/*  An address the site writes into its HTML and XML attributes as it is:
 *  http(s), with nothing to escape there, into out (CONFIG_PATH_MAX
 *  bytes) ending in '/'.  `what` names the setting in the refusal. */
static int s_web_url(const char *what, const char *url, char out[CONFIG_PATH_MAX])
{
    size_t len = strlen(url);
    bool web = strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
    bool control = false;
    for (size_t i = 0; i < len; i++)
        control |= (unsigned char)url[i] < 0x20 || url[i] == 0x7F;
    if (!web || control || len + 2 > CONFIG_PATH_MAX || strpbrk(url, "\"'<>& ")) {
        log_error("%s must be an http:// or https:// address without quotes, <, >, &, spaces or "
                  "control characters: %s", what, url);
        return S_USAGE;
    }
    snprintf(out, CONFIG_PATH_MAX, "%s%s", url, url[len - 1] == '/' ? "" : "/");
    return S_OK;
}

/*  The application gateway as people reach it, for the footer's links to
 *  the form and the charter: $ESSP_PUBLIC_URL (as essp-notify's letters),
 *  else the gateway's own address. */
static int s_public_url(mirror_main_t *self)
{
    const char *pub = config_get("ESSP_PUBLIC_URL");
    char url[CONFIG_PATH_MAX];
    if (pub && *pub)
        snprintf(url, sizeof url, "%s", pub);
    else
        config_http_connect_endpoint(url, sizeof url);
    return s_web_url("ESSP_PUBLIC_URL", url, self->public_url);
}

/*  --base-url, the site's own address in the feed's links: checked as
 *  ESSP_PUBLIC_URL is, since it stands in the same kind of attribute. */
static int s_base_url(mirror_main_t *self)
{
    if (!self->opt.base_url)
        return S_OK;
    return s_web_url("--base-url", self->opt.base_url, self->base_url);
}

int main(int argc, char **argv)
{
    log_set_name("mirror");
    log_set_level_from_env();
    mirror_main_t self;
    memset(&self, 0, sizeof self);
    int code = s_parse(argc, argv, &self.opt);
    if (code)
        return code;
    if (sodium_init() < 0 || config_base_port() < 0)
        return s_usage("ESSP_PORT must be a port number");
    zsys_init();
    zsys_set_logsystem(false);
    code = s_public_url(&self);
    if (code == S_OK)
        code = s_base_url(&self);
    if (code == S_OK)
        code = s_open(&self);
    if (code == S_OK)
        code = s_settle_key(&self);
    /* Before anything is written: what a kill in the middle of a write
     * left may name an advisor erased since. */
    if (code == S_OK && site_remove_leftovers(self.opt.out) != 0)
        code = S_STORAGE;
    if (code == S_OK) {
        self.mirror = mirror_new(self.key);
        /* A site that is missing (first start, or --out changed), or
         * written by an earlier edition of the pages, is written whole:
         * the marks of what changed do not cover it. */
        char index[CONFIG_PATH_MAX + 16];
        snprintf(index, sizeof index, "%s/index.html", self.opt.out);
        FILE *probe = fopen(index, "r");
        if (probe)
            fclose(probe);
        if (!probe || self.edition != SITE_EDITION)
            code = s_site(&self, true);
    }
    if (code == S_OK)
        code = s_follow(&self);
    mirror_destroy(&self.mirror);
    follow_destroy(&self.follow);
    store_destroy(&self.store);
    if (code == S_OK)
        log_info("stopped at seq %llu", (unsigned long long)self.cursor);
    return code;
}
