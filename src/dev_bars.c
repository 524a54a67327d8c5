/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The composed device's virtual BARs (DESIGN 4.3): the table BAR and every
 * BAR and ROM the host described, emulated in the guest view with the
 * sizing protocol, their reset values, and where each decodes, which
 * bar_moved tells the host. No guest value reaches the function's BAR
 * registers.
 */
#include <string.h>

#include "dev_priv.h"

/* A virtual BAR: the table's, or one the host described (not opted in to
 * pass through). Slot VMSIX_DEV_ROM is the expansion ROM. */
static bool virtual_bar(const struct vmsix_dev *d, unsigned i)
{
    return i == d->lay.slot || (d->lay.bars[i].size && !d->lay.bars[i].passthrough);
}

/* Where virtual BAR @i decodes in the guest view now: its address while
 * the guest's I/O or Memory Space Enable (and the ROM's own enable) is set
 * and the address is not 0; else nowhere. */
static uint64_t bar_decode(const struct vmsix_dev *d, unsigned i)
{
    uint32_t cmd = 0, rom = 0;
    uint64_t addr = 0;
    uint16_t space = PCI_COMMAND_MEMORY;

    vmsix_cfg_peek(d->cfg, PCI_COMMAND, 2, &cmd);
    if (i == VMSIX_DEV_ROM) {
        vmsix_cfg_peek(d->cfg, PCI_ROM_ADDRESS, 4, &rom);
        addr = rom & PCI_ROM_ADDRESS_MASK;
        return (cmd & space) && (rom & PCI_ROM_ADDRESS_ENABLE) && addr ? addr : VMSIX_BAR_UNMAPPED;
    }
    if (i != d->lay.slot && d->lay.bars[i].kind == VMSIX_BAR_IO)
        space = PCI_COMMAND_IO;
    if (!(cmd & space) || vmsix_cfg_bar_addr(d->cfg, i, &addr) || !addr)
        return VMSIX_BAR_UNMAPPED;
    return addr;
}

void vmsix_dev_sync_decode(struct vmsix_dev *d)
{
    unsigned i;

    for (i = 0; i < VMSIX_DEV_NBARS; i++) {
        uint64_t now, old = d->decode[i];

        if (!virtual_bar(d, i))
            continue;
        now = bar_decode(d, i);
        if (now == old)
            continue;
        d->decode[i] = now;
        if (d->ops.bar_moved)
            d->ops.bar_moved(d->ctx, i, old, now);
    }
}

/* The model says the guest wrote a virtual BAR's address. */
void vmsix_dev_bar_moved(void *ctx, unsigned bar, uint64_t addr)
{
    (void)bar;
    (void)addr;
    vmsix_dev_sync_decode(ctx);
}

/* The guest wrote the virtual expansion ROM register. */
static int rom_write(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)off;
    (void)len;
    (void)old;
    (void)val;
    vmsix_dev_sync_decode(ctx);
    return 0;
}

static const struct vmsix_cfg_field_ops rom_field = {
    .size = sizeof(struct vmsix_cfg_field_ops),
    .write = rom_write,
};

int vmsix_dev_model_bars(struct vmsix_dev *d)
{
    const struct vmsix_dev_bar *bars = d->lay.bars, *rom = &bars[VMSIX_DEV_ROM];
    struct vmsix_cfg *c = d->cfg;
    unsigned i;
    int rc = 0;

    rc = vmsix_cfg_bar_emulate(c, d->lay.slot, d->lay.bar_size, VMSIX_BAR_MEM32,
                               vmsix_dev_bar_moved, d);
    for (i = 0; i < 6 && !rc; i++) {
        const struct vmsix_dev_bar *b = &bars[i];

        if (i == d->lay.slot)
            continue;
        if (b->passthrough) { /* as the function has it; a 64-bit one's upper half too */
            uint32_t raw = 0;
            vmsix_cfg_peek(c, (uint16_t)(PCI_BAR0 + PCI_BAR_SIZE * i), 4, &raw);
            if ((raw & (PCI_BAR_SPACE_IO | PCI_BAR_MEM_TYPE_MASK)) == PCI_BAR_MEM_TYPE_64)
                i++;
            continue;
        }
        if (b->size)
            rc = vmsix_cfg_bar_emulate(c, i, b->size,
                                       b->kind | (b->prefetch ? VMSIX_BAR_PREFETCH : 0u),
                                       vmsix_dev_bar_moved, d);
        else if (i == 0 || bars[i - 1].kind != VMSIX_BAR_MEM64 || !bars[i - 1].size)
            rc = vmsix_cfg_set_range(c, (uint16_t)(PCI_BAR0 + PCI_BAR_SIZE * i), PCI_BAR_SIZE,
                                     VMSIX_CFG_RO);
    }
    if (!rc && !rom->passthrough) {
        struct vmsix_cfg_reg reg = {.off = PCI_ROM_ADDRESS, .size = 4};
        if (rom->size) {
            reg.rw = ((uint32_t) ~(rom->size - 1u) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE;
            reg.ops = &rom_field;
        }
        rc = vmsix_cfg_regs_add(c, 0, &reg, 1, d);
    }
    return rc;
}

/* The virtual BARs back to reset: the table BAR an unassigned 32-bit
 * memory BAR, each described one its type bits with address 0, the ROM 0. */
void vmsix_dev_bars_reset(struct vmsix_dev *d)
{
    vmsix_cfg_poke(d->cfg, dev_table_bar_reg(d), 4, 0);
    for (unsigned i = 0; i < 6; i++) {
        const struct vmsix_dev_bar *b = &d->lay.bars[i];
        if (i == d->lay.slot || b->passthrough || !b->size)
            continue;
        vmsix_cfg_poke(d->cfg, (uint16_t)(PCI_BAR0 + PCI_BAR_SIZE * i), 4,
                       vmsix_mom_bar_type_bits(b));
        if (b->kind == VMSIX_BAR_MEM64)
            vmsix_cfg_poke(d->cfg, (uint16_t)(PCI_BAR0 + PCI_BAR_SIZE * ++i), 4, 0);
    }
    if (virtual_bar(d, VMSIX_DEV_ROM))
        vmsix_cfg_poke(d->cfg, PCI_ROM_ADDRESS, 4, 0);
}
