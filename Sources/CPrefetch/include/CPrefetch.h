#ifndef SPFCHECK_CPREFETCH_H
#define SPFCHECK_CPREFETCH_H

/// Asks the CPU to bring the cache line at `address` into its caches for a read, without
/// waiting for it (`__builtin_prefetch`, which Swift cannot call directly). A hint only: it
/// never faults and changes no result, so any address may be given.
static inline void spf_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

#endif
