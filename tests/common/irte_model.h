/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference model of irte_alloc, shared by tests/unit/test_irte_alloc.c
 * and tests/fuzz/fuzz_irte.c. It is trivially correct: one owner byte per
 * entry, and alloc scans the pool from 0 in steps of the block size for the
 * first wholly free block (skipping, with memchr, blocks that hold no free
 * entry).
 *
 * Header-only (static functions): include it in one translation unit of
 * each test program.
 */
#ifndef VMSIX_TESTS_IRTE_MODEL_H
#define VMSIX_TESTS_IRTE_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

#define NONE UINT32_MAX

/* ---- the reference model ---- */

enum { M_FREE, M_ALLOC, M_RESV }; /* M_FREE is 0: model_range_free tests words */

struct model {
    uint32_t n;
    uint32_t nfree;
    uint8_t *owner;  /* M_* per entry */
    uint32_t *bsize; /* size of the block starting at an entry, else 0 */
    uint32_t *live;  /* bases of the live blocks, in no order */
    uint32_t *where; /* where[base]: index of the block in live[] */
    uint32_t nlive;
};

/* A model of @n free entries; false when out of memory. */
static inline bool model_new(struct model *m, uint32_t n)
{
    m->n = n;
    m->nfree = n;
    m->nlive = 0;
    m->owner = calloc(n, 1);
    m->bsize = calloc(n, sizeof(uint32_t));
    m->live = calloc(n, sizeof(uint32_t));
    m->where = calloc(n, sizeof(uint32_t));
    return m->owner && m->bsize && m->live && m->where;
}

static inline void model_delete(struct model *m)
{
    free(m->owner);
    free(m->bsize);
    free(m->live);
    free(m->where);
}

/* dst must have been made by model_new with the same n */
static inline void model_copy(struct model *dst, const struct model *src)
{
    uint32_t n = src->n;

    dst->nfree = src->nfree;
    dst->nlive = src->nlive;
    memcpy(dst->owner, src->owner, n);
    memcpy(dst->bsize, src->bsize, n * sizeof(uint32_t));
    memcpy(dst->live, src->live, n * sizeof(uint32_t));
    memcpy(dst->where, src->where, n * sizeof(uint32_t));
}

static inline uint32_t pow2_ceil(uint32_t v)
{
    uint32_t s = 1;
    while (s < v)
        s <<= 1;
    return s;
}

/* Whether owner[base, base + count) is all M_FREE (0): eight bytes at a
 * time, the rest one by one. */
static inline VMSIX_ORACLE bool model_range_free(const struct model *m, uint32_t base,
                                                 uint32_t count)
{
    const uint8_t *p = m->owner + base;
    uint64_t w;

    for (; count >= 8; count -= 8, p += 8) {
        memcpy(&w, p, 8);
        if (w)
            return false;
    }
    for (; count; count--, p++)
        if (*p != M_FREE)
            return false;
    return true;
}

/* Lowest free block of size S aligned to S, or NONE. Each try starts at
 * the block holding the next free entry: a block before it holds no free
 * entry at all. */
static inline VMSIX_ORACLE uint32_t model_find(const struct model *m, uint32_t count)
{
    uint32_t s, pos;
    const uint8_t *f;

    if (count == 0 || count > m->n)
        return NONE;
    s = pow2_ceil(count);
    for (pos = 0; pos < m->n; pos += s) {
        f = memchr(m->owner + pos, M_FREE, m->n - pos);
        if (!f)
            return NONE;
        pos = (uint32_t)(f - m->owner) & ~(s - 1);
        if (model_range_free(m, pos, s))
            return pos;
    }
    return NONE;
}

static inline VMSIX_ORACLE uint32_t model_largest(const struct model *m)
{
    uint32_t s;

    for (s = m->n; s >= 1; s >>= 1)
        if (model_find(m, s) != NONE)
            return s;
    return 0;
}

static inline void model_take(struct model *m, uint32_t base, uint32_t s)
{
    memset(m->owner + base, M_ALLOC, s);
    m->bsize[base] = s;
    m->where[base] = m->nlive;
    m->live[m->nlive++] = base;
    m->nfree -= s;
}

static inline bool model_free_ok(const struct model *m, uint32_t base, uint32_t count)
{
    return count != 0 && count <= m->n && base < m->n && m->bsize[base] != 0 &&
           pow2_ceil(count) == m->bsize[base];
}

static inline void model_give(struct model *m, uint32_t base)
{
    uint32_t s = m->bsize[base], i = m->where[base];

    memset(m->owner + base, M_FREE, s);
    m->bsize[base] = 0;
    m->live[i] = m->live[--m->nlive];
    m->where[m->live[i]] = i;
    m->nfree += s;
}

static inline int model_reserve_result(const struct model *m, uint32_t base, uint32_t count)
{
    if (count == 0 || base >= m->n || count > m->n - base)
        return -EINVAL;
    return model_range_free(m, base, count) ? 0 : -EBUSY;
}

/* A successful reserve of [base, base + count) (model_reserve_result() 0). */
static inline void model_reserve(struct model *m, uint32_t base, uint32_t count)
{
    memset(m->owner + base, M_RESV, count);
    m->nfree -= count;
}

#endif
