/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the plan of MSI-X on MSI for one function, decided once from its
 * configuration bytes (msix_on_msi.c), and the edit that makes the guest
 * view of those bytes in place (used by the view helper and the device). */
#ifndef VMSIX_SRC_MSIX_ON_MSI_PRIV_H
#define VMSIX_SRC_MSIX_ON_MSI_PRIV_H

#include <vmsix/bar.h>
#include <vmsix/msix_on_msi.h>

#include "pci_regs.h"

/* Where everything is, for a function that qualifies with its options. */
struct vmsix_mom_layout {
    uint16_t msi_off;   /* the MSI capability: the guest's MSI-X capability */
    uint16_t msi_len;   /* its length (10, 14, 20 or 24) */
    uint16_t exp_off;   /* the PCI Express capability, 0 when none */
    uint16_t pm_off;    /* the Power Management capability, 0 when none */
    uint16_t af_off;    /* the Advanced Features capability, 0 when none */
    bool addr64;        /* MSI: 64-bit address */
    uint8_t nvec;       /* vectors shown, a power of two 2..32 */
    uint8_t slot;       /* the table BAR's slot */
    uint32_t bar_size;  /* the table BAR's size */
    uint32_t table_off; /* the table's offset in it: 0 */
    uint32_t pba_off;   /* the PBA's: half the BAR (DESIGN 4.3, placed by 4.6) */
    /* the function's BARs and ROM as the host described them (checked) */
    struct vmsix_dev_bar bars[VMSIX_DEV_NBARS];
};

/* The reset value of a virtual BAR the host described: its type bits,
 * address 0. */
static inline uint32_t vmsix_mom_bar_type_bits(const struct vmsix_dev_bar *b)
{
    if (b->kind == VMSIX_BAR_IO)
        return PCI_BAR_SPACE_IO;
    return (b->kind == VMSIX_BAR_MEM64 ? PCI_BAR_MEM_TYPE_64 : PCI_BAR_MEM_TYPE_32) |
           (b->prefetch ? PCI_BAR_MEM_PREFETCH : 0u);
}

/*
 * vmsix_mom_plan() - decide once: eligibility for @masking
 * (VMSIX_MASKING_*; every reason, in @e) and, for a function that
 * qualifies with @opt (NULL: defaults), the layout. One walk of the chain.
 * Return: 0; -ENOTSUP when not eligible or @opt does not fit the function.
 */
int vmsix_mom_plan(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                   unsigned masking, struct vmsix_eligibility *e, struct vmsix_mom_layout *l);

/*
 * vmsix_mom_apply() - turn the @len configuration bytes at @cfg, which
 * vmsix_mom_plan() planned as @l, into the guest view in place: MSI-X
 * replaces MSI (next pointer kept), the table slot reads as an unassigned
 * 32-bit memory BAR. Return: 0, or the error of vmsix_capchain_replace().
 */
int vmsix_mom_apply(uint8_t *cfg, size_t len, const struct vmsix_mom_layout *l);

#endif /* VMSIX_SRC_MSIX_ON_MSI_PRIV_H */
