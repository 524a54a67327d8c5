/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intel VT-d interrupt remapping, the remap backend (DESIGN 4.5): the
 * vmsix_remap_ops of a unit (vmsix/remap.h), whose blocks of table indexes
 * come from the caller's irte_alloc pool and whose entries are stored with
 * the unit's write protocol (vtd_unit.c).
 */
#include <string.h>

#include <vmsix/irte_alloc.h>
#include <vmsix/vtd.h>

#include "bits.h"
#include "irte_alloc_priv.h"
#include "vmsix_errno.h"
#include "vtd_priv.h"

static bool block_ok(const struct vmsix_vtd_unit *u, const struct vmsix_remap_block *b)
{
    return b && b->priv == (uintptr_t)u && vmsix_is_pow2(b->count) && b->base < u->nentries &&
           b->count <= u->nentries - b->base;
}

static bool block_has_present(const struct vmsix_vtd_unit *u, uint32_t base, uint32_t count)
{
    uint32_t i;

    for (i = 0; i < count; i++)
        if (vmsix_vtd_entry_present(u, base + i))
            return true;
    return false;
}

static int be_caps(void *ctx, struct vmsix_remap_caps *c)
{
    const struct vmsix_vtd_unit *u = ctx;

    if (!vmsix_vtd_unit_valid(u) || !c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->flags = (u->flags & VMSIX_VTD_POSTED) ? VMSIX_REMAP_CAP_POSTED : 0;
    if (vmsix_vtd_unit_live_switch(u))
        c->flags |= VMSIX_REMAP_CAP_LIVE_SWITCH;
    c->nentries = u->nentries;
    c->max_order = u->order;
    if ((u->remap_flags & VMSIX_VTD_REMAP_STRICT_MHMV) && u->mhmv < c->max_order)
        c->max_order = u->mhmv;
    c->dest_bits = (u->flags & VMSIX_VTD_X2APIC) ? 32 : 8;
    c->vector_bits = 8;
    return 0;
}

static int be_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                      uint32_t align, struct vmsix_remap_block *blk)
{
    struct vmsix_vtd_unit *u = ctx;
    uint32_t n, base;
    int rc;

    if (!vmsix_vtd_unit_valid(u) || !u->pool || !src || !blk)
        return -EINVAL;
    if (count == 0 || count > VMSIX_VTD_MAX_ENTRIES || align > VMSIX_VTD_MAX_ENTRIES ||
        (align && !vmsix_is_pow2(align)) || src->id > 0xffffu)
        return -EINVAL;
    if (src->kind == VMSIX_REMAP_SRC_BUS_RANGE) {
        if (src->bus_last < (src->id >> 8))
            return -EINVAL;
    } else if (src->kind != VMSIX_REMAP_SRC_RID) {
        return -EINVAL;
    }
    n = vmsix_roundup_pow2(count > align ? count : align);
    /* larger than 2^max_order (caps()): -ENOTSUP, as remap.h says */
    if (n > u->nentries || ((u->remap_flags & VMSIX_VTD_REMAP_STRICT_MHMV) && n > (1u << u->mhmv)))
        return -ENOTSUP;
    rc = vmsix_irte_alloc(u->pool, n, &base);
    if (rc)
        return rc;
    if (base >= u->nentries || n > u->nentries - base) {
        (void)vmsix_irte_free(u->pool, base, n);
        return -ERANGE;
    }
    if (block_has_present(u, base, n)) {
        (void)vmsix_irte_free(u->pool, base, n);
        return -EBUSY;
    }
    memset(blk, 0, sizeof(*blk));
    blk->base = base;
    blk->count = n;
    blk->src = *src;
    blk->priv = (uintptr_t)u;
    return 0;
}

static int be_release(void *ctx, struct vmsix_remap_block *blk)
{
    struct vmsix_vtd_unit *u = ctx;
    int rc;

    if (!vmsix_vtd_unit_valid(u) || !u->pool || !block_ok(u, blk))
        return -EINVAL;
    if (block_has_present(u, blk->base, blk->count))
        return -EBUSY;
    rc = vmsix_irte_free(u->pool, blk->base, blk->count);
    if (rc)
        return rc;
    memset(blk, 0, sizeof(*blk));
    return 0;
}

/* The entry for target @t from source @s. */
static int build_irte(const struct vmsix_vtd_unit *u, const struct vmsix_remap_source *s,
                      const struct vmsix_remap_target *t, struct vmsix_vtd_irte *f)
{
    memset(f, 0, sizeof(*f));
    f->present = true;
    if (t->vector < 16u || t->vector > 255u)
        return -EINVAL;
    f->vector = (uint8_t)t->vector;
    if (t->posted) {
        if (t->dest || t->dest_logical || t->delivery || t->level || t->redir_hint ||
            (t->pd_addr & 63u))
            return -EINVAL;
        f->posted = true;
        f->pda = t->pd_addr;
        f->urgent = t->urgent;
    } else {
        if (t->pd_addr || t->urgent)
            return -EINVAL;
        if (t->delivery != VMSIX_REMAP_DLM_FIXED && t->delivery != VMSIX_REMAP_DLM_LOWPRI)
            return -EINVAL;
        if (vmsix_vtd_dest_place((u->flags & VMSIX_VTD_X2APIC) != 0, t->dest, &f->dest))
            return -EINVAL;
        f->dest_logical = t->dest_logical;
        f->redir_hint = t->redir_hint;
        f->level = t->level;
        f->delivery = t->delivery;
    }
    if (s->kind == VMSIX_REMAP_SRC_BUS_RANGE)
        return vmsix_vtd_sv_bus_range(f, (uint8_t)(s->id >> 8), s->bus_last);
    return vmsix_vtd_sv_rid(f, (uint16_t)s->id);
}

static int be_program(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                      const struct vmsix_remap_target *t, uint32_t flags)
{
    struct vmsix_vtd_unit *u = ctx;
    struct vmsix_vtd_irte f;
    int rc;

    if (!vmsix_vtd_unit_valid(u) || !block_ok(u, blk) || k >= blk->count || !t ||
        (flags & ~VMSIX_REMAP_PROG_QUIESCED))
        return -EINVAL;
    rc = build_irte(u, &blk->src, t, &f);
    if (rc)
        return rc;
    return vmsix_vtd_irte_write(u, blk->base + k, &f,
                                (flags & VMSIX_REMAP_PROG_QUIESCED) ? VMSIX_VTD_WR_QUIESCED : 0);
}

static int be_clear(void *ctx, const struct vmsix_remap_block *blk, uint32_t k)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!vmsix_vtd_unit_valid(u) || !block_ok(u, blk) || k >= blk->count)
        return -EINVAL;
    return vmsix_vtd_irte_clear(u, blk->base + k);
}

static int be_invalidate(void *ctx, const struct vmsix_remap_block *blk, uint32_t first, uint32_t n)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!vmsix_vtd_unit_valid(u) || !block_ok(u, blk) || n == 0 || first >= blk->count ||
        n > blk->count - first)
        return -EINVAL;
    return vmsix_vtd_invalidate(u, blk->base + first, n);
}

static int be_compose(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!vmsix_vtd_unit_valid(u) || !block_ok(u, blk) || !msg)
        return -EINVAL;
    vmsix_vtd_msi_compose((uint16_t)blk->base, msg);
    return 0;
}

static const struct vmsix_remap_ops vtd_remap_ops = {
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

int vmsix_vtd_remap_init(struct vmsix_vtd_unit *u, struct vmsix_irte_pool *pool, uint32_t flags,
                         struct vmsix_remap *out)
{
    if (!vmsix_vtd_unit_valid(u) || !vmsix_irte_pool_valid(pool) || !out ||
        (flags & ~VMSIX_VTD_REMAP_STRICT_MHMV))
        return -EINVAL;
    if (u->pool && u->pool != pool)
        return -EBUSY;
    u->pool = pool;
    u->remap_flags = flags;
    out->ops = &vtd_remap_ops;
    out->ctx = u;
    return 0;
}
