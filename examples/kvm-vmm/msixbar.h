/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msixbar.h - a guest's MMIO access to the MSI-X table BAR of a struct
 * vmsix_dev (the table and the PBA), as vmsix_dev_mmio_read/write() take
 * it. The e2e function and a passed-through one both trap this BAR.
 */
#ifndef KVM_VMM_MSIXBAR_H
#define KVM_VMM_MSIXBAR_H

#include <stdbool.h>
#include <stdint.h>

#include <vmsix/vmsix.h>

/* The access of @len bytes (@data, little-endian) at @off in the table BAR,
 * with the device's lock held. Bytes outside the table and the PBA read 0
 * and take no write (not an error: the BAR is larger than they are); an
 * access longer than 8 bytes reads 0 and is dropped. Returns 0 or vmsix's
 * error, for the caller's log. */
int msixbar_access(struct vmsix_dev *dev, uint64_t off, uint8_t *data, unsigned len, bool is_write);

#endif
