/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AMD-Vi interrupt remapping, the remap backend (DESIGN 4.5): the
 * vmsix_remap_ops of a unit (vmsix/remap.h), whose blocks of table indexes
 * come from the irte_alloc pool of the source's own table and whose entries
 * are stored with the unit's write protocol (amdvi_unit.c).
 */
#include <string.h>

#include <vmsix/amdvi.h>
#include <vmsix/irte_alloc.h>

#include "amdvi_priv.h"
#include "bits.h"
#include "vmsix_errno.h"

/* The table a block of this backend was reserved in (blk->priv), or NULL
 * for a block it did not hand out. */
static struct amdvi_table *block_table(const struct vmsix_amdvi_unit *u,
                                       const struct vmsix_remap_block *b)
{
    uintptr_t first = (uintptr_t)&u->tables[0], p;
    struct amdvi_table *t;

    if (!b)
        return NULL;
    p = b->priv;
    if (p < first || p >= (uintptr_t)&u->tables[u->max_tables] ||
        (p - first) % sizeof(struct amdvi_table))
        return NULL;
    t = (struct amdvi_table *)p;
    if (!t->mem || t->devid != b->src.id || !t->blocks || !vmsix_is_pow2(b->count) ||
        b->base >= u->nentries || b->count > u->nentries - b->base)
        return NULL;
    return t;
}

static bool block_has_remapped(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                               uint32_t base, uint32_t count)
{
    uint32_t i;

    for (i = 0; i < count; i++)
        if (vmsix_amdvi_entry_remapped(u, t, base + i))
            return true;
    return false;
}

static int be_caps(void *ctx, struct vmsix_remap_caps *c)
{
    const struct vmsix_amdvi_unit *u = ctx;

    if (!vmsix_amdvi_unit_valid(u) || !c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    /* the data is the index: the core aligns blocks to their size */
    c->flags = VMSIX_REMAP_CAP_DATA_INDEX;
    if (vmsix_amdvi_unit_live_switch(u))
        c->flags |= VMSIX_REMAP_CAP_LIVE_SWITCH;
    c->nentries = u->nentries;
    c->max_order = u->order;
    c->dest_bits = (u->flags & VMSIX_AMDVI_X2APIC) ? 32 : 8;
    c->vector_bits = 8;
    return 0;
}

/* Take a block of @n from @t's pool: 0, or an error with nothing taken. */
static int take_block(struct vmsix_amdvi_unit *u, struct amdvi_table *t, uint32_t n, uint32_t *base)
{
    int rc;

    /* a buddy pool: the block is aligned to its size, as DATA_INDEX needs */
    rc = vmsix_irte_alloc(t->pool, n, base);
    if (rc)
        return rc;
    if (*base >= u->nentries || n > u->nentries - *base)
        rc = -ERANGE;
    else if (block_has_remapped(u, t, *base, n))
        rc = -EBUSY;
    if (rc)
        (void)vmsix_irte_free(t->pool, *base, n);
    return rc;
}

static int be_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                      uint32_t align, struct vmsix_remap_block *blk)
{
    struct vmsix_amdvi_unit *u = ctx;
    struct amdvi_table *t;
    uint32_t n, base = 0;
    int rc;

    if (!vmsix_amdvi_unit_valid(u) || !src || !blk)
        return -EINVAL;
    /* a DeviceID is one requester ID (the host aliases before): no bus range */
    if (count == 0 || count > VMSIX_AMDVI_MAX_ENTRIES || align > VMSIX_AMDVI_MAX_ENTRIES ||
        (align && !vmsix_is_pow2(align)) || src->id > 0xffffu || src->kind != VMSIX_REMAP_SRC_RID)
        return -EINVAL;
    n = vmsix_roundup_pow2(count > align ? count : align);
    /* larger than 2^max_order (caps()): -ENOTSUP, as remap.h says */
    if (n > u->nentries)
        return -ENOTSUP;
    vmsix_amdvi_lock(u);
    t = vmsix_amdvi_table_find(u, src->id);
    rc = t && t->pool ? take_block(u, t, n, &base) : -EINVAL;
    if (!rc)
        t->blocks++;
    vmsix_amdvi_unlock(u);
    if (rc)
        return rc;
    memset(blk, 0, sizeof(*blk));
    blk->base = base;
    blk->count = n;
    blk->src = *src;
    blk->priv = (uintptr_t)t;
    return 0;
}

static int be_release(void *ctx, struct vmsix_remap_block *blk)
{
    struct vmsix_amdvi_unit *u = ctx;
    struct amdvi_table *t;
    int rc;

    if (!vmsix_amdvi_unit_valid(u))
        return -EINVAL;
    vmsix_amdvi_lock(u);
    t = block_table(u, blk);
    if (!t)
        rc = -EINVAL;
    else if (block_has_remapped(u, t, blk->base, blk->count))
        rc = -EBUSY;
    else
        rc = vmsix_irte_free(t->pool, blk->base, blk->count);
    if (!rc)
        t->blocks--;
    vmsix_amdvi_unlock(u);
    if (!rc)
        memset(blk, 0, sizeof(*blk));
    return rc;
}

/* The entry for target @t. */
static int build_irte(const struct vmsix_amdvi_unit *u, const struct vmsix_remap_target *t,
                      struct vmsix_amdvi_irte *f)
{
    memset(f, 0, sizeof(*f));
    if (t->posted)
        return -ENOTSUP; /* the vAPIC view is the host's, not a remap target */
    /* the entry has no trigger mode and no redirection hint to hold them */
    if (t->vector < 16u || t->vector > 255u || t->pd_addr || t->urgent || t->level || t->redir_hint)
        return -EINVAL;
    if (t->delivery != VMSIX_REMAP_DLM_FIXED && t->delivery != VMSIX_REMAP_DLM_LOWPRI)
        return -EINVAL;
    if (!(u->flags & VMSIX_AMDVI_X2APIC) && t->dest > 0xffu)
        return -EINVAL;
    f->remap_en = true;
    f->vector = (uint8_t)t->vector;
    f->int_type = t->delivery; /* remap.h's modes are IntType's encoding */
    f->dm = t->dest_logical;
    f->dest = t->dest;
    return 0;
}

/* A block this backend handed out and has not taken back. Read without
 * the lock: the table of a held block cannot go away (table_remove refuses
 * while blocks are held), and the unit function that follows looks the
 * table up again under the lock. */
static bool block_valid(const struct vmsix_amdvi_unit *u, const struct vmsix_remap_block *blk)
{
    return block_table(u, blk) != NULL;
}

static int be_program(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                      const struct vmsix_remap_target *t, uint32_t flags)
{
    struct vmsix_amdvi_unit *u = ctx;
    struct vmsix_amdvi_irte f;
    int rc;

    if (!vmsix_amdvi_unit_valid(u) || !blk || !t || (flags & ~VMSIX_REMAP_PROG_QUIESCED) ||
        !block_valid(u, blk) || k >= blk->count)
        return -EINVAL;
    rc = build_irte(u, t, &f);
    if (rc)
        return rc;
    return vmsix_amdvi_irte_write(u, (uint16_t)blk->src.id, blk->base + k, &f,
                                  (flags & VMSIX_REMAP_PROG_QUIESCED) ? VMSIX_AMDVI_WR_QUIESCED
                                                                      : 0);
}

static int be_clear(void *ctx, const struct vmsix_remap_block *blk, uint32_t k)
{
    struct vmsix_amdvi_unit *u = ctx;

    if (!vmsix_amdvi_unit_valid(u) || !blk || !block_valid(u, blk) || k >= blk->count)
        return -EINVAL;
    return vmsix_amdvi_irte_clear(u, (uint16_t)blk->src.id, blk->base + k);
}

static int be_invalidate(void *ctx, const struct vmsix_remap_block *blk, uint32_t first, uint32_t n)
{
    struct vmsix_amdvi_unit *u = ctx;

    if (!vmsix_amdvi_unit_valid(u) || !blk || !block_valid(u, blk) || n == 0 ||
        first >= blk->count || n > blk->count - first)
        return -EINVAL;
    return vmsix_amdvi_invalidate(u, (uint16_t)blk->src.id, blk->base + first, n);
}

static int be_compose(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    struct vmsix_amdvi_unit *u = ctx;

    if (!vmsix_amdvi_unit_valid(u) || !blk || !msg || !block_valid(u, blk))
        return -EINVAL;
    return vmsix_amdvi_msi_compose(blk->base, u->flags, msg);
}

static const struct vmsix_remap_ops amdvi_remap_ops = {
    .size = sizeof(struct vmsix_remap_ops),
    .caps = be_caps,
    .reserve = be_reserve,
    .release = be_release,
    .program = be_program,
    .clear = be_clear,
    .invalidate = be_invalidate,
    .compose = be_compose,
    .doorbell_map = NULL,
    .doorbell_unmap = NULL,
};

int vmsix_amdvi_remap_init(struct vmsix_amdvi_unit *u, uint32_t flags, struct vmsix_remap *out)
{
    if (!vmsix_amdvi_unit_valid(u) || !out || flags)
        return -EINVAL;
    out->ops = &amdvi_remap_ops;
    out->ctx = u;
    return 0;
}
