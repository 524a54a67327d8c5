/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-doorbell: the MSI doorbell window (include/vmsix/doorbell.h) and the
 * reference model of tests/common/doorbell_model.h driven in lockstep by a
 * stream of operations, with the IOMMU hooks failing when the input says.
 *
 * Input: 4 header bytes, then operations (missing bytes read as 0; at most
 * MAX_OPS operations).
 *   h0  bits 1:0 the granule: 4, 16, 64 KiB or 1 GiB
 *   h1  the window's length in granules: 1 + h1 % 16
 *   h2  max_pages: 1 + h2 % 16
 *   h3  the window's base in granules (h3 * granule), or at the very top
 *       of the address space (h3 = 0xff)
 * Each operation is one byte (mod 4) and its operands:
 *   0 get of a doorbell: one of 8 pages (two per granule, so some share
 *     one) at any offset, or any 64-bit address; the map hook fails with
 *     the operand's error when its bit 7 is set;
 *   1 put of an address got before, or of any address near the window;
 *     the unmap hook fails likewise;
 *   2 translate of any address near the window;
 *   3 put of every address got (the unmap hook never failing).
 *
 * Invariants (abort() on failure): every call returns what the model
 * returns, with the same address, physical address and count; a hook is
 * called exactly when the model says; after every operation the IOMMU maps
 * exactly the model's pages, each at its slot, and the hooks were called
 * within their contract (aligned, the granule, no double map, unmap only
 * of a mapping); at the end, putting everything back leaves the IOMMU
 * empty.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/doorbell.h>

#include "doorbell_model.h"
#include "fuzz_check.h"

#define MAX_OPS 4096
#define HELD_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dbm_iommu U;

static int h_map(void *ctx, uint64_t iova, uint64_t phys, uint64_t size)
{
    (void)ctx;
    return dbm_iommu_map(&U, iova, phys, size);
}

static int h_unmap(void *ctx, uint64_t iova, uint64_t size)
{
    (void)ctx;
    return dbm_iommu_unmap(&U, iova, size);
}

static const struct vmsix_doorbell_ops ops = {
    .size = sizeof(struct vmsix_doorbell_ops),
    .map = h_map,
    .unmap = h_unmap,
};

static uint64_t mem[(128 + 16 * 16) / 8];
static uint64_t held[HELD_MAX];
static unsigned nheld;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t granules[4] = {0x1000, 0x4000, 0x10000, 0x40000000};
    struct fuzz_in in = {data, size, 0};
    uint64_t gr = granules[fuzz_get8(&in) & 3];
    unsigned len = 1 + fuzz_get8(&in) % 16, pages = 1 + fuzz_get8(&in) % 16;
    uint8_t h3 = fuzz_get8(&in);
    uint64_t base = h3 == 0xff ? 0 - len * gr : h3 * gr;
    struct vmsix_doorbell_params p = {base, len * gr, gr, pages, 0, NULL};
    struct vmsix_doorbell *w = NULL;
    struct dbm m;
    bool hooked;

    memset(&U, 0, sizeof(U));
    nheld = 0;
    CHECK(vmsix_doorbell_storage_size(pages) <= sizeof(mem));
    CHECK(vmsix_doorbell_init(mem, sizeof(mem), &p, &ops, NULL, &w) == 0);
    dbm_init(&m, base, len * gr, gr, pages);
    for (unsigned i = 0; i < MAX_OPS && in.pos < in.n; i++) {
        uint8_t op = fuzz_get8(&in) % 4, arg = fuzz_get8(&in);
        int fail = (arg & 0x80) ? -(int)(1 + (arg & 0x7f)) : 0;
        int rc;

        if (op == 0) {
            uint64_t phys, iova = 1, miova = 2;
            unsigned long maps = U.maps;
            if (arg & 0x40)
                phys = fuzz_get(&in, 8);
            else
                phys = 0x08000000 + (arg & 7) * (gr / 2) + (fuzz_get(&in, 4) % gr);
            U.fail_next = fail;
            rc = vmsix_doorbell_get(w, phys, &iova);
            CHECK(rc == dbm_get(&m, phys, fail, &miova, &hooked));
            CHECK(U.maps - maps == hooked);
            U.fail_next = 0;
            if (rc == 0) {
                CHECK(iova == miova);
                if (nheld < HELD_MAX) {
                    held[nheld++] = iova;
                } else {
                    CHECK(vmsix_doorbell_put(w, iova) == dbm_put(&m, iova, 0, &hooked));
                }
            } else {
                CHECK(iova == 1);
            }
        } else if (op == 1) {
            uint64_t iova;
            unsigned j = 0;
            unsigned long unmaps = U.unmaps;
            if (nheld && !(arg & 0x40)) {
                j = (arg & 0x3f) % nheld;
                iova = held[j];
            } else {
                iova = base - gr + fuzz_get(&in, 8) % ((len + 2) * gr);
            }
            U.fail_next = fail;
            rc = vmsix_doorbell_put(w, iova);
            CHECK(rc == dbm_put(&m, iova, fail, &hooked));
            CHECK(U.unmaps - unmaps == hooked);
            U.fail_next = 0;
            if (rc == 0 && nheld && iova == held[j])
                held[j] = held[--nheld];
        } else if (op == 2) {
            uint64_t iova = base - gr + fuzz_get(&in, 8) % ((len + 2) * gr), p1 = 0, p2 = 0;
            uint32_t r1 = 0, r2 = 0;
            rc = vmsix_doorbell_translate(w, iova, &p1, &r1);
            CHECK(rc == dbm_translate(&m, iova, &p2, &r2));
            CHECK(rc != 0 || (p1 == p2 && r1 == r2));
        } else {
            while (nheld) {
                uint64_t iova = held[--nheld];
                CHECK(vmsix_doorbell_put(w, iova) == dbm_put(&m, iova, 0, &hooked));
            }
        }
        CHECK(dbm_iommu_matches(&m, &U));
        CHECK(U.violations == 0);
    }
    while (nheld) {
        uint64_t iova = held[--nheld];
        CHECK(vmsix_doorbell_put(w, iova) == dbm_put(&m, iova, 0, &hooked));
    }
    CHECK(U.n == 0 && U.violations == 0);
    return 0;
}
