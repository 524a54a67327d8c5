/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AMD-Vi interrupt remapping, the unit (DESIGN 4.5): a unit object over the
 * caller's per-DeviceID interrupt remapping tables (the set of tables, the
 * write protocol for 32-bit and 128-bit entries, INVALIDATE_INTERRUPT_TABLE
 * with COMPLETION_WAIT through the command hook, under the unit's flush and
 * lock hooks) and the reference decoder that resolves an MSI write through
 * the device table and the tables as the hardware does.
 *
 * Table memory is accessed only through single-copy-atomic 32- and 64-bit
 * loads and stores and, for 128-bit stores, lock cmpxchg16b on x86-64 or
 * the caller's store128 hook (table_atomic.h).
 */
#include <string.h>

#include <vmsix/amdvi.h>
#include <vmsix/irte_alloc.h>

#include "amdvi_priv.h"
#include "bits.h"
#include "irte_alloc_priv.h"
#include "ops_copy.h"
#include "table_atomic.h"
#include "vmsix_errno.h"

#define ADDR_LIMIT (1ull << 52)
#define DTE_QWORDS (VMSIX_AMDVI_DTE_SIZE / 8u)
#define DTES_PER_PAGE (VMSIX_AMDVI_DEV_TABLE_ALIGN / VMSIX_AMDVI_DTE_SIZE) /* 128 */
/* Without the 2K mode, data bits 10:8 are the message type, fixed (0) or
 * arbitrated (1) for a remapped request: indexes stop at 511. */
#define ENTRIES_MT 512u

/* The request (vmsix_amdvi_resolve()). */
#define MSI_RANGE_MASK 0xfff00000u /* address bits 31:20 = 0xFEE */
#define MSI_RSVD_ADDR 0x000ffffbu  /* 19:3, 1:0 */
#define MSI_RSVD_DATA 0xfffff800u  /* 31:11 */
#define MSI_INDEX_MASK 0x7ffu      /* data 10:0 */
#define MSI_MT_SHIFT 8             /* data 10:8: the message type */
#define MT_FIXED 0u
#define MT_ARBITRATED 1u
#define MT_NMI 4u
#define MT_INIT 5u
#define MT_EXTINT 7u

/* ---- table access ------------------------------------------------------ */

static bool wide(const struct vmsix_amdvi_unit *u)
{
    return (u->flags & VMSIX_AMDVI_GA) != 0;
}

static size_t entry_size(const struct vmsix_amdvi_unit *u)
{
    return wide(u) ? VMSIX_AMDVI_IRTE128_SIZE : VMSIX_AMDVI_IRTE32_SIZE;
}

static uint32_t *slot32(const struct amdvi_table *t, uint32_t index)
{
    return (uint32_t *)t->mem + index;
}

static uint64_t *slot128(const struct amdvi_table *t, uint32_t index)
{
    return (uint64_t *)t->mem + 2u * (size_t)index;
}

static void flush(const struct vmsix_amdvi_unit *u, const void *e)
{
    if (u->ops.flush)
        u->ops.flush(u->ctx, e, entry_size(u));
}

void vmsix_amdvi_lock(const struct vmsix_amdvi_unit *u)
{
    if (u->ops.lock)
        u->ops.lock(u->ctx);
}

void vmsix_amdvi_unlock(const struct vmsix_amdvi_unit *u)
{
    if (u->ops.unlock)
        u->ops.unlock(u->ctx);
}

/* The 128-bit entry steps of table_atomic.h with this unit's hooks. */
static bool have_store128(const struct vmsix_amdvi_unit *u)
{
    return vmsix_e128_atomic_ok(u->ops.store128, (u->flags & VMSIX_AMDVI_NO_CX16) != 0);
}

bool vmsix_amdvi_unit_live_switch(const struct vmsix_amdvi_unit *u)
{
    return !wide(u) || have_store128(u);
}

/* RemapEn off first (one store), then the rest. */
static void store_clear(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                        uint32_t index)
{
    if (wide(u)) {
        vmsix_e128_clear(u->ops.flush, u->ctx, slot128(t, index));
    } else {
        vmsix_st32(slot32(t, index), 0);
        flush(u, slot32(t, index));
    }
}

/* ---- unit and tables --------------------------------------------------- */

size_t vmsix_amdvi_unit_storage_size(uint32_t max_tables)
{
    if (max_tables == 0 || max_tables > AMDVI_MAX_DEVID)
        return 0;
    return sizeof(struct vmsix_amdvi_unit) + (size_t)max_tables * sizeof(struct amdvi_table);
}

static bool params_ok(const struct vmsix_amdvi_params *p)
{
    const uint32_t known = VMSIX_AMDVI_GA | VMSIX_AMDVI_X2APIC | VMSIX_AMDVI_VAPIC |
                           VMSIX_AMDVI_2K | VMSIX_AMDVI_NO_CX16;
    uint32_t max_entries = (p->flags & VMSIX_AMDVI_2K) ? VMSIX_AMDVI_MAX_ENTRIES : ENTRIES_MT;

    if (!p->dev_table || ((uintptr_t)p->dev_table & (VMSIX_AMDVI_DEV_TABLE_ALIGN - 1u)))
        return false;
    if (p->ndte == 0 || p->ndte % DTES_PER_PAGE || p->ndte > AMDVI_MAX_DEVID)
        return false;
    if (!vmsix_is_pow2(p->nentries) || p->nentries > max_entries)
        return false;
    if ((p->flags & ~known) || p->max_tables == 0 || p->max_tables > AMDVI_MAX_DEVID)
        return false;
    /* x2APIC destinations and the vAPIC view exist only in the 128-bit format */
    if ((p->flags & (VMSIX_AMDVI_X2APIC | VMSIX_AMDVI_VAPIC)) && !(p->flags & VMSIX_AMDVI_GA))
        return false;
    return (p->cw_addr & 7u) == 0 && p->cw_addr < ADDR_LIMIT;
}

int vmsix_amdvi_unit_init(void *mem, size_t len, const struct vmsix_amdvi_params *p,
                          const struct vmsix_amdvi_ops *ops, void *ctx,
                          struct vmsix_amdvi_unit **out)
{
    struct vmsix_amdvi_unit *u = mem;
    struct vmsix_amdvi_ops o;
    int rc;

    if (!mem || ((uintptr_t)mem & 7u) || !p || !ops || !out || !params_ok(p) ||
        len < vmsix_amdvi_unit_storage_size(p->max_tables))
        return -EINVAL;
    /* into a local copy: a refused init writes nothing */
    rc = vmsix_ops_copy(&o, sizeof(o), ops, VMSIX_AMDVI_OPS_SIZE_V1);
    if (rc)
        return rc;
    if (!o.command || !o.lock != !o.unlock)
        return -EINVAL;
    memset(u, 0, vmsix_amdvi_unit_storage_size(p->max_tables));
    u->nentries = p->nentries;
    u->order = (uint8_t)vmsix_log2_ceil(p->nentries);
    u->flags = p->flags;
    u->ndte = p->ndte;
    u->max_tables = p->max_tables;
    u->dev_table = p->dev_table;
    u->cw_addr = p->cw_addr;
    u->ops = o;
    u->ctx = ctx;
    u->magic = AMDVI_UNIT_MAGIC;
    *out = u;
    return 0;
}

struct amdvi_table *vmsix_amdvi_table_find(const struct vmsix_amdvi_unit *u, uint32_t devid)
{
    uint32_t i;

    for (i = 0; i < u->max_tables; i++) {
        const struct amdvi_table *t = &u->tables[i];

        if (t->mem && t->devid == devid)
            return (struct amdvi_table *)t;
    }
    return NULL;
}

bool vmsix_amdvi_entry_remapped(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                                uint32_t index)
{
    uint32_t low = wide(u) ? (uint32_t)vmsix_ld64(slot128(t, index)) : vmsix_ld32(slot32(t, index));

    return (low & AMDVI_REMAP_EN) != 0;
}

static bool table_has_remapped(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t)
{
    uint32_t i;

    for (i = 0; i < u->nentries; i++)
        if (vmsix_amdvi_entry_remapped(u, t, i))
            return true;
    return false;
}

int vmsix_amdvi_table_add(struct vmsix_amdvi_unit *u, uint16_t devid, void *table, uint64_t root,
                          struct vmsix_irte_pool *pool)
{
    struct amdvi_table *free_slot = NULL;
    uint32_t i;
    int rc = 0;

    if (!vmsix_amdvi_unit_valid(u) || devid >= u->ndte || !table ||
        ((uintptr_t)table & (VMSIX_AMDVI_TABLE_ALIGN - 1u)) ||
        (root & (VMSIX_AMDVI_TABLE_ALIGN - 1u)) || root >= ADDR_LIMIT ||
        (pool && !vmsix_irte_pool_valid(pool)))
        return -EINVAL;
    vmsix_amdvi_lock(u);
    for (i = 0; i < u->max_tables; i++) {
        struct amdvi_table *t = &u->tables[i];

        if (!t->mem) {
            if (!free_slot)
                free_slot = t;
        } else if (t->devid == devid) {
            rc = -EBUSY;
            break;
        }
    }
    if (!rc && !free_slot)
        rc = -ENOSPC;
    if (!rc) {
        free_slot->root = root;
        free_slot->pool = pool;
        free_slot->devid = devid;
        free_slot->blocks = 0;
        free_slot->mem = table;
    }
    vmsix_amdvi_unlock(u);
    return rc;
}

int vmsix_amdvi_table_remove(struct vmsix_amdvi_unit *u, uint16_t devid)
{
    struct amdvi_table *t;
    int rc = 0;

    if (!vmsix_amdvi_unit_valid(u))
        return -EINVAL;
    vmsix_amdvi_lock(u);
    t = vmsix_amdvi_table_find(u, devid);
    if (!t)
        rc = -ENOENT;
    else if (t->blocks || table_has_remapped(u, t))
        rc = -EBUSY;
    else
        memset(t, 0, sizeof(*t));
    vmsix_amdvi_unlock(u);
    return rc;
}

/* ---- the write protocol ------------------------------------------------ */

/* The entry's fields are acceptable on this unit (beyond the encoder's). */
static int check_unit_fields(const struct vmsix_amdvi_unit *u, const struct vmsix_amdvi_irte *f)
{
    if (f->guest_mode && wide(u))
        return (u->flags & VMSIX_AMDVI_VAPIC) ? 0 : -ENOTSUP;
    if (!(u->flags & VMSIX_AMDVI_X2APIC) && f->dest > 0xffu)
        return -EINVAL;
    return 0;
}

/* Store @f, encoded, into entry @index of @t under the lock. */
static int write_locked(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                        uint32_t index, const uint64_t v[2], bool guest, uint32_t flags)
{
    uint64_t *e;
    uint64_t old_lo;
    bool old_remapped, old_guest;

    if (!wide(u)) {
        /* a 32-bit entry is one store whatever it held */
        vmsix_st32(slot32(t, index), (uint32_t)v[0]);
        flush(u, slot32(t, index));
        return 0;
    }
    e = slot128(t, index);
    old_lo = vmsix_ld64(&e[0]);
    old_remapped = (old_lo & AMDVI_REMAP_EN) != 0;
    old_guest = old_remapped && (old_lo & AMDVI_GUEST_MODE);
    if (guest || old_guest || (old_remapped && !(flags & VMSIX_AMDVI_WR_QUIESCED))) {
        if (!have_store128(u))
            return -ENOTSUP;
        vmsix_e128_store_atomic(u->ops.store128, u->ops.flush, u->ctx, e, v);
    } else {
        vmsix_e128_store_ordered(u->ops.flush, u->ctx, e, v);
    }
    return 0;
}

/* Encode @f in the unit's format. */
static int encode(const struct vmsix_amdvi_unit *u, const struct vmsix_amdvi_irte *f, uint64_t v[2])
{
    uint32_t w;
    int rc;

    if (wide(u))
        return vmsix_amdvi_irte128_encode(f, v);
    rc = vmsix_amdvi_irte32_encode(f, &w);
    v[0] = w;
    v[1] = 0;
    return rc;
}

int vmsix_amdvi_irte_write(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index,
                           const struct vmsix_amdvi_irte *f, uint32_t flags)
{
    const struct amdvi_table *t;
    uint64_t v[2];
    int rc;

    if (!vmsix_amdvi_unit_valid(u) || !f || !f->remap_en || index >= u->nentries ||
        (flags & ~VMSIX_AMDVI_WR_QUIESCED))
        return -EINVAL;
    rc = encode(u, f, v);
    if (!rc)
        rc = check_unit_fields(u, f);
    if (rc)
        return rc;
    vmsix_amdvi_lock(u);
    t = vmsix_amdvi_table_find(u, devid);
    rc = t ? write_locked(u, t, index, v, f->guest_mode, flags) : -ENOENT;
    vmsix_amdvi_unlock(u);
    return rc;
}

int vmsix_amdvi_irte_clear(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index)
{
    const struct amdvi_table *t;
    int rc = 0;

    if (!vmsix_amdvi_unit_valid(u) || index >= u->nentries)
        return -EINVAL;
    vmsix_amdvi_lock(u);
    t = vmsix_amdvi_table_find(u, devid);
    if (t)
        store_clear(u, t, index);
    else
        rc = -ENOENT;
    vmsix_amdvi_unlock(u);
    return rc;
}

static void read_entry(const struct vmsix_amdvi_unit *u, const struct amdvi_table *t,
                       uint32_t index, uint64_t out[2])
{
    if (wide(u)) {
        const uint64_t *e = slot128(t, index);

        out[0] = vmsix_ld64(&e[0]);
        out[1] = vmsix_ld64(&e[1]);
    } else {
        out[0] = vmsix_ld32(slot32(t, index));
        out[1] = 0;
    }
}

int vmsix_amdvi_irte_read(const struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index,
                          uint64_t out[2])
{
    const struct amdvi_table *t;

    if (!vmsix_amdvi_unit_valid(u) || !out || index >= u->nentries)
        return -EINVAL;
    t = vmsix_amdvi_table_find(u, devid);
    if (!t)
        return -ENOENT;
    read_entry(u, t, index, out);
    return 0;
}

static int command(struct vmsix_amdvi_unit *u, const uint64_t cmd[2])
{
    int rc = u->ops.command(u->ctx, cmd);

    return rc > 0 ? -EIO : rc;
}

int vmsix_amdvi_invalidate(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index,
                           uint32_t count)
{
    const struct amdvi_table *t;
    uint64_t cmd[2];
    uint32_t i;
    int rc;

    if (!vmsix_amdvi_unit_valid(u) || count == 0 || index >= u->nentries ||
        count > u->nentries - index)
        return -EINVAL;
    vmsix_amdvi_lock(u);
    t = vmsix_amdvi_table_find(u, devid);
    if (!t) {
        vmsix_amdvi_unlock(u);
        return -ENOENT;
    }
    vmsix_amdvi_cmd_inv_int_table(devid, cmd);
    rc = command(u, cmd);
    if (!rc) {
        /* a new sequence number each time, so that the hook cannot take an
         * older completion's store for this one */
        u->cw_seq++;
        (void)vmsix_amdvi_cmd_completion_wait(u->cw_addr ? VMSIX_AMDVI_CW_STORE : 0, u->cw_addr,
                                              u->cw_addr ? u->cw_seq : 0, cmd);
        rc = command(u, cmd);
    }
    if (rc)
        for (i = 0; i < count; i++)
            store_clear(u, t, index + i);
    vmsix_amdvi_unlock(u);
    return rc;
}

/* ---- reference decoder ------------------------------------------------- */

/* Which way a request of this type goes: 1 remapped, 0 passed through, or
 * a fault reason. */
static int msg_type(const struct vmsix_amdvi_unit *u, const struct vmsix_amdvi_dte_intr *d,
                    const struct vmsix_msg *m)
{
    if ((u->flags & VMSIX_AMDVI_2K) && (m->addr & VMSIX_AMDVI_MSI_DM))
        return 1;
    switch ((m->data >> MSI_MT_SHIFT) & 7u) {
    case MT_FIXED:
    case MT_ARBITRATED:
        return 1;
    case MT_NMI:
        return d->nmi_pass ? 0 : VMSIX_AMDVI_FAULT_MSG_TYPE;
    case MT_INIT:
        return d->init_pass ? 0 : VMSIX_AMDVI_FAULT_MSG_TYPE;
    case MT_EXTINT:
        return d->eint_pass ? 0 : VMSIX_AMDVI_FAULT_MSG_TYPE;
    default: /* SMI and the reserved types */
        return VMSIX_AMDVI_FAULT_MSG_TYPE;
    }
}

/* The entry is acceptable to this unit (reserved bits, modes). */
static bool entry_ok(const struct vmsix_amdvi_unit *u, const struct vmsix_amdvi_irte *f,
                     int decode_rc)
{
    if (decode_rc)
        return false;
    if (f->guest_mode)
        return (u->flags & VMSIX_AMDVI_VAPIC) != 0;
    return (u->flags & VMSIX_AMDVI_X2APIC) || f->dest <= 0xffu;
}

int vmsix_amdvi_resolve(const struct vmsix_amdvi_unit *u, uint16_t devid, const struct vmsix_msg *m,
                        struct vmsix_amdvi_result *out)
{
    const struct amdvi_table *t;
    uint64_t q2, raw[2];
    uint32_t addr, index;
    int rc;

    if (!vmsix_amdvi_unit_valid(u) || !m || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if ((m->addr >> 32) || ((uint32_t)m->addr & MSI_RANGE_MASK) != VMSIX_AMDVI_MSI_ADDR)
        return -EINVAL;
    addr = (uint32_t)m->addr;
    if (devid >= u->ndte)
        return VMSIX_AMDVI_FAULT_DEVID;
    q2 = vmsix_ld64(&u->dev_table[(size_t)devid * DTE_QWORDS + VMSIX_AMDVI_DTE_INTR_QWORD]);
    rc = vmsix_amdvi_dte_intr_decode(q2, &out->dte);
    if (!out->dte.iv) {
        out->passthrough = true;
        return 0;
    }
    if (rc)
        return VMSIX_AMDVI_FAULT_DTE;
    rc = msg_type(u, &out->dte, m);
    if (rc != 1) {
        out->passthrough = rc == 0;
        return rc;
    }
    if (out->dte.int_ctl == VMSIX_AMDVI_INTCTL_ABORT)
        return VMSIX_AMDVI_FAULT_ABORT;
    if (out->dte.int_ctl == VMSIX_AMDVI_INTCTL_FORWARD) {
        out->passthrough = true;
        return 0;
    }
    if ((addr & MSI_RSVD_ADDR) || (m->data & MSI_RSVD_DATA))
        return VMSIX_AMDVI_FAULT_RSVD_REQ;
    index = m->data & MSI_INDEX_MASK;
    out->index = index;
    if (index >= (1u << out->dte.int_tab_len))
        return VMSIX_AMDVI_FAULT_INDEX;
    t = vmsix_amdvi_table_find(u, devid);
    if (!t || t->root != out->dte.root || out->dte.int_tab_len > u->order)
        return -ENOENT;
    read_entry(u, t, index, raw);
    rc = wide(u) ? vmsix_amdvi_irte128_decode(raw, &out->irte)
                 : vmsix_amdvi_irte32_decode((uint32_t)raw[0], &out->irte);
    if (!out->irte.remap_en)
        return VMSIX_AMDVI_FAULT_NOT_REMAPPED;
    if (!out->irte.guest_mode && out->irte.int_type != VMSIX_AMDVI_INT_FIXED &&
        out->irte.int_type != VMSIX_AMDVI_INT_ARBITRATED)
        return VMSIX_AMDVI_FAULT_INT_TYPE;
    if (!entry_ok(u, &out->irte, rc))
        return VMSIX_AMDVI_FAULT_RSVD_IRTE;
    out->apic_id = out->irte.dest;
    return 0;
}
