/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated BARs in a configuration-space model: the sizing protocol (DESIGN
 * 4.1 rule 7) and the address a guest wrote. Decoding BARs of raw bytes is
 * src/bar.c.
 */
#include <vmsix/cfgspace.h>

#include "bits.h"
#include "cfgspace_priv.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define BAR0 PCI_BAR0

static int bar_field_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    struct vmsix_cfg *c = ctx;
    unsigned bar = (off - BAR0) / PCI_BAR_SIZE;
    uint64_t addr;

    (void)len;
    if (old == val)
        return 0;
    if (c->bars[bar].kind == VMSIX_BAR_MEM64_HI)
        bar--;
    if (c->bars[bar].moved && vmsix_cfg_bar_addr(c, bar, &addr) == 0)
        c->bars[bar].moved(c->bars[bar].ctx, bar, addr);
    return 0;
}

static const struct vmsix_cfg_field_ops bar_field_ops = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .read = NULL,
    .write = bar_field_write,
};

int vmsix_cfg_bar_emulate(struct vmsix_cfg *c, unsigned bar, uint64_t size, unsigned kind,
                          vmsix_bar_moved_fn moved, void *ctx)
{
    unsigned type = kind & ~VMSIX_BAR_PREFETCH;
    bool prefetch = (kind & VMSIX_BAR_PREFETCH) != 0;
    unsigned slots, dwords, i, off;
    struct vmsix_cfg_reg regs[2];
    uint32_t low_type;
    uint64_t addr_mask;
    int rc;

    if (!cfg_ok(c) || !vmsix_is_pow2(size))
        return -EINVAL;
    slots = pci_header_bars(pci_header_type(c->shadow));
    switch (type) {
    case VMSIX_BAR_IO:
        if (prefetch || size < 4 || size > 256)
            return -EINVAL;
        low_type = PCI_BAR_SPACE_IO;
        addr_mask = ~(size - 1) & PCI_BAR_IO_ADDR_MASK;
        dwords = 1;
        break;
    case VMSIX_BAR_MEM32:
        if (size < 16 || size > 0x80000000u)
            return -EINVAL;
        low_type = PCI_BAR_MEM_TYPE_32 | (prefetch ? PCI_BAR_MEM_PREFETCH : 0u);
        addr_mask = ~(size - 1) & PCI_BAR_MEM_ADDR_MASK;
        dwords = 1;
        break;
    case VMSIX_BAR_MEM64:
        if (size < 16 || size > ((uint64_t)1 << 63))
            return -EINVAL;
        low_type = PCI_BAR_MEM_TYPE_64 | (prefetch ? PCI_BAR_MEM_PREFETCH : 0u);
        addr_mask = ~(size - 1) & ~(uint64_t)~PCI_BAR_MEM_ADDR_MASK;
        dwords = 2;
        break;
    default:
        return -EINVAL;
    }
    if (bar >= slots || dwords > slots - bar) /* no wrap for a huge @bar */
        return -EINVAL;
    off = BAR0 + PCI_BAR_SIZE * bar;
    /* address bits RW and emulated, size and type bits RO: a write of all
     * ones reads back the size mask with the type bits */
    for (i = 0; i < dwords; i++)
        regs[i] = (struct vmsix_cfg_reg){
            .off = (uint16_t)(4u * i),
            .size = 4,
            .rw = (uint32_t)(addr_mask >> (32 * i)),
            .ops = &bar_field_ops,
        };
    rc = vmsix_cfg_regs_add(c, (uint16_t)off, regs, dwords, c);
    if (rc)
        return rc;
    for (i = 0; i < dwords; i++)
        vmsix_cfg_poke(c, (uint16_t)(off + 4u * i), 4, i == 0 ? low_type : 0);
    c->bars[bar].kind = (uint8_t)type;
    c->bars[bar].moved = moved;
    c->bars[bar].ctx = ctx;
    if (dwords == 2) {
        c->bars[bar + 1].kind = VMSIX_BAR_MEM64_HI;
        c->bars[bar + 1].moved = NULL;
        c->bars[bar + 1].ctx = NULL;
    }
    return 0;
}

int vmsix_cfg_bar_addr(const struct vmsix_cfg *c, unsigned bar, uint64_t *addr)
{
    unsigned off;
    uint64_t a;

    if (!cfg_ok(c) || !addr || bar >= 6)
        return -EINVAL;
    off = BAR0 + PCI_BAR_SIZE * bar;
    switch (c->bars[bar].kind) {
    case VMSIX_BAR_IO:
        a = cfg_shadow_value(c, off, 4) & PCI_BAR_IO_ADDR_MASK;
        break;
    case VMSIX_BAR_MEM32:
        a = cfg_shadow_value(c, off, 4) & PCI_BAR_MEM_ADDR_MASK;
        break;
    case VMSIX_BAR_MEM64:
        a = (cfg_shadow_value(c, off, 4) & PCI_BAR_MEM_ADDR_MASK) |
            ((uint64_t)cfg_shadow_value(c, off + 4, 4) << 32);
        break;
    default:
        return -ENOENT;
    }
    *addr = a;
    return 0;
}
