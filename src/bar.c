/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BAR decoding: the BAR slots of untrusted configuration bytes and the
 * lowest slot free for an emulated BAR (DESIGN 4.1 rule 7). Pure functions
 * of the bytes, like capchain.c; emulating a BAR is cfgbar.c.
 */
#include <string.h>

#include <vmsix/bar.h>

#include "bytes.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define BAR0 PCI_BAR0

unsigned vmsix_bar_count(const uint8_t *cfg, size_t len)
{
    if (!cfg || len < 64)
        return 0;
    return pci_header_bars(pci_header_type(cfg));
}

int vmsix_bar_decode(const uint8_t *cfg, size_t len, struct vmsix_bar out[6], unsigned *n)
{
    unsigned i, count;

    if (!cfg || !out || !n || len < 64)
        return -EINVAL;
    count = pci_header_bars(pci_header_type(cfg));
    for (i = 0; i < count; i++) {
        uint32_t v = vmsix_rd32(cfg + BAR0 + PCI_BAR_SIZE * i);
        struct vmsix_bar *b = &out[i];

        memset(b, 0, sizeof(*b));
        if (v == 0) {
            b->kind = VMSIX_BAR_NONE;
        } else if (v & PCI_BAR_SPACE_IO) {
            b->kind = VMSIX_BAR_IO;
            b->addr = v & PCI_BAR_IO_ADDR_MASK;
        } else {
            b->prefetch = (v & PCI_BAR_MEM_PREFETCH) != 0;
            b->addr = v & PCI_BAR_MEM_ADDR_MASK;
            switch (v & PCI_BAR_MEM_TYPE_MASK) {
            case PCI_BAR_MEM_TYPE_32:
                b->kind = VMSIX_BAR_MEM32;
                break;
            case PCI_BAR_MEM_TYPE_64:
                if (i + 1 >= count) {
                    b->kind = VMSIX_BAR_BAD;
                    break;
                }
                b->kind = VMSIX_BAR_MEM64;
                b->addr |= (uint64_t)vmsix_rd32(cfg + BAR0 + PCI_BAR_SIZE * (i + 1)) << 32;
                i++;
                memset(&out[i], 0, sizeof(out[i]));
                out[i].kind = VMSIX_BAR_MEM64_HI;
                out[i].prefetch = b->prefetch;
                out[i].addr = b->addr;
                break;
            default: /* 01 (below 1 MiB, PCI 2.x) and 11 are reserved */
                b->kind = VMSIX_BAR_BAD;
                break;
            }
        }
    }
    *n = count;
    return 0;
}

int vmsix_bar_free_slot(const uint8_t *cfg, size_t len, const uint32_t *sized, unsigned *slot)
{
    struct vmsix_bar bars[6];
    unsigned i, n;

    if (!slot || vmsix_bar_decode(cfg, len, bars, &n))
        return -EINVAL;
    for (i = 0; i < n; i++) {
        if (bars[i].kind != VMSIX_BAR_NONE)
            continue;
        /* reads 0; an implemented BAR at address 0 still sizes to non-zero
         * (the upper half of a 64-bit BAR was decoded as MEM64_HI above) */
        if (sized && sized[i] != 0)
            continue;
        *slot = i;
        return 0;
    }
    return -ENOSPC;
}
