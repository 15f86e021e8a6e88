/*  services/notify/smtp.c - see smtp.h. */
#include "smtp.h"

#include "common/log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*  What the server's answer is judged by: the command it answers. */
#define S_GREETING "greeting"
#define S_RCPT "RCPT TO"
#define S_END_OF_DATA "end of DATA"

struct smtp_client_t {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
    char last_line[512];         /* the server's last reply line, printable */
    char refusal[512];           /* its last 4xx or 5xx line: libcurl says QUIT after it */
    const char *stage;           /* the command the next reply answers */
    const char *refused_stage;   /* the command the refusal answered */
    const char *data;            /* the message being read by libcurl */
    size_t size, offset;
};

void smtp_printable(const char *in, size_t len, char *out, size_t cap)
{
    assert(cap > 0);
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = '\0';
}

bool smtp_host_is_loopback(const char *host)
{
    char bare[64];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof bare) {
        memcpy(bare, host + 1, len - 2);
        bare[len - 2] = '\0';
        host = bare;
    }
    if (strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &v6) == 1 && memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
}

/*  libcurl reads the message from memory. */
static size_t s_read(char *buffer, size_t size, size_t count, void *arg)
{
    smtp_client_t *self = arg;
    size_t left = self->size - self->offset;
    size_t n = size * count < left ? size * count : left;
    memcpy(buffer, self->data + self->offset, n);
    self->offset += n;
    return n;
}

/*  The stage a command sent starts; NULL for what is no command (the
 *  lines of an AUTH exchange, which are never kept). */
static const char *s_stage_of(const char *line, size_t size)
{
    static const char *const verbs[][2] = {
        {"EHLO", "EHLO"}, {"HELO", "EHLO"}, {"STARTTLS", "STARTTLS"}, {"AUTH", "AUTH"},
        {"MAIL", "MAIL FROM"}, {"RCPT", S_RCPT}, {"DATA", "DATA"}, {"RSET", "RSET"},
        {"NOOP", "NOOP"}, {"QUIT", "QUIT"},
    };
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        size_t n = strlen(verbs[i][0]);
        if (size >= n && strncasecmp(line, verbs[i][0], n) == 0
            && (size == n || line[n] == ' ' || line[n] == '\r' || line[n] == '\n'))
            return verbs[i][1];
    }
    return NULL;
}

/*  Follows the dialogue: the command each reply answers, the server's last
 *  reply line, and its last refusal with the command refused. */
static int s_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)curl;
    smtp_client_t *self = arg;
    if (type == CURLINFO_HEADER_OUT) {
        const char *stage = s_stage_of(data, size);
        if (stage)
            self->stage = stage;
        return 0;
    }
    if (type != CURLINFO_HEADER_IN || size == 0)
        return 0;
    while (size && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    smtp_printable(data, size, self->last_line, sizeof self->last_line);
    if (data[0] == '4' || data[0] == '5') {
        memcpy(self->refusal, self->last_line, sizeof self->refusal);
        self->refused_stage = self->stage;
    } else if (strncmp(data, "354", 3) == 0 && self->stage && strcmp(self->stage, "DATA") == 0)
        self->stage = S_END_OF_DATA;    /* libcurl sends the data and its final "." unlogged */
    return 0;
}

smtp_client_t *smtp_client_new(const sender_config_t *config)
{
    smtp_client_t *self = calloc(1, sizeof *self);
    assert(self);
    self->curl = curl_easy_init();
    if (!self->curl) {
        free(self);
        return NULL;
    }
    CURL *c = self->curl;
    curl_easy_setopt(c, CURLOPT_URL, config->url);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(c, CURLOPT_READDATA, self);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, self->error);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, s_debug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, self);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);         /* what makes the debug callback run */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);        /* a thread of a service with its own signals */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, config->connect_timeout_ms);
    /* The whole dialogue, the wait for the answer to the end of the data
     * included (libcurl has no limit of its own for that one reply). */
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, config->timeout_ms);
    curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, (config->timeout_ms + 999) / 1000);
    if (config->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (*config->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, config->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, config->password);
    }
    return self;
}

void smtp_client_destroy(smtp_client_t **self_p)
{
    assert(self_p);
    smtp_client_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup(self->curl);
    free(self);
    *self_p = NULL;
}

/*  "<address>" for the envelope. */
static void s_bracket(const char *address, char *out, size_t cap)
{
    snprintf(out, cap, "<%s>", address);
}

/*  Whether a refusal answered the letter itself (its recipient, or its
 *  content), rather than the session. */
static bool s_refuses_the_letter(const smtp_client_t *self)
{
    return *self->refusal && self->refused_stage
           && (strcmp(self->refused_stage, S_RCPT) == 0 || strcmp(self->refused_stage, S_END_OF_DATA) == 0);
}

static void s_judge(smtp_client_t *self, CURLcode rc, long code, smtp_result_t *result)
{
    result->refused = *self->refusal != '\0';
    result->code = result->refused ? strtol(self->refusal, NULL, 10) : 0;
    result->stage = result->refused && self->refused_stage ? self->refused_stage : self->stage;
    if (rc == CURLE_OK && code / 100 == 2) {
        result->outcome = SMTP_SENT;
        result->code = code;
    } else if (s_refuses_the_letter(self))
        result->outcome = *self->refusal == '5' ? SMTP_FAILED : SMTP_RETRY;
    else
        result->outcome = SMTP_UNAVAILABLE;
    const char *answer = *self->refusal ? self->refusal
                         : *self->error ? self->error
                         : rc != CURLE_OK ? curl_easy_strerror(rc)
                                          : self->last_line;
    smtp_printable(answer, strlen(answer), result->answer, sizeof result->answer);
}

void smtp_client_send(smtp_client_t *self, const char *from, const char *to, const char *data,
                      size_t size, smtp_result_t *result)
{
    char envelope_from[SENDER_ADDRESS_MAX + 2], envelope_to[SENDER_ADDRESS_MAX + 2];
    s_bracket(from, envelope_from, sizeof envelope_from);
    s_bracket(to, envelope_to, sizeof envelope_to);
    struct curl_slist *rcpt = curl_slist_append(NULL, envelope_to);
    assert(rcpt);
    self->data = data;
    self->size = size;
    self->offset = 0;
    self->error[0] = '\0';
    self->last_line[0] = '\0';
    self->refusal[0] = '\0';
    self->stage = S_GREETING;           /* a reused connection starts with MAIL FROM */
    self->refused_stage = NULL;
    curl_easy_setopt(self->curl, CURLOPT_MAIL_FROM, envelope_from);
    curl_easy_setopt(self->curl, CURLOPT_MAIL_RCPT, rcpt);
    CURLcode rc = curl_easy_perform(self->curl);
    long code = 0;
    curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(self->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    s_judge(self, rc, code, result);
}
