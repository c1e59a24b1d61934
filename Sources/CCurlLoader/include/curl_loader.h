// libcurl loaded on first use (dlopen) instead of at process start.
//
// tenant-admin needs libcurl only to hand mail to an SMTP server. Linking it loads
// libcurl and its ~25 dependencies (OpenSSL, GnuTLS, Kerberos, LDAP, ...) into every admin
// process at start, about 4 MB of resident pages, whether or not mail is ever sent.
// The types and constants come from <curl/curl.h>; every call goes through tcl_*.
#ifndef TENANTCTL_CURL_LOADER_H
#define TENANTCTL_CURL_LOADER_H
#include <curl/curl.h>

// Loads libcurl.so.4 and runs curl_global_init once per process (thread-safe).
// Returns NULL on success, else a message saying why it could not.
const char *tcl_load(void);

CURL *tcl_easy_init(void);
void tcl_easy_cleanup(CURL *handle);
CURLcode tcl_easy_perform(CURL *handle);
const char *tcl_easy_strerror(CURLcode code);
struct curl_slist *tcl_slist_append(struct curl_slist *list, const char *string);
void tcl_slist_free_all(struct curl_slist *list);

// curl_easy_setopt is variadic, which Swift cannot call: one typed wrapper per argument type.
CURLcode tcl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode tcl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode tcl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode tcl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
typedef size_t (*tcl_data_callback)(char *, size_t, size_t, void *);
CURLcode tcl_setopt_data_callback(CURL *handle, CURLoption option, tcl_data_callback value);
#endif
