/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intel VT-d interrupt remapping, the unit (DESIGN 4.4): a unit object over
 * the caller's interrupt-remapping table memory, the write protocol for its
 * 128-bit entries (store, clear, read, IEC invalidation, under the unit's
 * flush and lock hooks) and the reference decoder that resolves an MSI
 * write against the table as the hardware does.
 *
 * Table memory is accessed only through single-copy-atomic 64-bit loads and
 * stores and, for 128-bit stores, lock cmpxchg16b on x86-64 or the caller's
 * store128 hook (table_atomic.h).
 */
#include <string.h>

#include <vmsix/vtd.h>

#include "bits.h"
#include "ops_copy.h"
#include "table_atomic.h"
#include "vmsix_errno.h"
#include "vtd_priv.h"

/* xAPIC mode (IRTA.EIME = 0): the APIC ID is Destination ID bits 15:8, the
 * rest of the field is reserved. */
#define XAPIC_DEST_MASK 0x0000ff00u

/* ---- table access ------------------------------------------------------ */

static uint64_t *slot(const struct vmsix_vtd_unit *u, uint32_t index)
{
    return u->table + 2u * (size_t)index;
}

static void lock(const struct vmsix_vtd_unit *u)
{
    if (u->ops.lock)
        u->ops.lock(u->ctx);
}

static void unlock(const struct vmsix_vtd_unit *u)
{
    if (u->ops.unlock)
        u->ops.unlock(u->ctx);
}

/* The 128-bit entry steps of table_atomic.h with this unit's hooks. */
static bool have_store128(const struct vmsix_vtd_unit *u)
{
    return vmsix_e128_atomic_ok(u->ops.store128, (u->flags & VMSIX_VTD_NO_CX16) != 0);
}

bool vmsix_vtd_unit_live_switch(const struct vmsix_vtd_unit *u)
{
    return have_store128(u);
}

static void store_atomic(const struct vmsix_vtd_unit *u, uint64_t *e, const uint64_t v[2])
{
    vmsix_e128_store_atomic(u->ops.store128, u->ops.flush, u->ctx, e, v);
}

static void store_ordered(const struct vmsix_vtd_unit *u, uint64_t *e, const uint64_t v[2])
{
    vmsix_e128_store_ordered(u->ops.flush, u->ctx, e, v);
}

static void store_clear(const struct vmsix_vtd_unit *u, uint64_t *e)
{
    vmsix_e128_clear(u->ops.flush, u->ctx, e);
}

/* ---- unit -------------------------------------------------------------- */

size_t vmsix_vtd_unit_storage_size(void)
{
    return sizeof(struct vmsix_vtd_unit);
}

int vmsix_vtd_unit_init(void *mem, size_t len, const struct vmsix_vtd_params *p,
                        const struct vmsix_vtd_ops *ops, void *ctx, struct vmsix_vtd_unit **out)
{
    const uint32_t known =
        VMSIX_VTD_X2APIC | VMSIX_VTD_POSTED | VMSIX_VTD_BLOCK_COMPAT | VMSIX_VTD_NO_CX16;
    struct vmsix_vtd_unit *u = mem;
    struct vmsix_vtd_ops o;
    int rc;

    if (!mem || len < sizeof(*u) || ((uintptr_t)mem & 7u) || !p || !ops || !out)
        return -EINVAL;
    if (!p->table || ((uintptr_t)p->table & (VMSIX_VTD_TABLE_ALIGN - 1u)))
        return -EINVAL;
    if (!vmsix_is_pow2(p->nentries) || p->nentries < 2u || p->nentries > VMSIX_VTD_MAX_ENTRIES)
        return -EINVAL;
    if (p->mhmv > VMSIX_VTD_MAX_MHMV || (p->flags & ~known))
        return -EINVAL;
    /* into a local copy: a refused init writes nothing */
    rc = vmsix_ops_copy(&o, sizeof(o), ops, VMSIX_VTD_OPS_SIZE_V1);
    if (rc)
        return rc;
    if (!o.invalidate || !o.lock != !o.unlock)
        return -EINVAL;
    memset(u, 0, sizeof(*u));
    u->nentries = p->nentries;
    u->order = (uint8_t)vmsix_log2_ceil(p->nentries);
    u->flags = p->flags;
    u->mhmv = p->mhmv;
    u->table = p->table;
    u->ops = o;
    u->ctx = ctx;
    u->magic = UNIT_MAGIC;
    *out = u;
    return 0;
}

/* The entry's fields are acceptable on this unit (beyond encode's rules). */
static int check_unit_fields(const struct vmsix_vtd_unit *u, const struct vmsix_vtd_irte *f)
{
    if (f->posted)
        return (u->flags & VMSIX_VTD_POSTED) ? 0 : -ENOTSUP;
    if (!(u->flags & VMSIX_VTD_X2APIC) && (f->dest & ~XAPIC_DEST_MASK))
        return -EINVAL;
    return 0;
}

int vmsix_vtd_irte_write(struct vmsix_vtd_unit *u, uint32_t index, const struct vmsix_vtd_irte *f,
                         uint32_t flags)
{
    uint64_t v[2];
    uint64_t *e;
    bool old_present, old_posted;
    int rc;

    if (!vmsix_vtd_unit_valid(u) || !f || !f->present || index >= u->nentries ||
        (flags & ~VMSIX_VTD_WR_QUIESCED))
        return -EINVAL;
    rc = vmsix_vtd_irte_encode(f, v);
    if (rc)
        return rc;
    rc = check_unit_fields(u, f);
    if (rc)
        return rc;

    lock(u);
    e = slot(u, index);
    {
        uint64_t old_lo = vmsix_ld64(&e[0]);
        old_present = (old_lo & LO_P) != 0;
        old_posted = old_present && (old_lo & LO_IM);
    }
    if (f->posted || old_posted || (old_present && !(flags & VMSIX_VTD_WR_QUIESCED))) {
        if (!have_store128(u)) {
            rc = -ENOTSUP;
        } else {
            store_atomic(u, e, v);
        }
    } else {
        store_ordered(u, e, v);
    }
    unlock(u);
    return rc;
}

int vmsix_vtd_irte_clear(struct vmsix_vtd_unit *u, uint32_t index)
{
    if (!vmsix_vtd_unit_valid(u) || index >= u->nentries)
        return -EINVAL;
    lock(u);
    store_clear(u, slot(u, index));
    unlock(u);
    return 0;
}

int vmsix_vtd_irte_read(const struct vmsix_vtd_unit *u, uint32_t index, uint64_t out[2])
{
    const uint64_t *e;

    if (!vmsix_vtd_unit_valid(u) || !out || index >= u->nentries)
        return -EINVAL;
    e = slot(u, index);
    out[0] = vmsix_ld64(&e[0]);
    out[1] = vmsix_ld64(&e[1]);
    return 0;
}

bool vmsix_vtd_entry_present(const struct vmsix_vtd_unit *u, uint32_t index)
{
    return (vmsix_ld64(&slot(u, index)[0]) & LO_P) != 0;
}

/* Largest k <= MHMV with @index aligned to 2^k and 2^k <= @left. */
static unsigned chunk_order(const struct vmsix_vtd_unit *u, uint32_t index, uint32_t left)
{
    unsigned k = 0;

    while (k < u->mhmv && !(index & ((2u << k) - 1u)) && (2u << k) <= left)
        k++;
    return k;
}

static int invalidate_locked(struct vmsix_vtd_unit *u, uint32_t index, uint32_t count)
{
    uint32_t i = index, left = count;
    int rc = 0;

    while (left) {
        unsigned k = chunk_order(u, i, left);
        uint64_t d[2];

        (void)vmsix_vtd_iec_index(i, k, d); /* i < 65536, aligned to 2^k: cannot fail */
        rc = u->ops.invalidate(u->ctx, d);
        if (rc)
            break;
        i += 1u << k;
        left -= 1u << k;
    }
    if (!rc)
        return 0;
    if (rc > 0)
        rc = -EIO;
    for (i = 0; i < count; i++)
        store_clear(u, slot(u, index + i));
    return rc;
}

int vmsix_vtd_invalidate(struct vmsix_vtd_unit *u, uint32_t index, uint32_t count)
{
    int rc;

    if (!vmsix_vtd_unit_valid(u) || count == 0 || index >= u->nentries ||
        count > u->nentries - index)
        return -EINVAL;
    lock(u);
    rc = invalidate_locked(u, index, count);
    unlock(u);
    return rc;
}

/* ---- reference decoder ------------------------------------------------- */

static bool sid_matches(const struct vmsix_vtd_irte *f, uint16_t sid)
{
    static const uint16_t ignore[4] = {0x0, 0x4, 0x6, 0x7};

    switch (f->svt) {
    case VMSIX_VTD_SVT_NONE:
        return true;
    case VMSIX_VTD_SVT_RID:
        return ((f->sid ^ sid) & (uint16_t)~ignore[f->sq & 3u]) == 0;
    case VMSIX_VTD_SVT_BUS: {
        unsigned bus = sid >> 8;
        return bus >= (unsigned)(f->sid >> 8) && bus <= (unsigned)(f->sid & 0xffu);
    }
    default:
        return false;
    }
}

int vmsix_vtd_resolve(const struct vmsix_vtd_unit *u, uint16_t sid, const struct vmsix_msg *m,
                      struct vmsix_vtd_result *out)
{
    uint64_t raw[2];
    uint32_t addr, handle, index;
    int rc;

    if (!vmsix_vtd_unit_valid(u) || !m || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if ((m->addr >> 32) || ((uint32_t)m->addr & MSI_BASE_MASK) != MSI_BASE)
        return -EINVAL;
    addr = (uint32_t)m->addr;
    if (!(addr & MSI_REMAPPABLE)) {
        if (u->flags & VMSIX_VTD_BLOCK_COMPAT)
            return VMSIX_VTD_FAULT_COMPAT;
        out->compat = true;
        return 0;
    }
    if ((addr & 3u) || (m->data >> 16))
        return VMSIX_VTD_FAULT_RSVD_REQ;
    handle = ((addr >> MSI_HANDLE_SHIFT) & MSI_HANDLE_LOW) | ((addr & MSI_H15) ? MSI_HANDLE_15 : 0);
    index = handle + ((addr & MSI_SHV) ? (m->data & 0xffffu) : 0);
    if (index >= u->nentries)
        return VMSIX_VTD_FAULT_INDEX;
    out->index = index;
    raw[0] = vmsix_ld64(&slot(u, index)[0]);
    raw[1] = vmsix_ld64(&slot(u, index)[1]);
    rc = vmsix_vtd_irte_decode(raw, &out->irte);
    if (!out->irte.present)
        return VMSIX_VTD_FAULT_NOT_PRESENT;
    if (rc)
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (out->irte.posted && !(u->flags & VMSIX_VTD_POSTED))
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (!out->irte.posted && !(u->flags & VMSIX_VTD_X2APIC) && (out->irte.dest & ~XAPIC_DEST_MASK))
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (!sid_matches(&out->irte, sid))
        return VMSIX_VTD_FAULT_SID;
    if (!out->irte.posted)
        out->apic_id = (u->flags & VMSIX_VTD_X2APIC) ? out->irte.dest : out->irte.dest >> 8;
    return 0;
}
