/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.c - remapping, policy and injection (see irq.h).
 *
 * On real hardware the pieces are: the IOMMU (its interrupt-remapping
 * table, programmed by vmsix through the VT-d or the AMD-Vi backend), the
 * host's IDT (one handler per host vector) and the hypervisor's injection.
 * Here the function is simulated, so the "IOMMU" is vmsix's reference
 * decoder (vmsix_vtd_resolve() or vmsix_amdvi_resolve()) reading the same
 * tables the backend programs, and the "IDT" is irq_host_vector_owner().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "irq.h"

#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_RH 0x8u          /* redirection hint */
#define MSI_ADDR_DM 0x4u          /* destination mode: logical */
#define MSI_ADDR_RSVD 0x00000ff3u /* 11:4 (extended dest, remappable format), 1:0 */
#define MSI_DATA_LEVEL 0x8000u    /* trigger mode: level */
#define MSI_DATA_RSVD 0xffff0000u

/* The unit has no interrupt-entry cache: an invalidation completes at once. */
static int vtd_invalidate(void *ctx, const uint64_t desc[2])
{
    (void)ctx;
    (void)desc;
    return 0;
}

static const struct vmsix_vtd_ops vtd_ops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = vtd_invalidate,
};

/* The AMD-Vi command queue: no cache either; a COMPLETION_WAIT stores its
 * data at the semaphore, as the IOMMU does once the commands before it are
 * done. */
static int amdvi_command(void *ctx, const uint64_t cmd[2])
{
    struct irq_remap *r = ctx;

    if ((cmd[0] >> 60) == VMSIX_AMDVI_CMD_COMPLETION_WAIT && (cmd[0] & VMSIX_AMDVI_CW_STORE))
        __atomic_store_n(&r->cw_sem, cmd[1], __ATOMIC_RELEASE);
    return 0;
}

static const struct vmsix_amdvi_ops amdvi_ops = {
    .size = sizeof(struct vmsix_amdvi_ops),
    .command = amdvi_command,
};

/* The AMD-Vi unit: the DTE of @devid points at its table (what the host's
 * IOMMU driver does when it sets the device up). */
static int amdvi_init(struct irq_remap *r, uint16_t devid)
{
    size_t unit_len = (vmsix_amdvi_unit_storage_size(1) + 7) & ~(size_t)7;
    size_t pool_len = (vmsix_irte_pool_storage_size(IRQ_AMDVI_ENTRIES) + 7) & ~(size_t)7;
    size_t table_len = IRQ_AMDVI_ENTRIES * VMSIX_AMDVI_IRTE128_SIZE;
    struct vmsix_amdvi_params p;
    struct vmsix_amdvi_dte_intr dte;
    int rc;

    r->dev_table =
        aligned_alloc(VMSIX_AMDVI_DEV_TABLE_ALIGN, IRQ_AMDVI_DTES * VMSIX_AMDVI_DTE_SIZE);
    r->amd_table = aligned_alloc(VMSIX_AMDVI_TABLE_ALIGN, table_len);
    r->unit_mem = aligned_alloc(8, unit_len);
    r->pool_mem = aligned_alloc(VMSIX_IRTE_POOL_ALIGN, pool_len);
    if (!r->dev_table || !r->amd_table || !r->unit_mem || !r->pool_mem) {
        vmm_log("out of memory");
        return -1;
    }
    memset(r->dev_table, 0, IRQ_AMDVI_DTES * VMSIX_AMDVI_DTE_SIZE); /* IV 0 everywhere */
    memset(r->amd_table, 0, table_len);                             /* nothing remapped */
    memset(&p, 0, sizeof(p));
    p.dev_table = r->dev_table;
    p.ndte = IRQ_AMDVI_DTES;
    p.nentries = IRQ_AMDVI_ENTRIES;
    p.flags = VMSIX_AMDVI_GA; /* 128-bit entries, changed in one cmpxchg16b */
    p.max_tables = 1;
    p.cw_addr = (uintptr_t)&r->cw_sem; /* (this VMM's "physical" addresses are its own) */
    rc = vmsix_amdvi_unit_init(r->unit_mem, unit_len, &p, &amdvi_ops, r, &r->amd);
    if (!rc)
        rc = vmsix_irte_pool_init(r->pool_mem, pool_len, IRQ_AMDVI_ENTRIES, &r->pool);
    if (!rc)
        rc = vmsix_irte_reserve(r->pool, 0, 1);
    if (!rc)
        rc = vmsix_amdvi_table_add(r->amd, devid, r->amd_table, (uintptr_t)r->amd_table, r->pool);
    if (!rc) {
        /* remapped through the table; INIT, ExtINT, NMI, LINT0/1 not passed */
        memset(&dte, 0, sizeof(dte));
        dte.iv = true;
        dte.int_tab_len = 9; /* log2(IRQ_AMDVI_ENTRIES) */
        dte.root = (uintptr_t)r->amd_table;
        dte.int_ctl = VMSIX_AMDVI_INTCTL_REMAP;
        rc = vmsix_amdvi_dte_intr_encode(&dte,
                                         &r->dev_table[devid * 4 + VMSIX_AMDVI_DTE_INTR_QWORD]);
    }
    if (!rc)
        rc = vmsix_amdvi_remap_init(r->amd, 0, &r->backend);
    if (rc) {
        vmm_log("AMD-Vi unit setup failed: %d", rc);
        return -1;
    }
    return 0;
}

int irq_remap_init(struct irq_remap *r, enum irq_iommu iommu, uint16_t devid)
{
    size_t unit_len = (vmsix_vtd_unit_storage_size() + 7) & ~(size_t)7;
    size_t pool_len = (vmsix_irte_pool_storage_size(IRQ_VT_D_ENTRIES) + 7) & ~(size_t)7;
    struct vmsix_vtd_params p;
    int rc;

    r->iommu = iommu;
    r->devid = devid;
    if (iommu == IRQ_IOMMU_AMDVI)
        return amdvi_init(r, devid);
    r->table = aligned_alloc(VMSIX_VTD_TABLE_ALIGN, IRQ_VT_D_ENTRIES * VMSIX_VTD_IRTE_SIZE);
    r->unit_mem = aligned_alloc(8, unit_len);
    r->pool_mem = aligned_alloc(VMSIX_IRTE_POOL_ALIGN, pool_len);
    if (!r->table || !r->unit_mem || !r->pool_mem) {
        vmm_log("out of memory");
        return -1;
    }
    memset(r->table, 0, IRQ_VT_D_ENTRIES * VMSIX_VTD_IRTE_SIZE); /* nothing present */
    memset(&p, 0, sizeof(p));
    p.table = r->table;
    p.nentries = IRQ_VT_D_ENTRIES;
    p.flags = VMSIX_VTD_BLOCK_COMPAT; /* a device cannot bypass remapping */
    p.mhmv = 5;                       /* one descriptor invalidates 32 entries */
    rc = vmsix_vtd_unit_init(r->unit_mem, unit_len, &p, &vtd_ops, r, &r->unit);
    if (!rc)
        rc = vmsix_irte_pool_init(r->pool_mem, pool_len, IRQ_VT_D_ENTRIES, &r->pool);
    if (!rc)
        rc = vmsix_irte_reserve(r->pool, 0, IRQ_HOST_RESERVED);
    if (!rc)
        rc = vmsix_vtd_remap_init(r->unit, r->pool, 0, &r->backend);
    if (rc) {
        vmm_log("VT-d unit setup failed: %d", rc);
        return -1;
    }
    return 0;
}

int irq_translate(unsigned ncpu, uint16_t vec, const struct vmsix_msg *g,
                  struct vmsix_remap_target *t)
{
    uint32_t lo = (uint32_t)g->addr, dest = (lo >> 12) & 0xffu;
    uint32_t dm = (g->data >> 8) & 7u, gvec = g->data & 0xffu;
    uint32_t cpus = (1u << ncpu) - 1u;
    bool logical = (lo & MSI_ADDR_DM) != 0;

    if ((g->addr >> 32) != 0 || (lo & 0xfff00000u) != MSI_ADDR_BASE || (lo & MSI_ADDR_RSVD) ||
        (g->data & MSI_DATA_RSVD) || gvec < 16 || vec >= 32)
        return -EINVAL; /* not a message the policy understands */
    if ((lo & MSI_ADDR_RH) || (g->data & MSI_DATA_LEVEL))
        return -EPERM; /* redirection hint, level trigger */
    if (dm != VMSIX_REMAP_DLM_FIXED && dm != VMSIX_REMAP_DLM_LOWPRI)
        return -EPERM; /* SMI, NMI, INIT, ExtINT: never from a device */
    if (logical ? (dest == 0 || (dest & ~cpus)) : dest >= ncpu)
        return -EPERM; /* broadcast, or a CPU that is not this guest's */

    memset(t, 0, sizeof(*t));
    t->vector = IRQ_HOST_VEC0 + vec;
    t->dest_logical = logical;
    t->dest = logical ? dest : IRQ_HOST_APIC0 + dest;
    t->delivery = (uint8_t)dm;
    return 0;
}

/* AMD-Vi: the DeviceID is the requester ID (no bridge in between). */
static int amdvi_resolve(const struct irq_remap *r, uint16_t rid, const struct vmsix_msg *m,
                         struct vmsix_remap_target *t, uint32_t *index)
{
    struct vmsix_amdvi_result res;
    int rc = vmsix_amdvi_resolve(r->amd, rid, m, &res);

    if (rc)
        return rc;
    if (res.passthrough || res.irte.guest_mode)
        return -EPERM; /* cannot happen: the DTE remaps, vmsix never makes a vAPIC entry */
    memset(t, 0, sizeof(*t));
    t->vector = res.irte.vector;
    t->dest = res.apic_id;
    t->dest_logical = res.irte.dm;
    t->delivery = res.irte.int_type;
    *index = res.index;
    return 0;
}

int irq_resolve(const struct irq_remap *r, uint16_t rid, const struct vmsix_msg *m,
                struct vmsix_remap_target *t, uint32_t *index)
{
    struct vmsix_vtd_result res;
    int rc;

    if (r->iommu == IRQ_IOMMU_AMDVI)
        return amdvi_resolve(r, rid, m, t, index);
    rc = vmsix_vtd_resolve(r->unit, rid, m, &res);

    if (rc)
        return rc;
    if (res.compat || res.irte.posted)
        return VMSIX_VTD_FAULT_COMPAT; /* cannot happen: blocked, never programmed */
    memset(t, 0, sizeof(*t));
    t->vector = res.irte.vector;
    t->dest = res.apic_id;
    t->dest_logical = res.irte.dest_logical;
    t->delivery = res.irte.delivery;
    t->level = res.irte.level;
    t->redir_hint = res.irte.redir_hint;
    *index = res.index;
    return 0;
}

int irq_host_vector_owner(const struct vmsix_remap_target *t, unsigned nvec)
{
    if (t->vector < IRQ_HOST_VEC0 || t->vector >= IRQ_HOST_VEC0 + nvec)
        return -1;
    return (int)(t->vector - IRQ_HOST_VEC0);
}

bool irq_same_target(const struct vmsix_remap_target *a, const struct vmsix_remap_target *b)
{
    return a->vector == b->vector && a->dest == b->dest && a->dest_logical == b->dest_logical &&
           a->delivery == b->delivery && a->level == b->level && a->redir_hint == b->redir_hint &&
           a->posted == b->posted;
}

int irq_inject_msi(struct vm *vm, const struct vmsix_msg *m)
{
    struct kvm_msi msi;
    int rc;

    memset(&msi, 0, sizeof(msi));
    msi.address_lo = (uint32_t)m->addr;
    msi.address_hi = (uint32_t)(m->addr >> 32);
    msi.data = m->data;
    rc = ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
    return rc < 0 ? -errno : rc;
}
