// glibc's allocator tuning (mallopt, malloc_trim) lives in <malloc.h>, which the Glibc
// module does not export. tenant-admin uses it to keep idle memory small.
#ifndef TENANTCTL_CMALLOC_SHIM_H
#define TENANTCTL_CMALLOC_SHIM_H
#if defined(__linux__)
#include <malloc.h>
#endif
#endif
