#ifndef SPFCHECK_CPREFETCH_H
#define SPFCHECK_CPREFETCH_H

/// Asks the CPU to bring the cache line at `address` into its caches for a read, without
/// waiting for it (`__builtin_prefetch`, which Swift cannot call directly). A hint only: it
/// never faults and changes no result, so any address may be given.
static inline void spf_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

/// Atomic operations on a 32-bit word of raw memory, for tables that workers fill while
/// others read them (``WordTable/View/publish(_:hash:value:)``): Swift's `Atomic` needs a
/// stored property, not a word inside a buffer. (`__atomic` builtins, C11 semantics.)
static inline unsigned spf_load_acquire_u32(const unsigned *address) {
  return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}

static inline void spf_store_release_u32(unsigned *address, unsigned value) {
  __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

/// Replaces `*address` with `desired` if it is `expected`: true then.
static inline _Bool spf_compare_exchange_u32(unsigned *address, unsigned expected, unsigned desired) {
  return __atomic_compare_exchange_n(address, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

#endif
