/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfiodev.h - a real PCI function passed through with VFIO (--vfio): its
 * configuration space through vmsix with host-owned messages (the MSI-only
 * function shown as MSI-X) or, for the control run, its own MSI capability
 * passed through plainly; its BARs mapped into the guest; its interrupts
 * from VFIO's eventfds to KVM irqfds. libvmsix-vfio (vmsix/vfio.h) does
 * the VFIO and KVM calls.
 */
#ifndef KVM_VMM_VFIODEV_H
#define KVM_VMM_VFIODEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "vmm.h"

struct vfiodev;

/* Open the function @bdf ("DDDD:BB:DD.F", bound to vfio-pci), map guest
 * RAM for its DMA (IOVA = guest physical), and put it on @bus at @devfn.
 * @use_vmsix: the guest sees MSI-X through vmsix; else the function's own
 * MSI capability (plain MSI passthrough). Returns NULL (message printed)
 * on failure. */
struct vfiodev *vfiodev_create(struct vm *vm, struct pci_bus *bus, uint8_t devfn, const char *bdf,
                               bool use_vmsix);

/* One line about the function (where its BARs went) for the final report. */
void vfiodev_report(struct vfiodev *d, char *buf, size_t len);

/* The interrupt counters, "vmm_wakeups=... vmm_ioctls_per_unmask=...",
 * for the VMM's final line: VMM wakeups for the function's interrupts
 * (those of unmasked vectors apart), and the backend's ioctls per mask
 * and unmask. Stops the wakeup watcher first, so the counts are final. */
void vfiodev_counters(struct vfiodev *d, char *buf, size_t len);

/* Tear it down after the vCPUs stopped: MSI off (SET_IRQS count 0, routes
 * and irqfds gone), BAR slots removed, DMA unmapped, VFIO closed.
 * Returns 0 or -1 (each failed step logged). */
int vfiodev_destroy(struct vfiodev *d);

#endif
