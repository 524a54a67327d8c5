/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the one set of power-of-two, alignment and log2 helpers of the core. */
#ifndef VMSIX_SRC_BITS_H
#define VMSIX_SRC_BITS_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VMSIX_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define VMSIX_ALWAYS_INLINE inline
#endif

static inline bool vmsix_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

/* Smallest j with 2^j >= v, for 1 <= v <= 2^31 (0 for v <= 1); for a power
 * of two it is its log2. */
static VMSIX_ALWAYS_INLINE unsigned vmsix_log2_ceil(uint32_t v)
{
#if defined(__GNUC__)
    return v <= 1u ? 0u : 32u - (unsigned)__builtin_clz(v - 1u);
#else
    unsigned j = 0;
    while ((UINT32_C(1) << j) < v)
        j++;
    return j;
#endif
}

/* The smallest power of two >= v, for 1 <= v <= 2^31. */
static inline uint32_t vmsix_roundup_pow2(uint32_t v)
{
    return UINT32_C(1) << vmsix_log2_ceil(v);
}

/* @v rounded down to a multiple of @a, a power of two. */
static inline uint64_t vmsix_align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1u);
}

/* @v rounded up to a multiple of @a, a power of two; the caller makes sure
 * that the result fits (v + a - 1 does not wrap). */
static inline uint64_t vmsix_align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1u) & ~(a - 1u);
}

#endif /* VMSIX_SRC_BITS_H */
