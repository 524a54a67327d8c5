/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.h - the interrupt path of the VMM's "host": a VT-d or an AMD-Vi
 * remapping unit (its tables live in the VMM), the isolation policy that
 * turns a guest's
 * MSI message into a host target, the way back from a host target to the
 * device vector, and injection into the guest with KVM_SIGNAL_MSI.
 *
 * The host this VMM pretends to be: the CPU that runs vCPU n has physical
 * APIC ID IRQ_HOST_APIC0 + n and (flat) logical APIC ID 1 << n; the handler
 * of host vector IRQ_HOST_VEC0 + k calls vmsix_dev_irq(dev, k).
 */
#ifndef KVM_VMM_IRQ_H
#define KVM_VMM_IRQ_H

#include <stdint.h>

#include <vmsix/vmsix.h>

#include "vmm.h"

#define IRQ_HOST_VEC0 0x40u  /* host vector of device vector k: 0x40 + k */
#define IRQ_HOST_APIC0 0x20u /* host APIC ID of the CPU of vCPU n: 0x20 + n */
#define IRQ_VT_D_ENTRIES 256u
#define IRQ_HOST_RESERVED 24u  /* entries 0..23: the host's own IOAPIC pins */
#define IRQ_AMDVI_ENTRIES 512u /* entries of each AMD-Vi interrupt remapping table */
#define IRQ_AMDVI_DTES 256u    /* AMD-Vi device table: bus 0 */

/* Which remapping unit the host has. */
enum irq_iommu {
    IRQ_IOMMU_VTD,   /* Intel VT-d: one table, source validation in each entry */
    IRQ_IOMMU_AMDVI, /* AMD-Vi: a table per DeviceID, the MSI data is the index */
};

/* One remapping unit, its index pool and the vmsix backend made of them. */
struct irq_remap {
    enum irq_iommu iommu;
    uint16_t devid;  /* AMD-Vi: the DeviceID whose table is set up */
    uint64_t *table; /* VT-d: the interrupt-remapping table, 4 KiB aligned */
    struct vmsix_vtd_unit *unit;
    uint64_t *dev_table; /* AMD-Vi: the device table (the host's, as the IOMMU reads it) */
    void *amd_table;     /* AMD-Vi: the function's interrupt remapping table */
    uint64_t cw_sem;     /* AMD-Vi: where COMPLETION_WAIT stores */
    struct vmsix_amdvi_unit *amd;
    void *unit_mem, *pool_mem;
    struct vmsix_irte_pool *pool;
    struct vmsix_remap backend; /* for vmsix_dev_params.backend */
};

/* Make the unit, the pool and the backend. VT-d: compatibility-format
 * interrupts blocked, the host's IOAPIC entries reserved in the one pool.
 * AMD-Vi: 128-bit entries, a table for DeviceID @devid (the function's
 * requester ID) with its pool (entry 0 reserved: a function that sends
 * before it is programmed, data 0, hits an entry that is never remapped),
 * and its DTE pointing at it. Returns 0 or -1. */
int irq_remap_init(struct irq_remap *r, enum irq_iommu iommu, uint16_t devid);

/* The isolation policy, a pure function of the guest's message: accepted
 * are x86 MSI messages (0xFEEx_xxxx, no extended destination, no
 * redirection hint, remappable-format bit clear) with fixed or
 * lowest-priority delivery, edge trigger, a vector >= 16, and a destination
 * among this guest's @ncpu vCPUs (physical: APIC ID < @ncpu; logical: a
 * non-empty flat mask of those vCPUs). The host target is host vector
 * IRQ_HOST_VEC0 + @vec, delivered to the host CPUs that run the
 * destination vCPUs. Returns 0, or -EINVAL / -EPERM (refused). */
int irq_translate(unsigned ncpu, uint16_t vec, const struct vmsix_msg *guest,
                  struct vmsix_remap_target *host);

/* What the unit does with a memory write @m from requester @rid: 0 and the
 * host target of the entry it selects, a positive fault reason of the unit
 * (VMSIX_VTD_FAULT_*, VMSIX_AMDVI_FAULT_*), or a negative errno (not an
 * interrupt write; -EPERM: passed through untranslated, which this host
 * never sets up). */
int irq_resolve(const struct irq_remap *r, uint16_t rid, const struct vmsix_msg *m,
                struct vmsix_remap_target *host, uint32_t *index);

/* The device vector whose handler owns @host's vector, or -1. */
int irq_host_vector_owner(const struct vmsix_remap_target *host, unsigned nvec);

/* Do two host targets deliver the same way? */
bool irq_same_target(const struct vmsix_remap_target *a, const struct vmsix_remap_target *b);

/* Send MSI message @m to the guest (KVM_SIGNAL_MSI). Returns the ioctl's
 * result: > 0 delivered, 0 blocked by the guest, < 0 -errno. */
int irq_inject_msi(struct vm *vm, const struct vmsix_msg *m);

#endif
