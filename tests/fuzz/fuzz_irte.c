/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-irte: an interrupt-remapping-entry pool and the reference model of
 * tests/unit/test_irte_alloc.c (tests/common/irte_model.h: one owner byte
 * per entry, alloc scans from 0 in steps of the block size) driven in
 * lockstep by a stream of operations.
 *
 * Input: 2 header bytes, then operations (missing bytes read as 0; at most
 * MAX_OPS operations).
 *   h0  the pool has 1 << (h0 % 17) entries (1..65536)
 *   h1  bit 0: lock hooks set (every call then takes the hooked path)
 * Each operation is one byte (mod 7) and its operands:
 *   0, 1 alloc of a count: small (1..64), a power of two up to 2^17, any
 *        16-bit or any 32-bit value (0 and counts above the pool included);
 *   2 free of a live block with any count that rounds up to its size;
 *   3 a free the model decides: near a live block (inner entry, neighbour,
 *     other counts, double free) or any base and count;
 *   4 reserve of any range (sometimes past the end);
 *   5 vmsix_irte_free_count(); 6 vmsix_irte_largest_free() (at most
 *     MAX_LARGEST per input: the model's answer costs n log n).
 *
 * Invariants (abort() on failure):
 * - alloc returns the model's base: the lowest naturally aligned wholly
 *   free block of the rounded-up size; the block is inside the pool and
 *   overlaps no allocated or reserved entry; -EINVAL for count 0 and
 *   -ENOSPC exactly when the model has no aligned free block;
 * - free succeeds exactly when the model says (a live block's base and a
 *   count that rounds up to its size), else -EINVAL; reserve returns the
 *   model's 0, -EBUSY or -EINVAL;
 * - every refused call leaves the pool's bytes unchanged (and *base
 *   unwritten);
 * - free_count equals the model's after every operation; largest_free
 *   equals the model's largest aligned free block;
 * - with lock hooks: one lock and one unlock per call, never nested;
 * - at the end, freeing every live block gives back the bytes of a fresh
 *   pool given the same reservations in the same order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/irte_alloc.h>

#include "oracle.h"
#include "fuzz_check.h"
#include "irte_model.h"

#define MAX_OPS 4096
#define MAX_LARGEST 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct hooks {
    unsigned held, locks, unlocks;
    bool bad;
};

static void h_lock(void *ctx)
{
    struct hooks *h = ctx;
    if (h->held)
        h->bad = true;
    h->held++;
    h->locks++;
}

static void h_unlock(void *ctx)
{
    struct hooks *h = ctx;
    if (h->held != 1)
        h->bad = true;
    h->held--;
    h->unlocks++;
}

static struct {
    struct vmsix_irte_pool *pool;
    void *mem, *snap;
    size_t size;
    struct model m;
    uint32_t (*res)[2]; /* successful reservations, in order */
    uint32_t nres;
    bool hooked;
    struct hooks h;
    unsigned calls; /* pool calls made while hooked */
} t;

static void snap(void)
{
    memcpy(t.snap, t.mem, t.size);
}

static VMSIX_ORACLE void unchanged(void)
{
    CHECK(memcmp(t.snap, t.mem, t.size) == 0);
}

/* after every pool call */
static void called(void)
{
    if (!t.hooked)
        return;
    t.calls++;
    CHECK(!t.h.bad);
    CHECK(t.h.held == 0);
    CHECK(t.h.locks == t.calls);
    CHECK(t.h.unlocks == t.calls);
}

static void check_count(void)
{
    CHECK(vmsix_irte_free_count(t.pool) == t.m.nfree);
    called();
}

static void do_alloc(uint32_t count)
{
    uint32_t want = model_find(&t.m, count);
    uint32_t base = 0xdeadbeef;
    int r;

    if (want == NONE) {
        snap();
        r = vmsix_irte_alloc(t.pool, count, &base);
        called();
        CHECK(r == (count == 0 ? -EINVAL : -ENOSPC));
        CHECK(base == 0xdeadbeef);
        unchanged();
        return;
    }
    uint32_t s = pow2_ceil(count);
    r = vmsix_irte_alloc(t.pool, count, &base);
    called();
    CHECK(r == 0);
    CHECK(base == want);
    CHECK(base % s == 0);
    CHECK(base < t.m.n && s <= t.m.n - base);
    CHECK(model_range_free(&t.m, base, s)); /* no overlap */
    model_take(&t.m, base, s);
}

static void do_free(uint32_t base, uint32_t count)
{
    bool ok = model_free_ok(&t.m, base, count);
    int r;

    if (!ok)
        snap();
    r = vmsix_irte_free(t.pool, base, count);
    called();
    if (ok) {
        CHECK(r == 0);
        model_give(&t.m, base);
    } else {
        CHECK(r == -EINVAL);
        unchanged();
    }
}

static void do_reserve(uint32_t base, uint32_t count)
{
    int want = model_reserve_result(&t.m, base, count);
    int r;

    if (want)
        snap();
    r = vmsix_irte_reserve(t.pool, base, count);
    called();
    CHECK(r == want);
    if (want) {
        unchanged();
    } else {
        model_reserve(&t.m, base, count);
        t.res[t.nres][0] = base;
        t.res[t.nres][1] = count;
        t.nres++;
    }
}

static uint32_t pick_count(struct fuzz_in *in)
{
    uint8_t c = fuzz_get8(in);

    switch (c >> 6) {
    case 0:
        return 1 + (c & 63u);
    case 1:
        return 1u << ((c & 63u) % 18);
    case 2:
        return (uint32_t)fuzz_get(in, 2);
    default:
        return (uint32_t)fuzz_get(in, 4);
    }
}

static void op_bad_free(struct fuzz_in *in)
{
    uint8_t sel = fuzz_get8(in);

    if (t.m.nlive == 0 || (sel & 7) == 7) {
        uint32_t b = (uint32_t)fuzz_get(in, 4), c = (uint32_t)fuzz_get(in, 4);
        do_free(b, c);
        return;
    }
    uint32_t b = t.m.live[(uint32_t)fuzz_get(in, 2) % t.m.nlive], s = t.m.bsize[b];
    switch (sel & 7) {
    case 0: /* an inner entry, or one past */
        do_free(b + 1 + (uint32_t)fuzz_get(in, 2) % s, s);
        break;
    case 1: /* any count */
        do_free(b, (uint32_t)fuzz_get(in, 4));
        break;
    case 2: /* double free */
        do_free(b, s);
        do_free(b, s);
        break;
    case 3: /* a reserved range */
        if (t.nres) {
            uint32_t i = (uint32_t)fuzz_get(in, 2) % t.nres;
            do_free(t.res[i][0], t.res[i][1]);
        }
        break;
    case 4: /* a neighbour */
        do_free(b >= s ? b - s : b + s, s);
        break;
    case 5: /* a small count */
        do_free(b, fuzz_get8(in) % (s + 1));
        break;
    default: /* beyond the pool */
        do_free(t.m.n + fuzz_get8(in), s);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size, 0};
    uint32_t n = 1u << (fuzz_get8(&in) % 17);
    unsigned largest = 0;

    memset(&t, 0, sizeof(t));
    t.hooked = (fuzz_get8(&in) & 1) != 0;
    t.size = vmsix_irte_pool_storage_size(n);
    CHECK(t.size > 0 && t.size <= n / 4 + 4096);
    /* exact-size heap storage: ASan sees any access past it */
    t.mem = malloc(t.size);
    t.snap = malloc(t.size);
    t.res = malloc(sizeof(*t.res) * n);
    if (!t.mem || !t.snap || !t.res || !model_new(&t.m, n))
        abort();
    CHECK(vmsix_irte_pool_init(t.mem, t.size, n, &t.pool) == 0);
    CHECK((void *)t.pool == t.mem);
    if (t.hooked)
        CHECK(vmsix_irte_pool_set_lock(t.pool, h_lock, h_unlock, &t.h) == 0);

    for (unsigned i = 0; i < MAX_OPS && in.pos < in.n; i++) {
        switch (fuzz_get8(&in) % 7) {
        case 0:
        case 1:
            do_alloc(pick_count(&in));
            break;
        case 2:
            if (t.m.nlive) {
                uint32_t b = t.m.live[(uint32_t)fuzz_get(&in, 2) % t.m.nlive], s = t.m.bsize[b];
                do_free(b, s / 2 + 1 + (uint32_t)fuzz_get(&in, 2) % (s - s / 2));
            }
            break;
        case 3:
            op_bad_free(&in);
            break;
        case 4: {
            uint8_t sel = fuzz_get8(&in);
            uint32_t b =
                sel & 1 ? (uint32_t)fuzz_get(&in, 4) : (uint32_t)fuzz_get(&in, 2) % (n + 4);
            uint32_t c = sel & 2 ? (uint32_t)fuzz_get(&in, 4)
                                 : (sel & 4 ? (uint32_t)fuzz_get(&in, 2) : fuzz_get8(&in));
            do_reserve(b, c);
            break;
        }
        case 5:
            break; /* free_count, checked below */
        default:
            if (largest < MAX_LARGEST) {
                largest++;
                CHECK(vmsix_irte_largest_free(t.pool) == model_largest(&t.m));
                called();
            }
            break;
        }
        check_count();
    }

    /* drain: a fresh pool with the same reservations has the same bytes */
    CHECK(vmsix_irte_largest_free(t.pool) == model_largest(&t.m));
    called();
    while (t.m.nlive) {
        uint32_t b = t.m.live[t.m.nlive - 1];
        do_free(b, t.m.bsize[b]);
    }
    check_count();
    if (t.hooked)
        CHECK(vmsix_irte_pool_set_lock(t.pool, NULL, NULL, NULL) == 0);
    struct vmsix_irte_pool *fresh;
    CHECK(vmsix_irte_pool_init(t.snap, t.size, n, &fresh) == 0);
    for (uint32_t i = 0; i < t.nres; i++)
        CHECK(vmsix_irte_reserve(fresh, t.res[i][0], t.res[i][1]) == 0);
    CHECK(memcmp(t.snap, t.mem, t.size) == 0);

    model_delete(&t.m);
    free(t.mem);
    free(t.snap);
    free(t.res);
    return 0;
}
