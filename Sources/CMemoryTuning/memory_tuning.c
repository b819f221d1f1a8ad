#include "memory_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>

int cost_audit_fix_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#else
int cost_audit_fix_mmap_threshold(int bytes) {
    (void)bytes;
    return 0;
}
#endif
