/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: single-copy-atomic loads and stores of remapping-table memory
 * that a unit reads concurrently (the VT-d and the AMD-Vi units): 32- and
 * 64-bit __atomic accesses, the one 128-bit store (lock cmpxchg16b in
 * inline assembly on x86-64, or the unit's store128 hook), and the three
 * ways both units write a 128-bit entry: in one store, high qword first,
 * and cleared low qword first, each followed by the unit's flush hook.
 *
 * gcc 12 compiles __atomic on a 16-byte type to a libatomic call with or
 * without -mcx16, clang 14 only inlines it with -mcx16, so the builtins are
 * not used for 128 bits: the core must not reference libatomic. The 32- and
 * 64-bit builtins are inlined by gcc and clang on every target vmsix
 * supports.
 */
#ifndef VMSIX_SRC_TABLE_ATOMIC_H
#define VMSIX_SRC_TABLE_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define VMSIX_HAVE_CX16 1
#else
#define VMSIX_HAVE_CX16 0
#endif

/* Table qwords are 8-byte aligned (every table is at least 16-byte
 * aligned); saying so lets 32-bit targets, where uint64_t is only 4-byte
 * aligned, inline the 64-bit atomics instead of calling libatomic. */
typedef uint64_t vmsix_table_q __attribute__((aligned(8)));

static inline uint64_t vmsix_ld64(const uint64_t *p)
{
    return __atomic_load_n((const vmsix_table_q *)p, __ATOMIC_ACQUIRE);
}

/* One single-copy-atomic 64-bit store, ordered after the previous ones. */
static inline void vmsix_st64(uint64_t *p, uint64_t v)
{
    __atomic_store_n((vmsix_table_q *)p, v, __ATOMIC_RELEASE);
}

static inline uint32_t vmsix_ld32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* One single-copy-atomic 32-bit store, ordered after the previous ones. */
static inline void vmsix_st32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#if VMSIX_HAVE_CX16
struct vmsix_table_q2 {
    uint64_t q[2];
};

/* lock cmpxchg16b until it succeeds: one 128-bit single-copy-atomic store
 * of @lo (bits 63:0) and @hi. Each failed attempt loads the current value
 * into rdx:rax, so the next one succeeds unless the entry changed
 * meanwhile. @e must be 16-byte aligned, as cmpxchg16b requires. */
static inline void vmsix_cx16_store(uint64_t *e, uint64_t lo, uint64_t hi)
{
    uint64_t olo = vmsix_ld64(&e[0]);
    uint64_t ohi = vmsix_ld64(&e[1]);
    unsigned char ok;

    do {
        __asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
                             : "=q"(ok), "+m"(*(struct vmsix_table_q2 *)e), "+a"(olo), "+d"(ohi)
                             : "b"(lo), "c"(hi)
                             : "memory", "cc");
    } while (!ok);
}
#endif

/* A unit's hooks for its 128-bit entries (as in struct vmsix_vtd_ops and
 * struct vmsix_amdvi_ops); either may be NULL. */
typedef void (*vmsix_flush_fn)(void *ctx, const void *addr, size_t len);
typedef void (*vmsix_store128_fn)(void *ctx, void *entry, const uint64_t val[2]);

/* Can a 128-bit entry be stored in one single-copy-atomic store: the hook,
 * or cmpxchg16b where there is one and the unit does not forbid it? */
static inline bool vmsix_e128_atomic_ok(vmsix_store128_fn store128, bool no_cx16)
{
    return store128 || (VMSIX_HAVE_CX16 && !no_cx16);
}

static inline void vmsix_e128_flush(vmsix_flush_fn flush, void *ctx, const uint64_t *e)
{
    if (flush)
        flush(ctx, e, 16);
}

/* One 128-bit store (vmsix_e128_atomic_ok() said yes), then the flush. */
static inline void vmsix_e128_store_atomic(vmsix_store128_fn store128, vmsix_flush_fn flush,
                                           void *ctx, uint64_t *e, const uint64_t v[2])
{
    if (store128) {
        store128(ctx, e, v);
    } else {
#if VMSIX_HAVE_CX16
        vmsix_cx16_store(e, v[0], v[1]);
#endif
    }
    vmsix_e128_flush(flush, ctx, e);
}

/* High qword first, then the low qword that holds the valid bit (VT-d
 * Present, AMD-Vi RemapEn), flushing after each: the unit never sees the
 * valid bit with a stale high qword. */
static inline void vmsix_e128_store_ordered(vmsix_flush_fn flush, void *ctx, uint64_t *e,
                                            const uint64_t v[2])
{
    vmsix_st64(&e[1], v[1]);
    vmsix_e128_flush(flush, ctx, e);
    vmsix_st64(&e[0], v[0]);
    vmsix_e128_flush(flush, ctx, e);
}

/* The low qword (the valid bit) cleared first, in one 64-bit store, then
 * the high one. */
static inline void vmsix_e128_clear(vmsix_flush_fn flush, void *ctx, uint64_t *e)
{
    vmsix_st64(&e[0], 0);
    vmsix_e128_flush(flush, ctx, e);
    vmsix_st64(&e[1], 0);
    vmsix_e128_flush(flush, ctx, e);
}

#endif /* VMSIX_SRC_TABLE_ATOMIC_H */
