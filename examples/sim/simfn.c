/* SPDX-License-Identifier: BSD-3-Clause */
#include "simfn.h"

#include <errno.h>
#include <string.h>

static uint32_t rd(const struct simfn *f, unsigned off, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    return v;
}

static void wr(struct simfn *f, unsigned off, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++)
        f->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

uint16_t simfn_msi_mask_reg(const struct simfn *f)
{
    return (uint16_t)(f->msi_off + (f->addr64 ? 0x10 : 0x0c));
}

uint16_t simfn_msi_data_reg(const struct simfn *f)
{
    return (uint16_t)(f->msi_off + (f->addr64 ? 0x0c : 0x08));
}

static uint16_t pending_reg(const struct simfn *f)
{
    return (uint16_t)(f->msi_off + (f->addr64 ? 0x14 : 0x10));
}

static void msi_reset(struct simfn *f)
{
    uint32_t mc = rd(f, f->msi_off + 2, 2);
    wr(f, f->msi_off + 2, 2, mc & ~0x0071u);
    for (unsigned o = 4; o < (f->addr64 ? 0x18u : 0x14u); o++)
        f->cfg[f->msi_off + o] = 0;
    f->pending = 0;
}

void simfn_init(struct simfn *f, unsigned mmc, bool addr64)
{
    memset(f, 0, sizeof(*f));
    f->msi_off = 0x50;
    f->addr64 = addr64;
    f->mmc = mmc;
    f->bar0_size = 0x4000;
    wr(f, 0x00, 2, 0x1d0f); /* a made-up vendor:device, 1d0f:5a5a */
    wr(f, 0x02, 2, 0x5a5a);
    wr(f, 0x06, 2, 0x0010); /* Capabilities List */
    wr(f, 0x08, 4, 0x02000001); /* network controller, rev 1 */
    wr(f, 0x10, 4, 0x0000000c); /* 64-bit prefetchable memory BAR, unassigned */
    wr(f, 0x2c, 4, 0x00011d0f);
    f->cfg[0x34] = 0x40;
    f->cfg[0x3d] = 0x01; /* INTA */
    /* PM at 0x40 -> MSI at 0x50 -> PCIe at 0x70 */
    wr(f, 0x40, 4, 0x00035001);
    wr(f, 0x50, 2, 0x7005);
    wr(f, 0x52, 2, (uint16_t)((mmc << 1) | (addr64 ? 0x80 : 0) | 0x100));
    wr(f, 0x70, 4, 0x00020010); /* PCIe v2 endpoint */
    wr(f, 0x74, 4, 0x10008000); /* DevCap: FLR capable */
    wr(f, 0x100, 4, 0x00010001); /* AER v1, end */
}

static bool fault(struct simfn *f)
{
    return ++f->calls == f->fail_at;
}

static bool bad_access(uint16_t off, unsigned size)
{
    return (size != 1 && size != 2 && size != 4) || (off & (size - 1)) || off + size > 4096;
}

int simfn_cfg_read(struct simfn *f, uint16_t off, unsigned size, uint32_t *val)
{
    if (fault(f) || bad_access(off, size))
        return -EIO;
    wr(f, pending_reg(f), 4, f->pending);
    *val = rd(f, off, size);
    return 0;
}

static void send(struct simfn *f, unsigned k)
{
    unsigned mme = (rd(f, f->msi_off + 2, 2) >> 4) & 7;
    uint32_t data = rd(f, simfn_msi_data_reg(f), 2);
    uint32_t low = (1u << mme) - 1;
    struct vmsix_msg m;

    m.addr = rd(f, f->msi_off + 4, 4) | (f->addr64 ? (uint64_t)rd(f, f->msi_off + 8, 4) << 32 : 0);
    m.data = (data & ~low) | (k & low);
    f->sent++;
    if (f->emit)
        f->emit(f->emit_ctx, &m);
}

/* Which bits of byte @b a host can write (the rest are read-only). */
static uint8_t writable(const struct simfn *f, unsigned b)
{
    unsigned m = f->msi_off, data = simfn_msi_data_reg(f), mask = simfn_msi_mask_reg(f);

    if (b == 0x04)
        return 0x46; /* Memory Space, Bus Master, Parity Error Response */
    if (b == 0x05)
        return 0x05; /* SERR#, INTx Disable */
    if (b >= 0x10 && b < 0x18) { /* the 64-bit BAR: its address bits */
        uint64_t addr = ~(uint64_t)(f->bar0_size - 1) & ~(uint64_t)0xf;
        return (uint8_t)(addr >> (8 * (b - 0x10)));
    }
    if (b == m + 2)
        return 0x71; /* MSI Enable, Multiple Message Enable */
    if (b == m + 4)
        return 0xfc; /* address bits 1:0 are 0 */
    if (b > m + 4 && b < m + 8)
        return 0xff;
    if (f->addr64 && b >= m + 8 && b < m + 12)
        return 0xff; /* upper address */
    if (b >= data && b < data + 2u)
        return 0xff; /* Message Data (no extended data) */
    if (b >= mask && b < mask + 4u)
        return 0xff; /* Mask Bits (Pending Bits are read-only) */
    if (b == 0x78)
        return 0xff; /* Device Control, low byte */
    if (b == 0x79)
        return 0x7f; /* high byte; bit 15 (FLR) is handled apart */
    return 0;
}

static void write_byte(struct simfn *f, unsigned b, uint8_t v)
{
    uint8_t w = writable(f, b);

    f->cfg[b] = (uint8_t)((f->cfg[b] & ~w) | (v & w));
}

int simfn_cfg_write(struct simfn *f, uint16_t off, unsigned size, uint32_t val)
{
    uint16_t mreg = simfn_msi_mask_reg(f);
    uint32_t old_mask = rd(f, mreg, 4);

    if (fault(f) || bad_access(off, size))
        return -EIO;
    if (off <= 0x78 && off + size > 0x79 && ((val >> (8 * (0x79 - off))) & 0x80)) {
        /* Initiate Function Level Reset */
        msi_reset(f);
        wr(f, 0x04, 2, 0);
        wr(f, 0x10, 4, 0x0000000c);
        wr(f, 0x14, 4, 0);
        return 0;
    }
    for (unsigned i = 0; i < size; i++)
        write_byte(f, off + i, (uint8_t)(val >> (8 * i)));
    /* only the vectors that exist have mask bits */
    uint32_t valid = f->mmc >= 5 ? 0xffffffffu : (1u << (1u << f->mmc)) - 1;
    wr(f, mreg, 4, rd(f, mreg, 4) & valid);
    /* an unmask sends what was pending, once */
    uint32_t unmasked = old_mask & ~rd(f, mreg, 4) & f->pending;
    for (unsigned k = 0; k < 32; k++) {
        if (unmasked & (1u << k)) {
            f->pending &= ~(1u << k);
            send(f, k);
        }
    }
    return 0;
}

int simfn_fire(struct simfn *f, unsigned k)
{
    unsigned mc = rd(f, f->msi_off + 2, 2), mme = (mc >> 4) & 7;

    if (!(mc & 1) || k >= (1u << mme)) {
        f->dropped++;
        return -1;
    }
    if (rd(f, simfn_msi_mask_reg(f), 4) & (1u << k)) {
        f->pending |= 1u << k;
        f->pended++;
        return 0;
    }
    send(f, k);
    return 1;
}
