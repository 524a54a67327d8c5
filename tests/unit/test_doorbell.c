/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MSI doorbell window (include/vmsix/doorbell.h, DESIGN 4.7): hand-
 * computed addresses for 4, 16 and 64 KiB granules, per-page reuse and
 * release on the last put (Linux's iommu_dma_get_msi_page() reuse), a full
 * window, failing map and unmap hooks, the guest-memory check and every
 * refusal of init with nothing written, the hook struct's size rule, and
 * random get/put/translate sequences in lockstep with the reference model
 * of tests/common/doorbell_model.h, map and unmap failures injected.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/doorbell.h>

#include "doorbell_model.h"
#include "xorshift.h"

static struct dbm_iommu U;

static int h_map(void *ctx, uint64_t iova, uint64_t phys, uint64_t size)
{
    assert_ptr_equal(ctx, &U);
    return dbm_iommu_map(&U, iova, phys, size);
}

static int h_unmap(void *ctx, uint64_t iova, uint64_t size)
{
    assert_ptr_equal(ctx, &U);
    return dbm_iommu_unmap(&U, iova, size);
}

static const struct vmsix_doorbell_ops ops = {
    .size = sizeof(struct vmsix_doorbell_ops),
    .map = h_map,
    .unmap = h_unmap,
};

static uint64_t mem[(64 + 16 * 64) / 8 + 64];

static struct vmsix_doorbell *make(uint64_t base, uint64_t len, uint64_t granule, uint32_t pages)
{
    struct vmsix_doorbell_params p = {base, len, granule, pages, 0, NULL};
    struct vmsix_doorbell *w = NULL;

    memset(&U, 0, sizeof(U));
    assert_true(vmsix_doorbell_storage_size(pages) <= sizeof(mem));
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), 0);
    assert_ptr_equal(w, mem);
    return w;
}

/* Hand-computed: the GICv3 ITS's GITS_TRANSLATER is ITS base + 0x10040.
 * With an ITS at 0x0808_0000 it is 0x0809_0040; its 4 KiB page is
 * 0x0809_0000, its 16 KiB page 0x0809_0000, its 64 KiB page 0x0809_0000
 * (0x0809_0000 is 64 KiB aligned: 0x809 * 0x10000 / 0x10000). */
static void test_addresses(void **state)
{
    static const uint64_t granules[] = {0x1000, 0x4000, 0x10000};
    (void)state;
    for (unsigned g = 0; g < 3; g++) {
        uint64_t gr = granules[g], iova = 0, phys = 0;
        uint32_t refs = 0;
        struct vmsix_doorbell *w = make(0x0a000000, 4 * gr, gr, 4);

        assert_int_equal(vmsix_doorbell_get(w, 0x08090040, &iova), 0);
        assert_int_equal(iova, 0x0a000040); /* slot 0 + offset 0x40 */
        assert_int_equal(U.n, 1);
        assert_int_equal(U.iova[0], 0x0a000000);
        assert_int_equal(U.phys[0], 0x08090000);
        assert_int_equal(U.size[0], gr);
        /* the same page again (another offset in it): reused, no map */
        assert_int_equal(vmsix_doorbell_get(w, 0x08090048, &iova), 0);
        assert_int_equal(iova, 0x0a000048);
        assert_int_equal(U.maps, 1);
        assert_int_equal(vmsix_doorbell_translate(w, 0x0a000044, &phys, &refs), 0);
        assert_int_equal(phys, 0x08090044);
        assert_int_equal(refs, 2);
        /* another page: slot 1, at base + granule */
        assert_int_equal(vmsix_doorbell_get(w, 0x08090040 + gr, &iova), 0);
        assert_int_equal(iova, 0x0a000000 + gr + 0x40);
        assert_int_equal(U.phys[1], 0x08090000 + gr);
        /* puts: the first page keeps one reference, then goes */
        assert_int_equal(vmsix_doorbell_put(w, 0x0a000040), 0);
        assert_int_equal(U.unmaps, 0);
        assert_int_equal(vmsix_doorbell_put(w, 0x0a000048), 0);
        assert_int_equal(U.unmaps, 1);
        assert_int_equal(vmsix_doorbell_translate(w, 0x0a000040, &phys, NULL), -ENOENT);
        assert_int_equal(vmsix_doorbell_put(w, 0x0a000040), -ENOENT);
        /* the freed slot 0 is the lowest free one: a new page takes it */
        assert_int_equal(vmsix_doorbell_get(w, 0x2fff0000 + gr - 4, &iova), 0);
        assert_int_equal(iova, 0x0a000000 + gr - 4);
        assert_int_equal(vmsix_doorbell_translate(w, 0x0a000000 + 4 * gr, &phys, NULL), -ERANGE);
        assert_int_equal(vmsix_doorbell_translate(w, 0x09ffffff, &phys, NULL), -ERANGE);
        assert_int_equal(vmsix_doorbell_put(w, 0x0a000000 + 4 * gr), -ENOENT);
        assert_int_equal(U.violations, 0);
    }
}

/* Full: -ENOSPC without calling map; the window's slots are min(len /
 * granule, max_pages). */
static void test_full(void **state)
{
    uint64_t iova = 0, iova2 = 0;
    (void)state;
    struct vmsix_doorbell *w = make(0x10000, 0x3000, 0x1000, 8); /* 3 slots */
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vmsix_doorbell_get(w, 0x100000 * (i + 1), &iova), 0);
    assert_int_equal(iova, 0x12000);
    iova2 = 0x1234;
    assert_int_equal(vmsix_doorbell_get(w, 0x900000, &iova2), -ENOSPC);
    assert_int_equal(iova2, 0x1234);
    assert_int_equal(U.maps, 3);
    /* a page already mapped is still handed out when full */
    assert_int_equal(vmsix_doorbell_get(w, 0x200010, &iova2), 0);
    assert_int_equal(iova2, 0x11010);
    w = make(0x10000, 0x10000, 0x1000, 2); /* 16 granules, 2 pages */
    assert_int_equal(vmsix_doorbell_get(w, 0x100000, &iova), 0);
    assert_int_equal(vmsix_doorbell_get(w, 0x200000, &iova), 0);
    assert_int_equal(vmsix_doorbell_get(w, 0x300000, &iova), -ENOSPC);
}

/* A map that fails leaves nothing mapped and nothing changed; an unmap
 * that fails keeps the page and its last reference. A positive hook
 * result is -EIO. */
static void test_hook_failures(void **state)
{
    uint64_t iova = 0x77, phys;
    uint32_t refs;
    (void)state;
    struct vmsix_doorbell *w = make(0x40000, 0x20000, 0x10000, 2);

    U.fail_next = -ENOMEM;
    assert_int_equal(vmsix_doorbell_get(w, 0x08090040, &iova), -ENOMEM);
    assert_int_equal(iova, 0x77);
    assert_int_equal(U.n, 0);
    assert_int_equal(vmsix_doorbell_translate(w, 0x40000, &phys, NULL), -ENOENT);
    U.fail_next = 5;
    assert_int_equal(vmsix_doorbell_get(w, 0x08090040, &iova), -EIO);
    /* the slot it would have taken is still free */
    assert_int_equal(vmsix_doorbell_get(w, 0x08090040, &iova), 0);
    assert_int_equal(iova, 0x40040);
    U.fail_next = -EIO;
    assert_int_equal(vmsix_doorbell_put(w, 0x40040), -EIO);
    assert_int_equal(vmsix_doorbell_translate(w, 0x40040, &phys, &refs), 0);
    assert_int_equal(refs, 1);
    assert_int_equal(U.n, 1);
    assert_int_equal(vmsix_doorbell_put(w, 0x40040), 0);
    assert_int_equal(U.n, 0);
    assert_int_equal(U.violations, 0);
}

/* The window must not overlap guest memory; touching it is fine. */
static void test_guest_ram(void **state)
{
    struct vmsix_doorbell_range ram[3] = {
        {0x40000000, 0x40000000}, /* 1 GiB at 1 GiB */
        {0, 0},                   /* empty: ignored */
        {0x0, 0x08000000},        /* 128 MiB at 0 */
    };
    struct vmsix_doorbell_params p = {0x08000000, 0x10000, 0x1000, 4, 3, ram};
    struct vmsix_doorbell *w = NULL;

    (void)state;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), 0);
    /* overlapping the first byte of RAM, or its last one */
    p.iova_base = 0x3fff8000;
    memset(mem, 0xa5, sizeof(mem));
    w = NULL;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    assert_null(w);
    assert_int_equal(((unsigned char *)mem)[0], 0xa5); /* nothing written */
    p.iova_base = 0x7ffff000;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    p.iova_base = 0x07fff000; /* the last page of the range at 0 */
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    p.iova_base = 0x3fff0000;
    p.len = 0x10000; /* ends exactly where RAM starts */
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), 0);
    /* a window inside RAM, and RAM inside a window */
    p.iova_base = 0x50000000;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    p.iova_base = 0x3000000000000000ull;
    p.len = 0x1000000000000000ull;
    ram[1].base = 0x3000000000001000ull;
    ram[1].len = 1;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    /* RAM and a window at the very top of the address space */
    ram[1].base = 0xfffffffffffff000ull;
    ram[1].len = 0x1000;
    p.iova_base = 0xffffffffffff0000ull;
    p.len = 0x10000;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EBUSY);
    ram[1].len = 0x1001; /* wraps */
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), -EINVAL);
    ram[1].base = 0xffffffffffffe000ull;
    ram[1].len = 0x1000;
    p.iova_base = 0xfffffffffffff000ull;
    p.len = 0x1000;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, &U, &w), 0);
    /* the window's last slot ends at 2^64 */
    uint64_t iova = 0, phys = 0;
    memset(&U, 0, sizeof(U));
    assert_int_equal(vmsix_doorbell_get(w, 0x08090ffc, &iova), 0);
    assert_int_equal(iova, 0xfffffffffffffffcull);
    assert_int_equal(vmsix_doorbell_translate(w, 0xffffffffffffffffull, &phys, NULL), 0);
    assert_int_equal(phys, 0x08090fffull);
    assert_int_equal(vmsix_doorbell_put(w, iova), 0);
}

/* Every refusal of init writes nothing; uninitialized storage is refused
 * as NULL is. */
static void test_init_refusals(void **state)
{
    struct vmsix_doorbell_params good = {0x08000000, 0x10000, 0x1000, 4, 0, NULL}, p;
    struct vmsix_doorbell_ops o;
    struct vmsix_doorbell *w = NULL;
    struct {
        struct vmsix_doorbell_ops ops;
        void (*newer)(void);
    } big;
    uint64_t iova = 0, phys = 0;

    (void)state;
    memset(&U, 0, sizeof(U));
    memset(mem, 0xa5, sizeof(mem));
#define REFUSED(rc, ...)                                                                           \
    do {                                                                                           \
        p = good;                                                                                  \
        o = ops;                                                                                   \
        __VA_ARGS__;                                                                               \
        assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &p, &o, &U, &w), rc);               \
        assert_null(w);                                                                            \
        assert_int_equal(((unsigned char *)mem)[0], 0xa5);                                         \
    } while (0)
    REFUSED(-EINVAL, p.granule = 0x800);
    REFUSED(-EINVAL, p.granule = 0x3000);
    REFUSED(-EINVAL, p.granule = 0x80000000ull);
    REFUSED(-EINVAL, p.granule = 0);
    REFUSED(-EINVAL, p.iova_base = 0x08000800);
    REFUSED(-EINVAL, p.len = 0x10800);
    REFUSED(-EINVAL, p.len = 0);
    REFUSED(-EINVAL, p.iova_base = 0xfffffffffffff000ull; p.len = 0x2000);
    REFUSED(-EINVAL, p.max_pages = 0);
    REFUSED(-EINVAL, p.max_pages = VMSIX_DOORBELL_MAX_PAGES + 1);
    REFUSED(-EINVAL, p.max_pages = 100); /* more than mem holds */
    REFUSED(-EINVAL, p.nguest_ram = 1);
    REFUSED(-EINVAL, o.size = VMSIX_DOORBELL_OPS_SIZE_V1 - 1);
    REFUSED(-EINVAL, o.size = 0);
    REFUSED(-EINVAL, o.map = NULL);
    REFUSED(-EINVAL, o.unmap = NULL);
    assert_int_equal(vmsix_doorbell_init(NULL, sizeof(mem), &good, &ops, &U, &w), -EINVAL);
    assert_int_equal(vmsix_doorbell_init((char *)mem + 4, sizeof(mem) - 8, &good, &ops, &U, &w),
                     -EINVAL);
    assert_int_equal(
        vmsix_doorbell_init(mem, vmsix_doorbell_storage_size(4) - 1, &good, &ops, &U, &w), -EINVAL);
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), NULL, &ops, &U, &w), -EINVAL);
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &good, NULL, &U, &w), -EINVAL);
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &good, &ops, &U, NULL), -EINVAL);
    /* a newer caller's struct: its unknown members must be NULL */
    memset(&big, 0, sizeof(big));
    big.ops = ops;
    big.ops.size = sizeof(big);
    big.newer = (void (*)(void))h_map;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &good, &big.ops, &U, &w), -ENOTSUP);
    assert_int_equal(((unsigned char *)mem)[0], 0xa5);
    /* storage that init never made (or refused) is refused */
    w = (struct vmsix_doorbell *)mem;
    assert_int_equal(vmsix_doorbell_get(w, 0x1000, &iova), -EINVAL);
    assert_int_equal(vmsix_doorbell_put(w, 0x08000000), -EINVAL);
    assert_int_equal(vmsix_doorbell_translate(w, 0x08000000, &phys, NULL), -EINVAL);
    assert_int_equal(vmsix_doorbell_get(NULL, 0x1000, &iova), -EINVAL);
    assert_int_equal(vmsix_doorbell_put(NULL, 0x1000), -EINVAL);
    assert_int_equal(vmsix_doorbell_translate(NULL, 0x1000, &phys, NULL), -EINVAL);
    assert_int_equal(U.maps + U.unmaps, 0);
    /* an older caller's struct (exactly V1) and a newer one with the extra
     * member NULL are accepted */
    big.newer = NULL;
    w = NULL;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &good, &big.ops, &U, &w), 0);
    o = ops;
    o.size = VMSIX_DOORBELL_OPS_SIZE_V1;
    assert_int_equal(vmsix_doorbell_init(mem, sizeof(mem), &good, &o, &U, &w), 0);
    assert_int_equal(vmsix_doorbell_get(w, 0x1000, NULL), -EINVAL);
    assert_int_equal(vmsix_doorbell_translate(w, 0x08000000, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_doorbell_storage_size(0), 0);
    assert_int_equal(vmsix_doorbell_storage_size(VMSIX_DOORBELL_MAX_PAGES + 1), 0);
    assert_true(vmsix_doorbell_storage_size(2) > vmsix_doorbell_storage_size(1));
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

/* Random get/put/translate in lockstep with the model; the IOMMU the hooks
 * drive must map exactly the model's pages after every step. */
static void test_lockstep(void **state)
{
    static const uint64_t granules[] = {0x1000, 0x4000, 0x10000};
    unsigned long steps = 0, full = 0, map_fails = 0, unmap_fails = 0;
    (void)state;
    for (unsigned run = 0; run < 300; run++) {
        uint64_t gr = granules[run % 3];
        unsigned len_pages = 1 + (unsigned)(rnd() % 12), max_pages = 1 + (unsigned)(rnd() % 10);
        uint64_t base = (0x100000 + (rnd() % 64) * 0x10000) & ~(gr - 1);
        struct vmsix_doorbell *w = make(base, len_pages * gr, gr, max_pages);
        struct dbm m;
        uint64_t held[64];
        unsigned nheld = 0;

        dbm_init(&m, base, len_pages * gr, gr, max_pages);
        for (unsigned i = 0; i < 400; i++, steps++) {
            unsigned op = (unsigned)(rnd() % 8);
            int fail = rnd() % 6 == 0 ? -(int)(1 + rnd() % 100) : 0;
            int rc, mrc;
            if (op < 4) { /* get: a doorbell in one of 8 pages (some share a page) */
                uint64_t phys = 0x08000000 + (rnd() % 8) * (gr / 2) + (rnd() % gr & ~3ull);
                uint64_t iova = 1, miova = 2;
                bool hooked;
                unsigned long maps = U.maps;
                U.fail_next = fail;
                rc = vmsix_doorbell_get(w, phys, &iova);
                mrc = dbm_get(&m, phys, fail, &miova, &hooked);
                assert_int_equal(rc, mrc);
                assert_int_equal(U.maps - maps, hooked);
                U.fail_next = 0;
                full += rc == -ENOSPC;
                map_fails += hooked && rc;
                if (rc == 0) {
                    assert_int_equal(iova, miova);
                    if (nheld < 64) {
                        held[nheld++] = iova;
                    } else { /* no room to remember it: given back at once */
                        assert_int_equal(vmsix_doorbell_put(w, iova),
                                         dbm_put(&m, iova, 0, &hooked));
                    }
                } else {
                    assert_int_equal(iova, 1);
                }
            } else if (op < 7) { /* put: one held, or anything */
                uint64_t iova;
                unsigned j = 0;
                bool hooked;
                unsigned long unmaps = U.unmaps;
                if (nheld && rnd() % 8) {
                    j = (unsigned)(rnd() % nheld);
                    iova = held[j];
                } else {
                    iova = base - gr + rnd() % ((len_pages + 2) * gr);
                }
                U.fail_next = fail;
                rc = vmsix_doorbell_put(w, iova);
                mrc = dbm_put(&m, iova, fail, &hooked);
                assert_int_equal(rc, mrc);
                assert_int_equal(U.unmaps - unmaps, hooked);
                U.fail_next = 0;
                unmap_fails += hooked && rc;
                if (rc == 0 && nheld && iova == held[j])
                    held[j] = held[--nheld];
            } else { /* translate anywhere near the window */
                uint64_t iova = base - gr + rnd() % ((len_pages + 2) * gr), p1 = 0, p2 = 0;
                uint32_t r1 = 0, r2 = 0;
                rc = vmsix_doorbell_translate(w, iova, &p1, &r1);
                assert_int_equal(rc, dbm_translate(&m, iova, &p2, &r2));
                if (rc == 0) {
                    assert_int_equal(p1, p2);
                    assert_int_equal(r1, r2);
                }
            }
            assert_true(dbm_iommu_matches(&m, &U));
            assert_int_equal(U.violations, 0);
        }
        /* put everything back: the IOMMU ends empty */
        while (nheld) {
            bool hooked;
            uint64_t iova = held[--nheld];
            assert_int_equal(vmsix_doorbell_put(w, iova), dbm_put(&m, iova, 0, &hooked));
        }
        assert_int_equal(U.n, 0);
        assert_int_equal(U.violations, 0);
    }
    /* every path was taken */
    assert_true(steps > 100000 && full > 100 && map_fails > 100 && unmap_fails > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),     cmocka_unit_test(test_full),
        cmocka_unit_test(test_hook_failures), cmocka_unit_test(test_guest_ram),
        cmocka_unit_test(test_init_refusals), cmocka_unit_test(test_lockstep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
