/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * e2edev.h - the end-to-end test function (e2e_regs.h): examples/sim's
 * simulated function with 32 MSI vectors, shown to the guest as an MSI-X
 * function by vmsix (or, for the control run, as the plain MSI function),
 * with control registers in BAR 0.
 */
#ifndef KVM_VMM_E2EDEV_H
#define KVM_VMM_E2EDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"
#include "pci.h"
#include "vmm.h"

struct e2edev;

/* Make the function and put it on @bus at @devfn (bus 0). @use_vmsix
 * selects the guest view: MSI-X through vmsix, or the plain MSI function;
 * @iommu the remapping unit vmsix programs (VT-d or AMD-Vi).
 * Returns NULL (message printed) on failure. */
struct e2edev *e2edev_create(struct vm *vm, struct pci_bus *bus, uint8_t devfn, bool use_vmsix,
                             enum irq_iommu iommu);

/* One line of counters for the VMM's final report. */
void e2edev_report(struct e2edev *d, char *buf, size_t len);

#endif
