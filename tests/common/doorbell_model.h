/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reference model of the MSI doorbell window (include/vmsix/doorbell.h,
 * DESIGN 4.7), for lockstep tests: the rule restated with plain arrays and
 * no shortcuts. A page is identified by its granule-aligned physical
 * address; each mapped page owns one slot, the lowest free one when it was
 * first got, and a count of the gets not yet put. The IOMMU the hooks
 * drive is modelled separately (struct dbm_iommu), so that a test can
 * compare what the window mapped with what the model says is mapped.
 *
 * Used by tests/unit/test_doorbell.c and tests/fuzz/fuzz_doorbell.c.
 */
#ifndef VMSIX_TESTS_DOORBELL_MODEL_H
#define VMSIX_TESTS_DOORBELL_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define DBM_MAX_SLOTS 64u

struct dbm {
    uint64_t base, granule;
    unsigned nslots;
    bool used[DBM_MAX_SLOTS];
    uint64_t page[DBM_MAX_SLOTS];
    uint32_t refs[DBM_MAX_SLOTS];
};

static inline void dbm_init(struct dbm *m, uint64_t base, uint64_t len, uint64_t granule,
                            unsigned max_pages)
{
    memset(m, 0, sizeof(*m));
    m->base = base;
    m->granule = granule;
    m->nslots = (unsigned)(len / granule < max_pages ? len / granule : max_pages);
}

/* What get must do. @map_rc: what the map hook will return if called.
 * Return: the result; *@iova and *@mapped (the hook was called) filled. */
static inline int dbm_get(struct dbm *m, uint64_t phys, int map_rc, uint64_t *iova, bool *mapped)
{
    uint64_t page = phys - phys % m->granule;
    unsigned i;

    *mapped = false;
    for (i = 0; i < m->nslots; i++) {
        if (m->used[i] && m->page[i] == page) {
            m->refs[i]++;
            *iova = m->base + i * m->granule + phys % m->granule;
            return 0;
        }
    }
    for (i = 0; i < m->nslots; i++)
        if (!m->used[i])
            break;
    if (i == m->nslots)
        return -ENOSPC;
    *mapped = true;
    if (map_rc)
        return map_rc;
    m->used[i] = true;
    m->page[i] = page;
    m->refs[i] = 1;
    *iova = m->base + i * m->granule + phys % m->granule;
    return 0;
}

/* What put must do; @unmap_rc: what the unmap hook will return if called. */
static inline int dbm_put(struct dbm *m, uint64_t iova, int unmap_rc, bool *unmapped)
{
    *unmapped = false;
    if (iova < m->base || (iova - m->base) / m->granule >= m->nslots)
        return -ENOENT;
    unsigned i = (unsigned)((iova - m->base) / m->granule);
    if (!m->used[i])
        return -ENOENT;
    if (m->refs[i] > 1) {
        m->refs[i]--;
        return 0;
    }
    *unmapped = true;
    if (unmap_rc)
        return unmap_rc;
    m->used[i] = false;
    m->refs[i] = 0;
    return 0;
}

/* What translate must do. */
static inline int dbm_translate(const struct dbm *m, uint64_t iova, uint64_t *phys, uint32_t *refs)
{
    if (iova < m->base || (iova - m->base) / m->granule >= m->nslots)
        return -ERANGE;
    unsigned i = (unsigned)((iova - m->base) / m->granule);
    if (!m->used[i])
        return -ENOENT;
    *phys = m->page[i] + iova % m->granule;
    *refs = m->refs[i];
    return 0;
}

/* The IOMMU the hooks drive: its mappings, as a list. The hooks check
 * their own contract (aligned, the granule, no double map, unmap only of a
 * mapping) and count violations. */
#define DBM_IOMMU_MAX 128u
struct dbm_iommu {
    unsigned n;
    uint64_t iova[DBM_IOMMU_MAX], phys[DBM_IOMMU_MAX], size[DBM_IOMMU_MAX];
    unsigned long violations, maps, unmaps;
    int fail_next; /* the next map or unmap returns this (then 0 again) */
};

static inline int dbm_iommu_map(struct dbm_iommu *u, uint64_t iova, uint64_t phys, uint64_t size)
{
    int rc = u->fail_next;
    unsigned i;

    u->maps++;
    u->fail_next = 0;
    if (!size || iova % size || phys % size)
        u->violations++;
    for (i = 0; i < u->n; i++)
        if (size && iova <= u->iova[i] + (u->size[i] - 1) && u->iova[i] <= iova + (size - 1))
            u->violations++; /* mapped over a live mapping (by last bytes: no wrap at 2^64) */
    if (rc)
        return rc;
    if (u->n == DBM_IOMMU_MAX) {
        u->violations++;
        return -ENOMEM;
    }
    u->iova[u->n] = iova;
    u->phys[u->n] = phys;
    u->size[u->n] = size;
    u->n++;
    return 0;
}

static inline int dbm_iommu_unmap(struct dbm_iommu *u, uint64_t iova, uint64_t size)
{
    int rc = u->fail_next;
    unsigned i;

    u->unmaps++;
    u->fail_next = 0;
    for (i = 0; i < u->n; i++)
        if (u->iova[i] == iova && u->size[i] == size)
            break;
    if (i == u->n) {
        u->violations++;
        return -ENOENT;
    }
    if (rc)
        return rc;
    u->n--;
    u->iova[i] = u->iova[u->n];
    u->phys[i] = u->phys[u->n];
    u->size[i] = u->size[u->n];
    return 0;
}

/* A device write to @iova: where the IOMMU sends it. Return 0 or -ENOENT
 * (an IOMMU fault). */
static inline int dbm_iommu_translate(const struct dbm_iommu *u, uint64_t iova, uint64_t *phys)
{
    for (unsigned i = 0; i < u->n; i++)
        if (iova >= u->iova[i] && iova - u->iova[i] < u->size[i]) {
            *phys = u->phys[i] + (iova - u->iova[i]);
            return 0;
        }
    return -ENOENT;
}

/* The IOMMU maps exactly the model's pages, each at its slot. */
static inline bool dbm_iommu_matches(const struct dbm *m, const struct dbm_iommu *u)
{
    unsigned used = 0;

    for (unsigned i = 0; i < m->nslots; i++) {
        uint64_t phys;
        if (!m->used[i])
            continue;
        used++;
        if (dbm_iommu_translate(u, m->base + i * m->granule, &phys) || phys != m->page[i])
            return false;
    }
    return used == u->n;
}

#endif /* VMSIX_TESTS_DOORBELL_MODEL_H */
