/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A GICv3-ITS-like remapping unit for tests, with its remap backend and a
 * reference resolver: the third shape of unit that include/vmsix/remap.h
 * describes (DESIGN 4.5), so that the core's CAP_DATA_INDEX and
 * CAP_DOORBELL branches run against a unit that depends on them.
 *
 * The unit: one event table per DeviceID (the ITS's device table and
 * interrupt translation tables, reduced to what matters here), each of a
 * power-of-two number of events; an event, when mapped (MAPTI), gives an
 * LPI and a collection. A device sends its MSI as a 32-bit write of the
 * EventID to GITS_TRANSLATER, which sits behind the SMMU: the device writes
 * an IOVA that the IOMMU maps to it. So
 *   - CAP_DATA_INDEX: data = EventID = base + k, the function replacing the
 *     low log2(N) bits of the data, so a block must be aligned to its size.
 *     The backend's allocator is first fit and honours exactly the
 *     alignment asked (an ITS driver allocates events in any way it likes):
 *     a device that asks for less gets a block whose messages reach the
 *     wrong events, and the resolver shows it;
 *   - CAP_DOORBELL: compose() gives the doorbell's physical address
 *     (GITS_TRANSLATER), doorbell_map() exchanges it for the IOVA that the
 *     MSI doorbell window (include/vmsix/doorbell.h) hands out, and
 *     doorbell_unmap() gives that back.
 * Collections are 8-bit (a unit with 256 collections: dest_bits 8); the
 * LPI is the host target's vector as given (the host's translate picks
 * it). Only fixed, edge, physical, non-posted targets are held.
 *
 * The resolver follows a device write: IOVA -> the IOMMU (the host's
 * mappings, through a callback: not the window's own bookkeeping) -> must
 * be GITS_TRANSLATER -> DeviceID's table -> EventID in range -> event
 * mapped -> LPI and collection; each failure its own reason.
 *
 * Test code, not a library backend: it uses only the public headers.
 */
#ifndef VMSIX_TESTS_ITS_REF_H
#define VMSIX_TESTS_ITS_REF_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <vmsix/doorbell.h>
#include <vmsix/remap.h>

/* The ITS's frame at 0x0808_0000 (QEMU's virt machine); GITS_TRANSLATER is
 * at offset 0x10040 of it. */
#define ITS_BASE 0x08080000ull
#define ITS_TRANSLATER (ITS_BASE + 0x10040u)
#define ITS_MAX_TABLES 2u
#define ITS_MAX_EVENTS 256u
#define ITS_MAX_DOORBELLS 8u

/* What its_resolve() returns: 0 or one of these. */
enum its_fault {
    ITS_OK = 0,
    ITS_FAULT_IOMMU = 1,    /* the IOVA is not mapped: an SMMU fault */
    ITS_FAULT_NOT_DOORBELL, /* mapped, but not to GITS_TRANSLATER: a plain DMA write */
    ITS_FAULT_DEVID,        /* no event table for the DeviceID */
    ITS_FAULT_EVENTID,      /* EventID beyond the table */
    ITS_FAULT_NOT_MAPPED,   /* the event has no LPI */
};

struct its_ite {
    bool valid;
    uint32_t lpi;
    uint32_t icid;
};

struct its_table {
    bool used;
    uint32_t devid;
    uint32_t nevents; /* a power of two <= ITS_MAX_EVENTS */
    struct its_ite ite[ITS_MAX_EVENTS];
    bool taken[ITS_MAX_EVENTS]; /* the allocator: reserved or in a block */
    uint32_t nfree;
};

/* A doorbell the backend mapped for a block. */
struct its_db {
    bool used;
    uint32_t table, base;
    uint64_t iova;
};

struct its_unit {
    struct its_table t[ITS_MAX_TABLES];
    struct vmsix_doorbell *window;
    struct its_db db[ITS_MAX_DOORBELLS];
    /* the IOMMU, for the resolver: where a device write to @iova goes */
    int (*iommu)(void *ctx, uint64_t iova, uint64_t *phys);
    void *iommu_ctx;
    unsigned long invalidations;
};

static inline void its_init(struct its_unit *u, struct vmsix_doorbell *window,
                            int (*iommu)(void *, uint64_t, uint64_t *), void *iommu_ctx)
{
    memset(u, 0, sizeof(*u));
    u->window = window;
    u->iommu = iommu;
    u->iommu_ctx = iommu_ctx;
}

/* Give @devid an event table of @nevents events, the first @reserved of
 * them the host's. Return its number, or -1. */
static inline int its_table_add(struct its_unit *u, uint32_t devid, uint32_t nevents,
                                uint32_t reserved)
{
    for (unsigned i = 0; i < ITS_MAX_TABLES; i++) {
        struct its_table *t = &u->t[i];
        if (t->used)
            continue;
        if (!nevents || nevents > ITS_MAX_EVENTS || (nevents & (nevents - 1)) || reserved > nevents)
            return -1;
        memset(t, 0, sizeof(*t));
        t->used = true;
        t->devid = devid;
        t->nevents = nevents;
        for (uint32_t e = 0; e < reserved; e++)
            t->taken[e] = true;
        t->nfree = nevents - reserved;
        return (int)i;
    }
    return -1;
}

static inline struct its_table *its_table_of(struct its_unit *u, uint32_t devid)
{
    for (unsigned i = 0; i < ITS_MAX_TABLES; i++)
        if (u->t[i].used && u->t[i].devid == devid)
            return &u->t[i];
    return NULL;
}

/* First fit: the lowest free run of @n events whose base is a multiple of
 * @align (exactly that: no more alignment than asked). */
static inline int its_events_take(struct its_table *t, uint32_t n, uint32_t align, uint32_t *base)
{
    if (!align)
        align = 1;
    for (uint32_t b = 0; b + n <= t->nevents; b += align) {
        uint32_t e;
        for (e = b; e < b + n && !t->taken[e]; e++)
            ;
        if (e < b + n)
            continue;
        for (e = b; e < b + n; e++)
            t->taken[e] = true;
        t->nfree -= n;
        *base = b;
        return 0;
    }
    return -ENOSPC;
}

static inline void its_events_give(struct its_table *t, uint32_t base, uint32_t n)
{
    for (uint32_t e = base; e < base + n; e++)
        t->taken[e] = false;
    t->nfree += n;
}

/* The block's table, if the block is one this backend handed out. */
static inline struct its_table *its_blk_table(struct its_unit *u, const struct vmsix_remap_block *b)
{
    struct its_table *t;
    if (!b || b->priv >= ITS_MAX_TABLES)
        return NULL;
    t = &u->t[b->priv];
    if (!t->used || t->devid != b->src.id || b->src.kind != VMSIX_REMAP_SRC_RID || !b->count ||
        b->base >= t->nevents || b->count > t->nevents - b->base)
        return NULL;
    return t;
}

/* ---- the backend ---- */

static inline int its_caps(void *ctx, struct vmsix_remap_caps *c)
{
    struct its_unit *u = ctx;
    uint32_t n = u->t[0].nevents;
    uint8_t order = 0;

    while ((1u << order) < n)
        order++;
    memset(c, 0, sizeof(*c));
    c->flags = VMSIX_REMAP_CAP_DATA_INDEX | VMSIX_REMAP_CAP_DOORBELL;
    c->nentries = n;
    c->max_order = order;
    c->dest_bits = 8;
    c->vector_bits = 16; /* GITS_TYPER.IDbits + 1 = 16: LPI INTIDs below 2^16 */
    return 0;
}

static inline int its_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                              uint32_t align, struct vmsix_remap_block *b)
{
    struct its_unit *u = ctx;
    struct its_table *t;
    uint32_t n = 1, base;
    int rc;

    if (!src || !b || !count || src->kind != VMSIX_REMAP_SRC_RID || (align & (align - 1)))
        return -EINVAL;
    t = its_table_of(u, src->id);
    if (!t)
        return -EINVAL;
    while (n < count)
        n <<= 1;
    if (n > t->nevents)
        return -ENOTSUP;
    rc = its_events_take(t, n, align, &base);
    if (rc)
        return rc;
    memset(b, 0, sizeof(*b));
    b->base = base;
    b->count = n;
    b->src = *src;
    b->priv = (uintptr_t)(t - u->t);
    return 0;
}

static inline int its_release(void *ctx, struct vmsix_remap_block *b)
{
    struct its_unit *u = ctx;
    struct its_table *t = its_blk_table(u, b);

    if (!t)
        return -EINVAL;
    for (uint32_t k = 0; k < b->count; k++)
        if (t->ite[b->base + k].valid)
            return -EBUSY;
    its_events_give(t, b->base, b->count);
    return 0;
}

static inline int its_program(void *ctx, const struct vmsix_remap_block *b, uint32_t k,
                              const struct vmsix_remap_target *tg, uint32_t flags)
{
    struct its_unit *u = ctx;
    struct its_table *t = its_blk_table(u, b);

    (void)flags; /* an ITE changes in one MAPTI: atomic either way */
    if (!t || !tg || k >= b->count)
        return -EINVAL;
    if (tg->posted)
        return -ENOTSUP;
    if (tg->level || tg->dest_logical || tg->redir_hint || tg->delivery != VMSIX_REMAP_DLM_FIXED ||
        tg->dest > 0xff || tg->vector > 0xffff || tg->pd_addr || tg->urgent)
        return -EINVAL;
    t->ite[b->base + k].lpi = tg->vector;
    t->ite[b->base + k].icid = tg->dest;
    t->ite[b->base + k].valid = true;
    return 0;
}

static inline int its_clear(void *ctx, const struct vmsix_remap_block *b, uint32_t k)
{
    struct its_unit *u = ctx;
    struct its_table *t = its_blk_table(u, b);

    if (!t || k >= b->count)
        return -EINVAL;
    memset(&t->ite[b->base + k], 0, sizeof(t->ite[0])); /* DISCARD */
    return 0;
}

static inline int its_invalidate(void *ctx, const struct vmsix_remap_block *b, uint32_t first,
                                 uint32_t n)
{
    struct its_unit *u = ctx;

    if (!its_blk_table(u, b) || !n || first >= b->count || n > b->count - first)
        return -EINVAL;
    u->invalidations++; /* INV + SYNC: this unit caches nothing */
    return 0;
}

static inline int its_compose(void *ctx, const struct vmsix_remap_block *b, struct vmsix_msg *m)
{
    struct its_unit *u = ctx;

    if (!its_blk_table(u, b) || !m)
        return -EINVAL;
    m->addr = ITS_TRANSLATER; /* physical: doorbell_map() makes it an IOVA */
    m->data = b->base;
    return 0;
}

static inline struct its_db *its_db_of(struct its_unit *u, const struct vmsix_remap_block *b)
{
    for (unsigned i = 0; i < ITS_MAX_DOORBELLS; i++)
        if (u->db[i].used && u->db[i].table == b->priv && u->db[i].base == b->base)
            return &u->db[i];
    return NULL;
}

static inline int its_doorbell_map(void *ctx, const struct vmsix_remap_block *b,
                                   struct vmsix_msg *m)
{
    struct its_unit *u = ctx;
    struct its_db *d = NULL;
    uint64_t iova;
    int rc;

    if (!its_blk_table(u, b) || !m || m->addr != ITS_TRANSLATER || its_db_of(u, b))
        return -EINVAL;
    for (unsigned i = 0; i < ITS_MAX_DOORBELLS && !d; i++)
        if (!u->db[i].used)
            d = &u->db[i];
    if (!d)
        return -ENOSPC;
    rc = vmsix_doorbell_get(u->window, m->addr, &iova);
    if (rc)
        return rc;
    d->used = true;
    d->table = (uint32_t)b->priv;
    d->base = b->base;
    d->iova = iova;
    m->addr = iova;
    return 0;
}

static inline int its_doorbell_unmap(void *ctx, const struct vmsix_remap_block *b)
{
    struct its_unit *u = ctx;
    struct its_db *d = its_blk_table(u, b) ? its_db_of(u, b) : NULL;
    int rc;

    if (!d)
        return -EINVAL;
    rc = vmsix_doorbell_put(u->window, d->iova);
    if (rc)
        return rc;
    d->used = false;
    return 0;
}

static const struct vmsix_remap_ops its_remap_ops = {
    .size = sizeof(struct vmsix_remap_ops),
    .caps = its_caps,
    .reserve = its_reserve,
    .release = its_release,
    .program = its_program,
    .clear = its_clear,
    .invalidate = its_invalidate,
    .compose = its_compose,
    .doorbell_map = its_doorbell_map,
    .doorbell_unmap = its_doorbell_unmap,
};

/* ---- the reference resolver ---- */

struct its_result {
    uint64_t phys;    /* where the IOMMU sent the write */
    uint32_t eventid; /* the event selected (from EVENTID on) */
    uint32_t lpi, icid;
};

/* A device with DeviceID @devid writes @m (a 32-bit write of m->data to
 * m->addr). Return 0 with *@r filled, or an enum its_fault. */
static inline int its_resolve(struct its_unit *u, uint32_t devid, const struct vmsix_msg *m,
                              struct its_result *r)
{
    struct its_table *t;
    struct its_ite *e;

    memset(r, 0, sizeof(*r));
    if (u->iommu(u->iommu_ctx, m->addr, &r->phys))
        return ITS_FAULT_IOMMU;
    if (r->phys != ITS_TRANSLATER)
        return ITS_FAULT_NOT_DOORBELL;
    t = its_table_of(u, devid);
    if (!t)
        return ITS_FAULT_DEVID;
    r->eventid = m->data;
    if (m->data >= t->nevents || m->data >= ITS_MAX_EVENTS)
        return ITS_FAULT_EVENTID;
    e = &t->ite[m->data];
    if (!e->valid)
        return ITS_FAULT_NOT_MAPPED;
    r->lpi = e->lpi;
    r->icid = e->icid;
    return 0;
}

#endif /* VMSIX_TESTS_ITS_REF_H */
