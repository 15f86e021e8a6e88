/*  services/notify/smtp.c - see smtp.h. */
#include "smtp.h"

#include "common/log.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct smtp_client_t {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
    char last_line[512];         /* the server's last reply line */
    char refusal[512];           /* its last 4xx or 5xx line: libcurl says QUIT after it */
    const char *data;            /* the message being read by libcurl */
    size_t size, offset;
};

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

/*  Keeps the server's last reply line: the words of a refusal. */
static int s_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)curl;
    smtp_client_t *self = arg;
    if (type != CURLINFO_HEADER_IN || size == 0)
        return 0;
    while (size && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    if (size >= sizeof self->last_line)
        size = sizeof self->last_line - 1;
    memcpy(self->last_line, data, size);
    self->last_line[size] = '\0';
    if (data[0] == '4' || data[0] == '5')
        memcpy(self->refusal, self->last_line, size + 1);
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
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, config->timeout_ms);
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
    curl_easy_setopt(self->curl, CURLOPT_MAIL_FROM, envelope_from);
    curl_easy_setopt(self->curl, CURLOPT_MAIL_RCPT, rcpt);
    CURLcode rc = curl_easy_perform(self->curl);
    long code = 0;
    curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(self->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    result->code = code;
    if (rc == CURLE_OK && code / 100 == 2)
        result->outcome = SMTP_SENT;
    else if (code / 100 == 5)
        result->outcome = SMTP_FAILED;
    else
        result->outcome = SMTP_RETRY;   /* a 4xx, or no answer at all: try again later */
    const char *answer = *self->refusal ? self->refusal
                         : *self->error ? self->error
                         : rc != CURLE_OK ? curl_easy_strerror(rc)
                                          : self->last_line;
    snprintf(result->answer, sizeof result->answer, "%s", answer);
}
