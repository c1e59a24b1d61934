// libcurl's curl_easy_setopt/getinfo are variadic, which Swift cannot call; these
// typed inline wrappers are the only thing this module adds to <curl/curl.h>.
#ifndef TENANTCTL_CCURL_SHIM_H
#define TENANTCTL_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode tc_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tc_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tc_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tc_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode tc_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*tc_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode tc_setopt_data_callback(CURL *h, CURLoption o, tc_data_callback v) { return curl_easy_setopt(h, o, v); }
typedef int (*tc_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode tc_setopt_xferinfo(CURL *h, tc_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }
static inline CURLcode tc_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode tc_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
#endif
