/* Replays a fuzz corpus without libFuzzer, so every build and every
 * compiler runs the fuzz targets:
 *
 *     fuzz_wire_replay tests/fuzz/corpus/wire [mutations]
 *
 * feeds each file of the directory to LLVMFuzzerTestOneInput, then
 * `mutations` (default 20000) inputs derived from them by a fixed-seed
 * xorshift: the same inputs on every run, so a failure reproduces.  Each
 * input sits in a buffer of exactly its size, so a sanitizer sees any read
 * past its end.  ESSP_REPLAY_LAST=file keeps the input being run in file,
 * to recover the one that crashed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_FILE_MAX  (1u << 20)     /* larger seeds are skipped */
#define REPLAY_INPUT_MAX (1u << 16)     /* mutations stop growing here */

typedef struct {
    uint8_t *data;
    size_t size;
} seed_t;

static uint64_t s_state = 0x9E3779B97F4A7C15ull;

static uint64_t s_next(void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

static size_t s_below(size_t n)
{
    return n ? (size_t) (s_next() % n) : 0;
}

/* With ESSP_REPLAY_LAST=path, each input is written there before it runs:
 * after a crash, that file is the input to add to the corpus. */
static void s_save(const uint8_t *data, size_t size)
{
    const char *path = getenv("ESSP_REPLAY_LAST");
    FILE *file = path ? fopen(path, "wb") : NULL;
    if (file) {
        fwrite(data, 1, size, file);
        fclose(file);
    }
}

static void s_run(const uint8_t *data, size_t size)
{
    s_save(data, size);
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact)
        abort();
    if (size)
        memcpy(exact, data, size);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
}

static int s_load(const char *path, seed_t *seed)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return -1;
    seed->data = malloc(REPLAY_FILE_MAX);
    seed->size = seed->data ? fread(seed->data, 1, REPLAY_FILE_MAX, file) : 0;
    int full = seed->data && fgetc(file) != EOF;
    fclose(file);
    if (!seed->data || full) {
        free(seed->data);
        return -1;
    }
    uint8_t *fit = realloc(seed->data, seed->size ? seed->size : 1);
    if (fit)
        seed->data = fit;
    return 0;
}

static int s_is_file(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

/* Loads every regular file of dir, in name order. */
static size_t s_load_corpus(const char *dir, seed_t **seeds)
{
    struct dirent **names;
    int count = scandir(dir, &names, s_is_file, alphasort);
    if (count < 0)
        return 0;
    *seeds = calloc((size_t) count + 1, sizeof **seeds);
    size_t loaded = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        struct stat info;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (*seeds && stat(path, &info) == 0 && S_ISREG(info.st_mode) && s_load(path, &(*seeds)[loaded]) == 0)
            loaded++;
        free(names[i]);
    }
    free(names);
    return loaded;
}

/* Bytes that mean something to a MessagePack or JSON parser. */
static const uint8_t s_interesting[] = {
    0x00, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc6, 0xc7, 0xca, 0xcb, 0xcf, 0xd3, 0xd4,
    0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x81, 0x8f, 0xa1, 0xbf, 0xe0, 0xed, 0xf4,
    '"', '\\', '{', '}', '[', ']', ',', ':', 'u', '0', '9', '-', 'e', '.',
};

/* One edit of buf (capacity REPLAY_INPUT_MAX) holding *size bytes. */
static void s_mutate(uint8_t *buf, size_t *size, const seed_t *seeds, size_t nseeds)
{
    size_t pos = s_below(*size);
    switch (s_below(9)) {
    case 0:
        if (*size) buf[pos] ^= (uint8_t) (1u << s_below(8));
        break;
    case 1:
        if (*size) buf[pos] = (uint8_t) s_next();
        break;
    case 2:
        if (*size) buf[pos] = s_interesting[s_below(sizeof s_interesting)];
        break;
    case 3:
        if (*size < REPLAY_INPUT_MAX) {
            memmove(buf + pos + 1, buf + pos, *size - pos);
            buf[pos] = s_interesting[s_below(sizeof s_interesting)];
            (*size)++;
        }
        break;
    case 4:
        if (*size) {
            memmove(buf + pos, buf + pos + 1, *size - pos - 1);
            (*size)--;
        }
        break;
    case 5: {                                       /* duplicate a chunk */
        size_t len = s_below(*size - pos + 1);
        if (len > REPLAY_INPUT_MAX - *size)
            len = REPLAY_INPUT_MAX - *size;
        memmove(buf + pos + len, buf + pos, *size - pos);
        *size += len;
        break;
    }
    case 6:
        *size = pos;
        break;
    case 7: {                                       /* splice another seed's tail */
        const seed_t *other = &seeds[s_below(nseeds)];
        size_t from = s_below(other->size);
        size_t len = other->size - from;
        if (len > REPLAY_INPUT_MAX - pos)
            len = REPLAY_INPUT_MAX - pos;
        memcpy(buf + pos, other->data + from, len);
        *size = pos + len;
        break;
    }
    default:                                        /* a 32-bit count or length */
        if (*size >= 4) {
            uint32_t value = s_below(2) ? 0xffffffffu : (uint32_t) s_next();
            pos = s_below(*size - 3);
            for (int i = 0; i < 4; i++)
                buf[pos + (size_t) i] = (uint8_t) (value >> (24 - 8 * i));
        }
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s corpus-dir [mutations]\n", argv[0]);
        return 2;
    }
    long mutations = argc > 2 ? atol(argv[2]) : 20000;
    seed_t *seeds = NULL;
    size_t nseeds = s_load_corpus(argv[1], &seeds);
    if (nseeds == 0) {
        fprintf(stderr, "%s: no seed in %s\n", argv[0], argv[1]);
        return 1;
    }
    for (size_t i = 0; i < nseeds; i++)
        s_run(seeds[i].data, seeds[i].size);
    uint8_t *buf = malloc(REPLAY_INPUT_MAX);
    if (!buf)
        return 1;
    for (long n = 0; n < mutations; n++) {
        const seed_t *seed = &seeds[s_below(nseeds)];
        size_t size = seed->size < REPLAY_INPUT_MAX ? seed->size : REPLAY_INPUT_MAX;
        memcpy(buf, seed->data, size);
        for (size_t edits = 1 + s_below(4); edits > 0; edits--)
            s_mutate(buf, &size, seeds, nseeds);
        s_run(buf, size);
    }
    printf("%zu seeds and %ld mutations replayed without a failure\n", nseeds, mutations);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i].data);
    free(seeds);
    free(buf);
    return 0;
}
