/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Save and restore of the composed device, for migration: the guest-visible
 * state (table BAR, MSI-X Enable and Function Mask, INTx Disable, the
 * MSI-X table) in a versioned, CRC-checked format. The physical side is
 * not saved: restore rebuilds it (with host-owned messages it keeps the
 * host's vectors while MSI-X stays enabled, and rebuilds the routes).
 */
#include <string.h>

#include "bytes.h"
#include "dev_priv.h"
#include "vmsix_errno.h"

#define DEV_SAVE_MAGIC 0x44534d56u /* "VMSD" */
#define DEV_SAVE_VERSION 2u        /* 2: the guest's Command holds I/O and Memory Space Enable */

/* The header: where each field is (little-endian). */
enum {
    SAVE_MAGIC = 0,     /* u32 */
    SAVE_VERSION = 4,   /* u16 */
    SAVE_HDR_SIZE = 6,  /* u16: DEV_SAVE_HDR */
    SAVE_MSI_OFF = 8,   /* u16 */
    SAVE_NVEC = 10,     /* u8 */
    SAVE_SLOT = 11,     /* u8 */
    SAVE_BAR_SIZE = 12, /* u32 */
    SAVE_BAR = 16,      /* u32: the table BAR register */
    SAVE_CTRL = 20,     /* u16: MSI-X Enable and Function Mask */
    SAVE_CMD = 22,      /* u16: the guest's Command bits (DEV_CMD_GUEST) */
    SAVE_MSIX_LEN = 24, /* u32: bytes of the table state that follows */
    SAVE_RSVD = 28,     /* u32: 0 */
    SAVE_BARS = 32,     /* u32 x 7: BARs 0..5 and the ROM, for the virtual ones the
                           host described (0 for the others and the table BAR) */
    SAVE_RSVD2 = 60,    /* u32: 0 */
    DEV_SAVE_HDR = 64,
};

/* The embedded table state's Message Control (its header, vmsix_msix_save()). */
#define MSIX_SAVE_CTRL 10u

#define CTRL_SAVED (VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK)

/* The register of BAR slot @i (0..5), or of the ROM. */
static uint16_t bar_reg(unsigned i)
{
    return (uint16_t)(i == VMSIX_DEV_ROM ? PCI_ROM_ADDRESS : PCI_BAR0 + PCI_BAR_SIZE * i);
}

/* Is register @i one of a virtual BAR the host described (a 64-bit one's
 * upper half included)? Those are saved; the table BAR is apart. */
static bool described_bar_reg(const struct vmsix_dev *d, unsigned i)
{
    const struct vmsix_dev_bar *b = d->lay.bars;

    if (i == d->lay.slot || b[i].passthrough)
        return false;
    if (b[i].size)
        return true;
    return i > 0 && i < 6 && b[i - 1].size && !b[i - 1].passthrough &&
           b[i - 1].kind == VMSIX_BAR_MEM64 && i - 1 != d->lay.slot;
}

/* A saved register @v of described virtual BAR @i holds only its address
 * (aligned to its size) and its type bits. */
static bool bar_value_valid(const struct vmsix_dev *d, unsigned i, uint32_t v)
{
    const struct vmsix_dev_bar *b = &d->lay.bars[i];
    uint32_t low;

    if (i == VMSIX_DEV_ROM)
        return !(v &
                 ~(((uint32_t) ~(b->size - 1u) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE));
    if (!b->size) /* the upper half of a 64-bit one: any address bits */
        return true;
    low = b->kind == VMSIX_BAR_IO ? 0x3u : 0xfu;
    if ((v & low) != vmsix_mom_bar_type_bits(b))
        return false;
    return b->size > 0x80000000u ? !(v & ~low) : !(v & (uint32_t)(b->size - 1u) & ~low);
}

size_t vmsix_dev_save_size(const struct vmsix_dev *d)
{
    if (!dev_ok(d))
        return 0;
    return DEV_SAVE_HDR + vmsix_msix_save_size(d->msix) + 4u;
}

int vmsix_dev_save(const struct vmsix_dev *d, void *buf, size_t len, size_t *used)
{
    uint8_t *b = buf;
    size_t need, mlen = 0;
    uint32_t bar = 0, mc = 0, cmd = 0;
    int rc;

    if (!dev_ok(d) || !used || (!buf && len))
        return -EINVAL;
    need = vmsix_dev_save_size(d);
    *used = need;
    if (len < need)
        return -ENOSPC;
    vmsix_cfg_peek(d->cfg, dev_table_bar_reg(d), 4, &bar);
    vmsix_cfg_peek(d->cfg, dev_msix_ctrl_reg(d), 2, &mc);
    vmsix_cfg_peek(d->cfg, PCI_COMMAND, 2, &cmd);
    memset(b, 0, DEV_SAVE_HDR);
    vmsix_wr32(b + SAVE_MAGIC, DEV_SAVE_MAGIC);
    vmsix_wr16(b + SAVE_VERSION, DEV_SAVE_VERSION);
    vmsix_wr16(b + SAVE_HDR_SIZE, DEV_SAVE_HDR);
    vmsix_wr16(b + SAVE_MSI_OFF, d->lay.msi_off);
    b[SAVE_NVEC] = d->lay.nvec;
    b[SAVE_SLOT] = d->lay.slot;
    vmsix_wr32(b + SAVE_BAR_SIZE, d->lay.bar_size);
    vmsix_wr32(b + SAVE_BAR, bar);
    vmsix_wr16(b + SAVE_CTRL, (uint16_t)(mc & CTRL_SAVED));
    vmsix_wr16(b + SAVE_CMD, (uint16_t)(cmd & DEV_CMD_GUEST));
    vmsix_wr32(b + SAVE_MSIX_LEN, (uint32_t)vmsix_msix_save_size(d->msix));
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++) {
        uint32_t v = 0;
        if (described_bar_reg(d, i))
            vmsix_cfg_peek(d->cfg, bar_reg(i), 4, &v);
        vmsix_wr32(b + SAVE_BARS + 4u * i, v);
    }
    rc = vmsix_msix_save(d->msix, b + DEV_SAVE_HDR, need - DEV_SAVE_HDR - 4u, &mlen);
    if (rc)
        return rc;
    vmsix_wr32(b + need - 4u, vmsix_crc32(b, need - 4u));
    return 0;
}

/* Everything about a saved state that can be checked without changing
 * anything, the embedded table state included. */
static bool restore_valid(const struct vmsix_dev *d, const uint8_t *b, size_t len)
{
    size_t mlen = vmsix_msix_save_size(d->msix);
    uint32_t bar;
    uint16_t mc;

    if (len != vmsix_dev_save_size(d) || vmsix_rd32(b + SAVE_MAGIC) != DEV_SAVE_MAGIC ||
        vmsix_rd16(b + SAVE_VERSION) != DEV_SAVE_VERSION ||
        vmsix_rd16(b + SAVE_HDR_SIZE) != DEV_SAVE_HDR)
        return false;
    if (vmsix_rd16(b + SAVE_MSI_OFF) != d->lay.msi_off || b[SAVE_NVEC] != d->lay.nvec ||
        b[SAVE_SLOT] != d->lay.slot || vmsix_rd32(b + SAVE_BAR_SIZE) != d->lay.bar_size ||
        vmsix_rd32(b + SAVE_MSIX_LEN) != mlen || vmsix_rd32(b + SAVE_RSVD))
        return false;
    if (vmsix_crc32(b, len - 4u) != vmsix_rd32(b + len - 4u) || vmsix_rd32(b + SAVE_RSVD2))
        return false;
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++) {
        uint32_t v = vmsix_rd32(b + SAVE_BARS + 4u * i);
        if (described_bar_reg(d, i) ? !bar_value_valid(d, i, v) : v != 0)
            return false;
    }
    bar = vmsix_rd32(b + SAVE_BAR);
    mc = vmsix_rd16(b + SAVE_CTRL);
    if (bar & (d->lay.bar_size - 1u)) /* address bits only: a 32-bit memory BAR */
        return false;
    if (mc & ~(uint16_t)CTRL_SAVED || vmsix_rd16(b + SAVE_CMD) & ~(uint16_t)DEV_CMD_GUEST)
        return false;
    /* the table state agrees on Message Control, and is itself valid */
    if (vmsix_rd16(b + DEV_SAVE_HDR + MSIX_SAVE_CTRL) != mc)
        return false;
    return vmsix_msix_restore_valid(d->msix, b + DEV_SAVE_HDR, mlen);
}

int vmsix_dev_restore(struct vmsix_dev *d, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    uint32_t cmd = 0, mc = 0, bar;
    bool keep;
    int ret = 0;

    if (!dev_ok(d) || !buf || !restore_valid(d, b, len))
        return -EINVAL;
    /* The host's vectors hold what masked vectors got (hostmsg.h), and
     * their disable drops it: they stay when the restored state has MSI-X
     * enabled too, as a function keeps its pending bits. The table's
     * restore below unroutes what was active and routes what is active
     * now; a route delivers a held vector's messages once. */
    keep = d->host_owned && d->hm.on && (vmsix_rd16(b + SAVE_CTRL) & VMSIX_MSIX_CTRL_ENABLE);
    if (!keep)
        ret = vmsix_dev_phys_teardown(d);
    bar = vmsix_rd32(b + SAVE_BAR);
    vmsix_cfg_poke(d->cfg, dev_table_bar_reg(d), 4, bar);
    for (unsigned i = 0; i < VMSIX_DEV_NBARS; i++)
        if (described_bar_reg(d, i))
            vmsix_cfg_poke(d->cfg, bar_reg(i), 4, vmsix_rd32(b + SAVE_BARS + 4u * i));
    vmsix_cfg_peek(d->cfg, dev_msix_ctrl_reg(d), 2, &mc);
    mc = (mc & ~(uint32_t)CTRL_SAVED) | vmsix_rd16(b + SAVE_CTRL);
    vmsix_cfg_poke(d->cfg, dev_msix_ctrl_reg(d), 2, mc);
    vmsix_cfg_peek(d->cfg, PCI_COMMAND, 2, &cmd);
    cmd = (cmd & ~(uint32_t)DEV_CMD_GUEST) | vmsix_rd16(b + SAVE_CMD);
    vmsix_cfg_poke(d->cfg, PCI_COMMAND, 2, cmd);
    /* the function decodes its BARs with the guest's enables */
    ret = vmsix_first_error(
        ret, vmsix_msi_phys_update16(&d->phys, PCI_COMMAND,
                                     (uint16_t)(~cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)),
                                     (uint16_t)(cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))));
    if (mc & VMSIX_MSIX_CTRL_ENABLE)
        ret = vmsix_first_error(ret, vmsix_dev_phys_setup(d));
    /* releases what was active (on the new block: harmless), then programs
     * every vector active in the restored state */
    ret = vmsix_first_error(
        ret, vmsix_msix_restore(d->msix, b + DEV_SAVE_HDR, vmsix_msix_save_size(d->msix)));
    ret = vmsix_first_error(
        ret, vmsix_msi_phys_set_guest_intx(&d->phys, (cmd & PCI_COMMAND_INTX_DISABLE) != 0));
    vmsix_dev_sync_decode(d);
    return ret;
}
