#include "curl_loader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded;

static void load(void) {
    // Never unloaded: OpenSSL and curl keep process-wide state once initialised.
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!library) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl.so.4: %s", dlerror());
        return;
    }
#define RESOLVE(field, name)                                                                   \
    if (!(*(void **)&api.field = dlsym(library, name))) {                                      \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", name);               \
        return;                                                                                \
    }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed: %s", api.easy_strerror(code));
        return;
    }
    loaded = 1;
}

const char *tcl_load(void) {
    pthread_once(&once, load);
    return loaded ? NULL : load_error;
}

// The rest may be called only after tcl_load() returned NULL.
CURL *tcl_easy_init(void) { return api.easy_init(); }
void tcl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }
CURLcode tcl_easy_perform(CURL *handle) { return api.easy_perform(handle); }
const char *tcl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
struct curl_slist *tcl_slist_append(struct curl_slist *list, const char *string) { return api.slist_append(list, string); }
void tcl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }
CURLcode tcl_setopt_long(CURL *handle, CURLoption option, long value) { return api.easy_setopt(handle, option, value); }
CURLcode tcl_setopt_string(CURL *handle, CURLoption option, const char *value) { return api.easy_setopt(handle, option, value); }
CURLcode tcl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return api.easy_setopt(handle, option, value); }
CURLcode tcl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) { return api.easy_setopt(handle, option, value); }
CURLcode tcl_setopt_data_callback(CURL *handle, CURLoption option, tcl_data_callback value) { return api.easy_setopt(handle, option, value); }
