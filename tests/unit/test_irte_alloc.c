/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of irte_alloc, checked against a reference model
 * (tests/common/irte_model.h, shared with fuzz-irte) that is trivially
 * correct: one owner byte per entry, and alloc scans the pool from 0 in
 * steps of the block size for the first wholly free block.
 *
 * - random operation sequences on pools of 16, 1024 and 65536 entries
 *   (allocs, frees, invalid frees, reserves) in lockstep with the model:
 *   same base, natural alignment, no overlap, exact free counts, -ENOSPC
 *   exactly when the model has no aligned free block; every refused call
 *   leaves the pool's bytes unchanged; freeing everything gives back the
 *   bytes of a fresh pool (with the same reservations);
 * - every sequence of allocs/frees up to depth 8 on a 16-entry pool, with
 *   every free and every reserve tried on the shallower states, and every
 *   sequence below each possible first reservation;
 * - every invalid argument of every function;
 * - lock hooks in balanced pairs around every operation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/irte_alloc.h>

/* the reference model (shared with tests/fuzz/fuzz_irte.c) */
#include "irte_model.h"

#define MAXN VMSIX_IRTE_MAX_ENTRIES

/* ---- reproducible randomness ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng_next() % n);
}

/* ---- pool and model in lockstep ---- */

struct lockstep {
    struct vmsix_irte_pool *pool;
    uint64_t *mem;
    size_t size;
    uint64_t *snap; /* the pool's bytes before a call that must change nothing */
    struct model m;
    uint32_t nres;
    uint32_t (*res)[2]; /* successful reservations, in order */
    unsigned long ops;
    unsigned long nospc, badfree, busy; /* refusals seen */
    uint32_t peak;                      /* most entries in use at once */
};

static void ls_new(struct lockstep *t, uint32_t n)
{
    t->size = vmsix_irte_pool_storage_size(n);
    assert_true(t->size > 0);
    t->mem = malloc(t->size);
    t->snap = malloc(t->size);
    t->res = malloc(sizeof(*t->res) * n);
    assert_non_null(t->mem);
    assert_non_null(t->snap);
    assert_non_null(t->res);
    assert_int_equal(vmsix_irte_pool_init(t->mem, t->size, n, &t->pool), 0);
    assert_ptr_equal(t->pool, t->mem);
    assert_true(model_new(&t->m, n));
    t->nres = 0;
    t->ops = 0;
    t->nospc = t->badfree = t->busy = 0;
    t->peak = 0;
}

static void ls_delete(struct lockstep *t)
{
    model_delete(&t->m);
    free(t->mem);
    free(t->snap);
    free(t->res);
}

static void ls_snap(struct lockstep *t)
{
    memcpy(t->snap, t->mem, t->size);
}

static void ls_unchanged(const struct lockstep *t)
{
    assert_memory_equal(t->snap, t->mem, t->size);
}

static void ls_check(const struct lockstep *t)
{
    assert_int_equal(vmsix_irte_free_count(t->pool), t->m.nfree);
}

static void ls_check_full(const struct lockstep *t)
{
    ls_check(t);
    assert_int_equal(vmsix_irte_largest_free(t->pool), model_largest(&t->m));
}

static void ls_alloc(struct lockstep *t, uint32_t count)
{
    uint32_t want = model_find(&t->m, count);
    uint32_t base = 0xdeadbeef;
    int r;

    t->ops++;
    if (want == NONE) {
        ls_snap(t);
        r = vmsix_irte_alloc(t->pool, count, &base);
        assert_int_equal(r, count == 0 ? -EINVAL : -ENOSPC);
        assert_int_equal(base, 0xdeadbeef);
        ls_unchanged(t);
        t->nospc++;
    } else {
        uint32_t s = pow2_ceil(count);

        r = vmsix_irte_alloc(t->pool, count, &base);
        assert_int_equal(r, 0);
        assert_int_equal(base, want);
        assert_int_equal(base % s, 0);
        assert_true(base + s <= t->m.n);
        assert_true(model_range_free(&t->m, base, s)); /* no overlap */
        model_take(&t->m, base, s);
        if (t->m.n - t->m.nfree > t->peak)
            t->peak = t->m.n - t->m.nfree;
    }
    ls_check(t);
}

static void ls_free(struct lockstep *t, uint32_t base, uint32_t count)
{
    bool ok = model_free_ok(&t->m, base, count);
    int r;

    t->ops++;
    if (!ok)
        ls_snap(t);
    r = vmsix_irte_free(t->pool, base, count);
    if (ok) {
        assert_int_equal(r, 0);
        model_give(&t->m, base);
    } else {
        assert_int_equal(r, -EINVAL);
        ls_unchanged(t);
        t->badfree++;
    }
    ls_check(t);
}

static void ls_reserve(struct lockstep *t, uint32_t base, uint32_t count)
{
    int want = model_reserve_result(&t->m, base, count);
    int r;

    t->ops++;
    if (want)
        ls_snap(t);
    r = vmsix_irte_reserve(t->pool, base, count);
    assert_int_equal(r, want);
    if (want) {
        ls_unchanged(t);
        t->busy += want == -EBUSY;
    } else {
        model_reserve(&t->m, base, count);
        t->res[t->nres][0] = base;
        t->res[t->nres][1] = count;
        t->nres++;
    }
    ls_check(t);
}

/* Free every live block, then the pool must hold exactly the bytes of a
 * fresh pool given the same reservations in the same order. */
static void ls_drain_and_compare(struct lockstep *t)
{
    struct vmsix_irte_pool *fresh;
    uint64_t *mem = malloc(t->size);
    uint32_t i;

    assert_non_null(mem);
    while (t->m.nlive) {
        uint32_t b = t->m.live[rng_below(t->m.nlive)];
        ls_free(t, b, t->m.bsize[b]);
    }
    ls_check_full(t);
    assert_int_equal(vmsix_irte_pool_init(mem, t->size, t->m.n, &fresh), 0);
    for (i = 0; i < t->nres; i++)
        assert_int_equal(vmsix_irte_reserve(fresh, t->res[i][0], t->res[i][1]), 0);
    assert_memory_equal(mem, t->mem, t->size);
    free(mem);
}

/* ---- random sequences ---- */

static uint32_t random_count(uint32_t n)
{
    uint32_t k = rng_below(100);

    if (k < 90)
        return 1 + rng_below(64 < n ? 64 : n);
    if (k < 97)
        return 1 + rng_below(n);     /* occasionally larger */
    k = pow2_ceil(1 + rng_below(n)); /* exact sizes, even > n */
    return k << rng_below(2);
}

/* One invalid (or, by chance, valid) free; the model says which. */
static void random_bad_free(struct lockstep *t)
{
    uint32_t n = t->m.n, b, s;

    if (t->m.nlive == 0 || rng_below(8) == 0) {
        b = rng_below(n + 4); /* (sequenced: the same run with every compiler) */
        ls_free(t, b, rng_below(n + 4));
        return;
    }
    b = t->m.live[rng_below(t->m.nlive)];
    s = t->m.bsize[b];
    switch (rng_below(8)) {
    case 0: /* inner entry */
        ls_free(t, b + (s > 1 ? 1 + rng_below(s - 1) : 0), s);
        break;
    case 1: /* count too large */
        ls_free(t, b, s + 1 + rng_below(s));
        break;
    case 2: /* count too small */
        ls_free(t, b, s > 1 ? 1 + rng_below(s / 2) : 0);
        break;
    case 3: /* double free */
        ls_free(t, b, s);
        ls_free(t, b, s);
        break;
    case 4: /* a reserved range */
        if (t->nres) {
            uint32_t i = rng_below(t->nres);
            ls_free(t, t->res[i][0], t->res[i][1]);
        }
        break;
    case 5: /* the neighbour block's size, or its base */
        ls_free(t, b + s < n ? b + s : b, s);
        break;
    case 6: /* beyond the pool / overflow */
        ls_free(t, n + rng_below(8), s);
        ls_free(t, UINT32_MAX - rng_below(4), s);
        ls_free(t, b, UINT32_MAX - rng_below(4));
        break;
    default: /* count 0 */
        ls_free(t, b, 0);
        break;
    }
}

static void random_run(uint32_t n, uint64_t seed, unsigned nops, bool reserves, unsigned full_every)
{
    struct lockstep t;
    uint32_t reserved = 0;
    unsigned i;

    rng_state = seed;
    ls_new(&t, n);
    for (i = 0; i < nops; i++) {
        uint32_t k = rng_below(100);
        /* alternate filling and draining phases so every occupancy is met */
        uint32_t alloc_pct = (i / 500u) % 2u ? 30 : 70;

        if (k < alloc_pct) {
            ls_alloc(&t, random_count(n));
        } else if (k < 92) {
            if (t.m.nlive) {
                uint32_t b = t.m.live[rng_below(t.m.nlive)];
                uint32_t s = t.m.bsize[b];
                /* any count that rounds up to s */
                ls_free(&t, b, s / 2 + 1 + rng_below(s - s / 2));
            }
        } else if (k < 98 || !reserves) {
            random_bad_free(&t);
        } else if (reserved < n / 4) {
            /* reservations are permanent: keep them to a quarter of the pool */
            uint32_t c = rng_below(10) ? 1 + rng_below(8) : 1 + rng_below(n / 8 + 1);
            uint32_t nres = t.nres;

            if (c > n / 4 - reserved)
                c = n / 4 - reserved;
            ls_reserve(&t, rng_below(n), c);
            if (t.nres != nres)
                reserved += c;
        }
        if (full_every && i % full_every == 0)
            ls_check_full(&t);
    }
    ls_check_full(&t);
    ls_drain_and_compare(&t);
    print_message("random n=%u seed=%llu: %lu operations (%lu -ENOSPC, %lu refused frees, "
                  "%lu -EBUSY), %u reservations, peak use %u\n",
                  (unsigned)n, (unsigned long long)seed, t.ops, t.nospc, t.badfree, t.busy,
                  (unsigned)t.nres, (unsigned)t.peak);
    ls_delete(&t);
}

static void test_random_16(void **state)
{
    (void)state;
    random_run(16, 1, 300000, true, 1);
    random_run(16, 2, 100000, false, 1);
}

static void test_random_1024(void **state)
{
    (void)state;
    random_run(1024, 3, 300000, true, 16);
    random_run(1024, 4, 100000, false, 16);
}

static void test_random_65536(void **state)
{
    (void)state;
    random_run(65536, 5, 100000, true, 1000);
    random_run(65536, 6, 40000, false, 1000);
}

/* Small pools 1..8 and every size, random but dense. */
static void test_random_small(void **state)
{
    uint32_t n;

    (void)state;
    for (n = 1; n <= 64; n <<= 1)
        random_run(n, 100 + n, 20000, true, 1);
}

/* A pool filled with 1-entry blocks leaving one hole: the hole is found
 * wherever it is (completeness), for every hole position. */
static void test_single_hole(void **state)
{
    const uint32_t n = 1024;
    struct lockstep t;
    uint32_t i, base;

    (void)state;
    ls_new(&t, n);
    for (i = 0; i < n; i++)
        ls_alloc(&t, 1);
    ls_alloc(&t, 1);
    for (i = 0; i < n; i++) {
        ls_free(&t, i, 1);
        assert_int_equal(vmsix_irte_largest_free(t.pool), 1);
        assert_int_equal(vmsix_irte_alloc(t.pool, 2, &base), -ENOSPC);
        ls_alloc(&t, 1);
    }
    /* aligned pairs: free two neighbours that are not buddies, then buddies */
    ls_free(&t, 1, 1);
    ls_free(&t, 2, 1);
    assert_int_equal(vmsix_irte_largest_free(t.pool), 1);
    ls_alloc(&t, 2);
    ls_free(&t, 3, 1);
    ls_alloc(&t, 2);
    assert_int_equal(t.m.live[t.m.nlive - 1], 2);
    ls_drain_and_compare(&t);
    ls_delete(&t);
}

/* ---- exhaustive sequences on a 16-entry pool ---- */

#define EX_N 16u
#define EX_DEPTH 8u
#define EX_SWEEP_DEPTH 2u /* states at most this deep get every free and reserve */

struct level {
    uint64_t mem[64];
    struct model m;
};

static struct level ex_save[EX_DEPTH + 2];
static unsigned long ex_states;

static void ex_push(struct lockstep *t, unsigned d)
{
    memcpy(ex_save[d].mem, t->mem, t->size);
    model_copy(&ex_save[d].m, &t->m);
}

static void ex_pop(struct lockstep *t, unsigned d)
{
    memcpy(t->mem, ex_save[d].mem, t->size);
    model_copy(&t->m, &ex_save[d].m);
    t->nres = 0; /* (only the random runs use the list) */
}

/* every free(base, count) and reserve(base, count) on this state */
static void ex_sweep(struct lockstep *t, unsigned d)
{
    static const uint32_t extra[] = {31, 32, 33, 0x10000, 0x10001, 0x80000000u, UINT32_MAX};
    uint32_t base, count, i;

    ex_push(t, d);
    for (base = 0; base <= EX_N + 2; base++) {
        for (count = 0; count <= EX_N + 2 + sizeof(extra) / sizeof(extra[0]); count++) {
            uint32_t c = count <= EX_N + 2 ? count : extra[count - EX_N - 3];
            ls_free(t, base, c);
            ex_pop(t, d);
            ls_reserve(t, base, c);
            ls_check_full(t);
            ex_pop(t, d);
        }
    }
    for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        ls_free(t, extra[i], 1);
        ls_reserve(t, extra[i], 1);
        ls_reserve(t, extra[i], UINT32_MAX);
    }
}

static void ex_dfs(struct lockstep *t, unsigned d, unsigned maxd)
{
    static const uint32_t sizes[] = {1, 2, 4, 8, 16, 3, 5, 17};
    uint32_t i, nlive;

    ex_states++;
    ls_check_full(t);
    if (d <= EX_SWEEP_DEPTH)
        ex_sweep(t, d);
    if (d == maxd)
        return;
    ex_push(t, d);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (i >= 5 && d > EX_SWEEP_DEPTH) /* odd counts: only near the root */
            break;
        if (model_find(&t->m, sizes[i]) == NONE) {
            ls_alloc(t, sizes[i]); /* -ENOSPC, nothing changes */
            continue;
        }
        ls_alloc(t, sizes[i]);
        ex_dfs(t, d + 1, maxd);
        ex_pop(t, d);
    }
    nlive = t->m.nlive;
    for (i = 0; i < nlive; i++) {
        uint32_t b = t->m.live[i];
        ls_free(t, b, t->m.bsize[b]);
        ex_dfs(t, d + 1, maxd);
        ex_pop(t, d);
    }
}

static void ex_setup(struct lockstep *t)
{
    unsigned d;

    ls_new(t, EX_N);
    assert_true(t->size <= sizeof(ex_save[0].mem));
    for (d = 0; d < EX_DEPTH + 2; d++)
        assert_true(model_new(&ex_save[d].m, EX_N));
}

static void ex_teardown(struct lockstep *t)
{
    unsigned d;

    for (d = 0; d < EX_DEPTH + 2; d++)
        model_delete(&ex_save[d].m);
    ls_delete(t);
}

static void test_exhaustive_16(void **state)
{
    struct lockstep t;

    (void)state;
    ex_setup(&t);
    ex_states = 0;
    ex_dfs(&t, 0, EX_DEPTH);
    print_message("exhaustive n=16: %lu states to depth %u, %lu operations\n", ex_states, EX_DEPTH,
                  t.ops);
    assert_true(ex_states > 100000);
    ex_teardown(&t);
}

/* Every first reservation, then every alloc/free sequence to depth 4. */
static void test_exhaustive_16_reserved(void **state)
{
    struct lockstep t;
    struct vmsix_irte_pool *fresh;
    uint64_t empty[64];
    uint32_t base, count;

    (void)state;
    ex_setup(&t);
    assert_int_equal(vmsix_irte_pool_init(empty, sizeof(empty), EX_N, &fresh), 0);
    ex_states = 0;
    for (base = 0; base < EX_N; base++) {
        for (count = 1; base + count <= EX_N; count++) {
            memcpy(t.mem, empty, t.size);
            model_delete(&t.m);
            assert_true(model_new(&t.m, EX_N));
            t.nres = 0;
            ls_reserve(&t, base, count);
            ex_dfs(&t, EX_SWEEP_DEPTH + 1, EX_SWEEP_DEPTH + 5);
        }
    }
    print_message("exhaustive n=16 reserved: %lu states, %lu operations\n", ex_states, t.ops);
    ex_teardown(&t);
}

/* ---- hand-written cases ---- */

/* room for the largest pool (the contract's bound for 65536 entries) */
static uint64_t pool_mem[(65536 / 4 + 4096) / 8];

static struct vmsix_irte_pool *new_pool(uint32_t n)
{
    struct vmsix_irte_pool *p = NULL;

    assert_int_equal(vmsix_irte_pool_init(pool_mem, sizeof(pool_mem), n, &p), 0);
    return p;
}

static void test_storage_size(void **state)
{
    static const uint32_t bad[] = {0, 3, 6, 12, 65535, 65537, 131072, 0x80000000u, UINT32_MAX};
    uint32_t n, i;

    (void)state;
    for (n = 1; n <= MAXN; n <<= 1) {
        size_t s = vmsix_irte_pool_storage_size(n);
        size_t m = n >= 64 ? n / 64 : 1;
        assert_int_equal(s, 96 + 18 * m + 56 * ((m + 63) / 64));
        assert_true(s <= n / 4 + 4096);
    }
    assert_int_equal(vmsix_irte_pool_storage_size(65536), 19424);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vmsix_irte_pool_storage_size(bad[i]), 0);
}

static void test_init_refusals(void **state)
{
    static const uint32_t bad[] = {0, 3, 24, 65537, 131072, UINT32_MAX};
    uint64_t dummy = 0;
    struct vmsix_irte_pool *const sentinel = (struct vmsix_irte_pool *)(void *)&dummy;
    struct vmsix_irte_pool *p = sentinel;
    uint8_t *raw = (uint8_t *)pool_mem;
    size_t need = vmsix_irte_pool_storage_size(1024);
    unsigned i;

    (void)state;
    memset(pool_mem, 0xa5, sizeof(pool_mem));
    assert_int_equal(vmsix_irte_pool_init(NULL, need, 1024, &p), -EINVAL);
    assert_int_equal(vmsix_irte_pool_init(pool_mem, need, 1024, NULL), -EINVAL);
    assert_int_equal(vmsix_irte_pool_init(pool_mem, need - 1, 1024, &p), -EINVAL);
    assert_int_equal(vmsix_irte_pool_init(pool_mem, 0, 1024, &p), -EINVAL);
    for (i = 1; i < 8; i++)
        assert_int_equal(vmsix_irte_pool_init(raw + i, need + 8, 1024, &p), -EINVAL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vmsix_irte_pool_init(pool_mem, sizeof(pool_mem), bad[i], &p), -EINVAL);
    assert_ptr_equal(p, sentinel);
    for (i = 0; i < sizeof(pool_mem); i++)
        assert_int_equal(raw[i], 0xa5);
    /* exactly the size is enough, and anything bigger */
    assert_int_equal(vmsix_irte_pool_init(pool_mem, need, 1024, &p), 0);
    assert_ptr_equal(p, pool_mem);
    assert_int_equal(vmsix_irte_free_count(p), 1024);
    assert_int_equal(vmsix_irte_largest_free(p), 1024);
    assert_int_equal(raw[need], 0xa5); /* nothing written past the size */
}

static void test_alloc_args(void **state)
{
    struct vmsix_irte_pool *p = new_pool(64);
    uint32_t base = 7;

    (void)state;
    assert_int_equal(vmsix_irte_alloc(NULL, 1, &base), -EINVAL);
    assert_int_equal(vmsix_irte_alloc(p, 1, NULL), -EINVAL);
    assert_int_equal(vmsix_irte_alloc(p, 0, &base), -EINVAL);
    assert_int_equal(vmsix_irte_alloc(p, 65, &base), -ENOSPC);
    assert_int_equal(vmsix_irte_alloc(p, 128, &base), -ENOSPC);
    assert_int_equal(vmsix_irte_alloc(p, 0x80000001u, &base), -ENOSPC);
    assert_int_equal(vmsix_irte_alloc(p, UINT32_MAX, &base), -ENOSPC);
    assert_int_equal(base, 7);
    assert_int_equal(vmsix_irte_free_count(p), 64);
    assert_int_equal(vmsix_irte_alloc(p, 64, &base), 0);
    assert_int_equal(base, 0);
    assert_int_equal(vmsix_irte_free_count(p), 0);
    assert_int_equal(vmsix_irte_largest_free(p), 0);
    assert_int_equal(vmsix_irte_alloc(p, 1, &base), -ENOSPC);
    assert_int_equal(vmsix_irte_free_count(NULL), 0);
    assert_int_equal(vmsix_irte_largest_free(NULL), 0);
}

static void test_reserve_args(void **state)
{
    struct vmsix_irte_pool *p = new_pool(64);

    (void)state;
    assert_int_equal(vmsix_irte_reserve(NULL, 0, 1), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(p, 0, 0), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(p, 64, 1), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(p, 60, 5), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(p, 0, 65), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(p, 1, UINT32_MAX), -EINVAL); /* base + count wraps */
    assert_int_equal(vmsix_irte_reserve(p, UINT32_MAX, 2), -EINVAL);
    assert_int_equal(vmsix_irte_free_count(p), 64);
    assert_int_equal(vmsix_irte_reserve(p, 0, 64), 0);
    assert_int_equal(vmsix_irte_free_count(p), 0);
    assert_int_equal(vmsix_irte_reserve(p, 5, 1), -EBUSY);
    assert_int_equal(vmsix_irte_free(p, 0, 64), -EINVAL); /* reservations are permanent */
}

/* The IOAPIC-like use: odd ranges, then blocks fit around them. */
static void test_reserve_odd_ranges(void **state)
{
    struct vmsix_irte_pool *p = new_pool(1024);
    uint32_t base;

    (void)state;
    assert_int_equal(vmsix_irte_reserve(p, 0, 24), 0); /* IOAPIC pins */
    assert_int_equal(vmsix_irte_reserve(p, 24, 3), 0); /* HPET */
    assert_int_equal(vmsix_irte_reserve(p, 26, 1), -EBUSY);
    assert_int_equal(vmsix_irte_reserve(p, 100, 200), 0);
    assert_int_equal(vmsix_irte_free_count(p), 1024 - 227);
    assert_int_equal(vmsix_irte_alloc(p, 1, &base), 0);
    assert_int_equal(base, 27);
    assert_int_equal(vmsix_irte_alloc(p, 4, &base), 0);
    assert_int_equal(base, 28);
    assert_int_equal(vmsix_irte_alloc(p, 32, &base), 0);
    assert_int_equal(base, 32);
    assert_int_equal(vmsix_irte_alloc(p, 64, &base), 0);
    assert_int_equal(base, 320);
    assert_int_equal(vmsix_irte_reserve(p, 319, 2), -EBUSY);
    assert_int_equal(vmsix_irte_reserve(p, 383, 2), -EBUSY);
    assert_int_equal(vmsix_irte_reserve(p, 384, 2), 0);
    /* whole chunks that are partly used */
    assert_int_equal(vmsix_irte_reserve(p, 0, 64), -EBUSY);
    assert_int_equal(vmsix_irte_reserve(p, 64, 64), -EBUSY);
    assert_int_equal(vmsix_irte_reserve(p, 0, 1024), -EBUSY);
    assert_int_equal(vmsix_irte_free(p, 0, 24), -EINVAL);
    assert_int_equal(vmsix_irte_free(p, 0, 32), -EINVAL);
    assert_int_equal(vmsix_irte_free(p, 128, 128), -EINVAL);
    assert_int_equal(vmsix_irte_free(p, 320, 64), 0);
    assert_int_equal(vmsix_irte_largest_free(p), 512);
}

/* Every kind of invalid free, on one pool with blocks of every tier. */
static void test_invalid_frees(void **state)
{
    struct lockstep t;

    (void)state;
    rng_state = 42;
    ls_new(&t, 4096);
    ls_alloc(&t, 1);   /* 0 */
    ls_alloc(&t, 8);   /* 8 */
    ls_alloc(&t, 2);   /* 2 */
    ls_alloc(&t, 32);  /* 32 */
    ls_alloc(&t, 64);  /* 64 */
    ls_alloc(&t, 256); /* 256 */
    ls_reserve(&t, 512, 64);
    ls_reserve(&t, 600, 5);
    ls_alloc(&t, 1); /* 1 */
    ls_check_full(&t);

    ls_free(&t, 4096, 1); /* base outside */
    ls_free(&t, 8192, 1);
    ls_free(&t, UINT32_MAX, 1); /* base + count overflows */
    ls_free(&t, 4095, 2);       /* runs past the end */
    ls_free(&t, 4, 1);          /* unknown base: free entry */
    ls_free(&t, 16, 16);        /* free, aligned, but no block */
    ls_free(&t, 9, 1);          /* inner address of the 8 */
    ls_free(&t, 12, 4);         /* inner aligned sub-block of the 8 */
    ls_free(&t, 33, 1);         /* inner address of the 32 */
    ls_free(&t, 96, 32);        /* upper half of the 64 */
    ls_free(&t, 320, 64);       /* inside the 256 */
    ls_free(&t, 8, 4);          /* count too small */
    ls_free(&t, 8, 16);         /* count too large */
    ls_free(&t, 8, 0);          /* count 0 */
    ls_free(&t, 32, 16);
    ls_free(&t, 32, 64);
    ls_free(&t, 64, 32);
    ls_free(&t, 64, 65 + 64);
    ls_free(&t, 256, 128);
    ls_free(&t, 256, 512);
    ls_free(&t, 0, 2);    /* 1-entry block freed as a pair with its neighbour */
    ls_free(&t, 2, 1);    /* the 2 freed as 1 */
    ls_free(&t, 512, 64); /* reserved, exactly a whole chunk */
    ls_free(&t, 512, 1);
    ls_free(&t, 600, 5); /* reserved odd range */
    ls_free(&t, 600, 1);
    ls_free(&t, 0, UINT32_MAX);
    ls_free(&t, 0, 8192);
    ls_free(&t, 0, 4096);
    /* the valid ones, with counts that round up to the size */
    ls_free(&t, 8, 5);
    ls_free(&t, 8, 8); /* double free */
    ls_free(&t, 32, 17);
    ls_free(&t, 32, 32); /* double free */
    ls_free(&t, 64, 64);
    ls_free(&t, 256, 200);
    ls_free(&t, 256, 256); /* double free */
    ls_free(&t, 0, 1);
    ls_free(&t, 0, 1); /* double free */
    ls_free(&t, 2, 2);
    ls_free(&t, 1, 1);
    ls_check_full(&t);
    assert_int_equal(t.m.nlive, 0);
    ls_drain_and_compare(&t);
    ls_delete(&t);
}

/* Small blocks next to and after large ones, in both orders. */
static void test_large_and_small(void **state)
{
    static const uint32_t seq[] = {64, 1, 128, 32, 2, 4096, 8, 64, 16, 1024, 1, 2048};
    struct lockstep t;
    uint32_t i;

    (void)state;
    rng_state = 7;
    ls_new(&t, 8192);
    for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        ls_alloc(&t, seq[i]);
        ls_check_full(&t);
    }
    ls_free(&t, 0, 64); /* a whole chunk again: small blocks go there first */
    ls_alloc(&t, 1);
    ls_alloc(&t, 32);
    ls_free(&t, 4096, 4096);
    ls_alloc(&t, 4);
    ls_alloc(&t, 4096);
    ls_check_full(&t);
    ls_drain_and_compare(&t);
    ls_delete(&t);
}

/* One entry, and the whole 65536-entry pool as one block. */
static void test_extremes(void **state)
{
    struct lockstep t;

    (void)state;
    ls_new(&t, 1);
    ls_alloc(&t, 2);
    ls_alloc(&t, 1);
    ls_alloc(&t, 1);
    ls_free(&t, 0, 2);
    ls_free(&t, 0, 1);
    ls_reserve(&t, 0, 1);
    ls_alloc(&t, 1);
    ls_check_full(&t);
    ls_delete(&t);

    ls_new(&t, MAXN);
    ls_alloc(&t, MAXN);
    ls_alloc(&t, 1);
    ls_free(&t, 0, MAXN / 2);
    ls_free(&t, 0, MAXN);
    ls_alloc(&t, MAXN / 2 + 1);
    ls_free(&t, 0, MAXN);
    ls_reserve(&t, MAXN - 1, 1);
    ls_alloc(&t, MAXN);
    ls_alloc(&t, MAXN / 2);
    ls_alloc(&t, MAXN / 2);
    ls_check_full(&t);
    ls_reserve(&t, 1, MAXN - 2);
    ls_reserve(&t, MAXN / 2, MAXN / 2 - 1);
    ls_check_full(&t);
    ls_drain_and_compare(&t);
    ls_delete(&t);
}

/* ---- lock hooks ---- */

/* Records the nesting of the hooks, and the pool's bytes at each unlock:
 * the bytes must not change between an unlock and the next lock, nor after
 * the call returns, so every change is made while the lock is held. */
struct lock_rec {
    unsigned held;
    unsigned locks, unlocks;
    bool bad;
    const void *mem;
    size_t size;
    uint8_t snap[65536 / 4 + 4096];
};

static void rec_lock(void *ctx)
{
    struct lock_rec *r = ctx;
    if (r->held || memcmp(r->snap, r->mem, r->size) != 0)
        r->bad = true;
    r->held++;
    r->locks++;
}

static void rec_unlock(void *ctx)
{
    struct lock_rec *r = ctx;
    if (r->held != 1)
        r->bad = true;
    r->held--;
    r->unlocks++;
    memcpy(r->snap, r->mem, r->size);
}

static void test_lock_hooks(void **state)
{
    static struct lock_rec rec;
    struct vmsix_irte_pool *p = new_pool(1024);
    unsigned calls = 0, i, nok;
    uint32_t base;
    int r;

    (void)state;
    memset(&rec, 0, sizeof(rec));
    rec.mem = pool_mem;
    rec.size = vmsix_irte_pool_storage_size(1024);
    assert_int_equal(vmsix_irte_pool_set_lock(NULL, rec_lock, rec_unlock, &rec), -EINVAL);
    assert_int_equal(vmsix_irte_pool_set_lock(p, rec_lock, NULL, &rec), -EINVAL);
    assert_int_equal(vmsix_irte_pool_set_lock(p, NULL, rec_unlock, &rec), -EINVAL);
    assert_int_equal(vmsix_irte_alloc(p, 1, &base), 0); /* no hooks yet */
    assert_int_equal(rec.locks, 0);
    assert_int_equal(vmsix_irte_pool_set_lock(p, rec_lock, rec_unlock, &rec), 0);
    memcpy(rec.snap, rec.mem, rec.size);

#define HOOKED(expr)                                                                               \
    do {                                                                                           \
        r = (int)(expr);                                                                           \
        calls++;                                                                                   \
        assert_int_equal(rec.held, 0);                                                             \
        assert_int_equal(rec.locks, calls);                                                        \
        assert_int_equal(rec.unlocks, calls);                                                      \
        assert_memory_equal(rec.snap, rec.mem, rec.size);                                          \
        assert_false(rec.bad);                                                                     \
    } while (0)
#define CALL(expr, want)                                                                           \
    do {                                                                                           \
        HOOKED(expr);                                                                              \
        assert_int_equal(r, (want));                                                               \
    } while (0)

    CALL(vmsix_irte_alloc(p, 4, &base), 0);
    CALL(vmsix_irte_alloc(p, 0, &base), -EINVAL);
    CALL(vmsix_irte_alloc(p, 1, NULL), -EINVAL);
    CALL(vmsix_irte_alloc(p, 2048, &base), -ENOSPC);
    CALL(vmsix_irte_free(p, 4, 4), 0);
    CALL(vmsix_irte_free(p, 4, 4), -EINVAL);
    CALL(vmsix_irte_free(p, 4, 0), -EINVAL);
    CALL(vmsix_irte_free(p, 5000, 1), -EINVAL);
    CALL(vmsix_irte_reserve(p, 8, 8), 0);
    CALL(vmsix_irte_reserve(p, 8, 8), -EBUSY);
    CALL(vmsix_irte_reserve(p, 8, 0), -EINVAL);
    CALL(vmsix_irte_reserve(p, 1020, 8), -EINVAL);
    CALL(vmsix_irte_free_count(p), 1024 - 9);
    CALL(vmsix_irte_largest_free(p), 512);
    /* until the pool is full, freeing one block in three */
    for (i = 0, nok = 0; i < 1000; i++) {
        HOOKED(vmsix_irte_alloc(p, 3, &base));
        if (r == 0) {
            nok++;
            if (i % 3 == 0)
                CALL(vmsix_irte_free(p, base, 4), 0);
        } else {
            assert_int_equal(r, -ENOSPC);
        }
    }
    assert_true(nok > 253 && nok < 1000);
    CALL(vmsix_irte_free_count(p), 3);
    /* calls without a pool touch no hook */
    assert_int_equal(vmsix_irte_alloc(NULL, 1, &base), -EINVAL);
    assert_int_equal(vmsix_irte_free(NULL, 0, 1), -EINVAL);
    assert_int_equal(vmsix_irte_reserve(NULL, 0, 1), -EINVAL);
    assert_int_equal(vmsix_irte_free_count(NULL), 0);
    assert_int_equal(vmsix_irte_largest_free(NULL), 0);
    assert_int_equal(rec.locks, calls);
    assert_false(rec.bad);
    /* removed */
    assert_int_equal(vmsix_irte_pool_set_lock(p, NULL, NULL, NULL), 0);
    assert_int_equal(vmsix_irte_free_count(p), 3);
    assert_int_equal(rec.locks, calls);
#undef CALL
#undef HOOKED
}

/* ---- more cases: the hooked paths, history independence, storage ---- */

/* Counts the hooks and checks that they nest properly. */
struct hook_count {
    unsigned held, locks, unlocks;
    bool bad;
};

static void count_lock(void *ctx)
{
    struct hook_count *h = ctx;
    if (h->held)
        h->bad = true;
    h->held++;
    h->locks++;
}

static void count_unlock(void *ctx)
{
    struct hook_count *h = ctx;
    if (h->held != 1)
        h->bad = true;
    h->held--;
    h->unlocks++;
}

/* Random sequences in lockstep with the model while lock hooks are set, so
 * that every call takes the hooked path: same results as without hooks, and
 * one lock and one unlock per call. */
static void test_random_locked(void **state)
{
    static const uint32_t sizes[] = {16, 1024, 65536};
    struct hook_count h;
    unsigned si, i;

    (void)state;
    for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        struct lockstep t;
        uint32_t n = sizes[si];

        rng_state = 900 + si;
        memset(&h, 0, sizeof(h));
        ls_new(&t, n);
        assert_int_equal(vmsix_irte_pool_set_lock(t.pool, count_lock, count_unlock, &h), 0);
        for (i = 0; i < 20000; i++) {
            uint32_t k = rng_below(100);

            if (k < 55) {
                ls_alloc(&t, random_count(n));
            } else if (k < 90) {
                if (t.m.nlive) {
                    uint32_t b = t.m.live[rng_below(t.m.nlive)];
                    ls_free(&t, b, t.m.bsize[b]);
                }
            } else if (k < 98) {
                random_bad_free(&t);
            } else if (t.nres < n / 16) { /* reservations stay: keep few */
                ls_reserve(&t, rng_below(n), 1 + rng_below(4));
            }
            if (i % 97 == 0)
                ls_check_full(&t);
        }
        ls_check_full(&t);
        /* the fresh pool that the drained one is compared with has no hooks */
        assert_int_equal(vmsix_irte_pool_set_lock(t.pool, NULL, NULL, NULL), 0);
        ls_drain_and_compare(&t);
        assert_false(h.bad);
        assert_int_equal(h.held, 0);
        assert_int_equal(h.locks, h.unlocks);
        assert_true(h.locks >= 20000);
        ls_delete(&t);
    }
}

/* An alloc followed by the free of its block gives back the pool's exact
 * bytes, from a fresh pool for every size and from many random states:
 * every update made by alloc is undone by free, at every level. */
static void test_alloc_free_restores(void **state)
{
    uint32_t n;

    (void)state;
    for (n = 1; n <= MAXN; n <<= 1) {
        struct lockstep t;
        uint32_t s, i, base;

        rng_state = 1000 + n;
        ls_new(&t, n);
        for (s = 1; s <= n; s <<= 1) {
            uint32_t counts[3] = {s, s / 2 + 1, s > 2 ? s - 1 : s};
            unsigned c;

            for (c = 0; c < 3; c++) {
                ls_snap(&t);
                assert_int_equal(vmsix_irte_alloc(t.pool, counts[c], &base), 0);
                assert_int_equal(base, 0);
                assert_int_equal(vmsix_irte_free(t.pool, base, counts[c]), 0);
                ls_unchanged(&t);
            }
        }
        /* random states of every occupancy, with reservations */
        for (i = 0; i < (n < 1024 ? 3000u : 1500u); i++) {
            uint32_t k = rng_below(100), count;
            int r;

            if (k < 50) {
                ls_alloc(&t, random_count(n));
            } else if (k < 85) {
                if (t.m.nlive) {
                    uint32_t b = t.m.live[rng_below(t.m.nlive)];
                    ls_free(&t, b, t.m.bsize[b]);
                }
            } else if (k < 87 && n - t.m.nfree < n / 2) {
                ls_reserve(&t, rng_below(n), 1 + rng_below(3));
            }
            count = rng_below(4) ? 1u << rng_below(6) : random_count(n);
            ls_snap(&t);
            r = vmsix_irte_alloc(t.pool, count, &base);
            if (r == 0) {
                assert_int_equal(base, model_find(&t.m, count));
                assert_int_equal(vmsix_irte_free(t.pool, base, count), 0);
            } else {
                assert_int_equal(r, -ENOSPC);
            }
            ls_unchanged(&t);
        }
        ls_drain_and_compare(&t);
        ls_delete(&t);
    }
}

/* Nothing is ever written past vmsix_irte_pool_storage_size(), for every
 * pool size, and a byte copy of a pool in use is an equal pool. */
static void test_storage_bounds_and_copy(void **state)
{
    static uint64_t buf[2][(65536 / 4 + 4096) / 8 + 16];
    uint32_t n;

    (void)state;
    for (n = 1; n <= MAXN; n <<= 1) {
        struct lockstep t;
        struct vmsix_irte_pool *p;
        size_t size = vmsix_irte_pool_storage_size(n);
        uint8_t *raw = (uint8_t *)buf[0];
        uint32_t i, base;

        rng_state = 2000 + n;
        memset(buf, 0xa5, sizeof(buf));
        assert_int_equal(vmsix_irte_pool_init(buf[0], size, n, &p), 0);
        ls_new(&t, n); /* the model and its own pool, kept in lockstep */
        for (i = 0; i < 4000; i++) {
            uint32_t count = random_count(n), b;
            int r = vmsix_irte_alloc(p, count, &base);

            ls_alloc(&t, count);
            if (r == 0) {
                assert_int_equal(base, t.m.live[t.m.nlive - 1]);
            } else {
                assert_int_equal(r, -ENOSPC);
            }
            if (t.m.nlive && rng_below(3) == 0) {
                b = t.m.live[rng_below(t.m.nlive)];
                assert_int_equal(vmsix_irte_free(p, b, t.m.bsize[b]), 0);
                ls_free(&t, b, t.m.bsize[b]);
            }
            if (i == 2000) { /* carry on with a copy, elsewhere */
                memcpy(buf[1], buf[0], size);
                memset(buf[0], 0x5a, size);
                p = (struct vmsix_irte_pool *)(void *)buf[1];
                raw = (uint8_t *)buf[1];
            }
            assert_memory_equal(p, t.pool, size);
        }
        for (i = (uint32_t)size; i < sizeof(buf[0]); i++)
            assert_int_equal(raw[i], 0xa5);
        ls_delete(&t);
    }
}

/* Frees of one entry that are not frees of a one-entry block (the fast
 * path hands them on) are refused and change nothing, on pools of 1, 2,
 * 64 and 4096 entries. */
static void test_one_entry_refusals(void **state)
{
    static const uint32_t sizes[] = {1, 2, 64, 4096};
    unsigned si;

    (void)state;
    for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        uint32_t n = sizes[si], step = n > 8 ? n / 8 + 1 : 1, i;
        struct lockstep t;

        rng_state = 3000 + n;
        ls_new(&t, n);
        ls_free(&t, 0, 1); /* free */
        ls_free(&t, n, 1); /* past the end */
        ls_alloc(&t, n);   /* the whole pool: a large block unless n is 2 */
        for (i = 0; i < n; i += step)
            ls_free(&t, i, 1);
        ls_free(&t, 0, n);
        if (n >= 64) {
            ls_alloc(&t, 2);  /* 0 */
            ls_alloc(&t, 8);  /* 8 */
            ls_alloc(&t, 32); /* 32 */
            ls_alloc(&t, 1);  /* 2 */
            ls_reserve(&t, 3, 2);
            for (i = 0; i < 64; i++)
                ls_free(&t, i, 1); /* only 2 is a block of one entry */
            ls_alloc(&t, 1);       /* 2 again */
            if (n >= 4096) {
                ls_alloc(&t, 64);  /* 64 */
                ls_alloc(&t, 128); /* 128 */
                for (i = 64; i < 256; i += 7)
                    ls_free(&t, i, 1);
            }
        } else if (n == 2) {
            ls_alloc(&t, 1);
            ls_free(&t, 1, 1);
            ls_alloc(&t, 1);
            ls_free(&t, 0, 1);
            ls_free(&t, 0, 1);
        }
        ls_check_full(&t);
        ls_drain_and_compare(&t);
        ls_delete(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storage_size),       cmocka_unit_test(test_init_refusals),
        cmocka_unit_test(test_alloc_args),         cmocka_unit_test(test_reserve_args),
        cmocka_unit_test(test_reserve_odd_ranges), cmocka_unit_test(test_invalid_frees),
        cmocka_unit_test(test_extremes),           cmocka_unit_test(test_large_and_small),
        cmocka_unit_test(test_single_hole),        cmocka_unit_test(test_lock_hooks),
        cmocka_unit_test(test_random_small),       cmocka_unit_test(test_random_16),
        cmocka_unit_test(test_random_1024),        cmocka_unit_test(test_random_65536),
        cmocka_unit_test(test_exhaustive_16),      cmocka_unit_test(test_exhaustive_16_reserved),
        cmocka_unit_test(test_random_locked),      cmocka_unit_test(test_alloc_free_restores),
        cmocka_unit_test(test_storage_bounds_and_copy), cmocka_unit_test(test_one_entry_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
