/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msixbar.c - a guest's MMIO access to a vmsix device's MSI-X table BAR:
 * the exit's bytes to vmsix_dev_mmio_read/write() and back.
 */
#include <errno.h>
#include <string.h>

#include "msixbar.h"
#include "pci.h"

int msixbar_access(struct vmsix_dev *dev, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
    uint64_t val = 0;
    int rc;

    if (len > 8) {
        if (!is_write)
            memset(data, 0, len);
        return -EINVAL;
    }
    if (is_write) {
        rc = vmsix_dev_mmio_write(dev, off, len, pci_le_get(data, len));
    } else {
        rc = vmsix_dev_mmio_read(dev, off, len, &val);
        pci_le_put(data, len, rc ? 0 : val);
    }
    return rc == -ERANGE ? 0 : rc; /* outside the table and the PBA */
}
