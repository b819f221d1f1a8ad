#ifndef COST_AUDIT_MEMORY_TUNING_H
#define COST_AUDIT_MEMORY_TUNING_H

/// Fixes the C library's threshold above which an allocation gets its own memory mapping (glibc only; a
/// no-op elsewhere). glibc otherwise raises the threshold after the first large free, so later large tables
/// come from the heap and stay resident after they are freed. Returns 1 when the setting took effect.
int cost_audit_fix_mmap_threshold(int bytes);

#endif
