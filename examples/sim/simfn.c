/* SPDX-License-Identifier: BSD-3-Clause */
#include "simfn.h"

#include <errno.h>
#include <string.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>

#define MSI_CTRL_ENABLE 0x0001u
#define MSI_CTRL_MME 0x0070u
#define MSI_CTRL_64BIT 0x0080u
#define MSI_CTRL_PVM 0x0100u

static void put(uint8_t *cfg, unsigned off, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++)
        cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void wr(struct simfn *f, unsigned off, unsigned n, uint32_t v)
{
    put(f->cfg, off, n, v);
}

static uint32_t rd(const struct simfn *f, unsigned off, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)f->cfg[off + i] << (8 * i);
    return v;
}

uint16_t simfn_msi_mask_reg(const struct simfn *f)
{
    return (uint16_t)(f->msi_off + (f->addr64 ? 0x10 : 0x0c));
}

uint16_t simfn_msi_data_reg(const struct simfn *f)
{
    return (uint16_t)(f->msi_off + (f->addr64 ? 0x0c : 0x08));
}

static unsigned pending_reg(const struct simfn *f)
{
    return f->msi_off + (f->addr64 ? 0x14u : 0x10u);
}

static unsigned msi_end(const struct simfn *f)
{
    return f->pvm ? pending_reg(f) + 4u : simfn_msi_data_reg(f) + 2u;
}

static uint32_t valid_mask_bits(const struct simfn *f)
{
    return f->mmc >= 5 ? 0xffffffffu : (1u << (1u << f->mmc)) - 1u;
}

/* The state after a Function Level Reset (see the header); the BARs are
 * reset only by a real FLR, not at init. */
static void reset(struct simfn *f, bool bars)
{
    wr(f, 0x04, 2, 0);
    for (unsigned s = 0; bars && s < 6; s++)
        if (f->barw[s])
            wr(f, 0x10 + 4 * s, 4, f->bar0[s]);
    wr(f, f->msi_off + 2, 2, rd(f, f->msi_off + 2, 2) & ~(MSI_CTRL_ENABLE | MSI_CTRL_MME));
    for (unsigned o = f->msi_off + 4u; o < msi_end(f); o++)
        f->cfg[o] = 0;
    f->pending = 0;
}

static uint64_t lowest_bit(uint64_t v)
{
    return v & (~v + 1u);
}

/* A plausible size for a BAR whose address is @addr (see the header). */
static uint64_t guess_size(uint64_t addr, uint64_t cap, uint64_t dflt)
{
    uint64_t low = lowest_bit(addr);

    if (!addr)
        return dflt;
    return low < cap ? low : cap;
}

static void setup_bars(struct simfn *f)
{
    struct vmsix_bar bars[6];
    unsigned n = 0;

    memset(f->barw, 0, sizeof(f->barw));
    memset(f->bar0, 0, sizeof(f->bar0));
    if (vmsix_bar_decode(f->cfg, f->len, bars, &n))
        return;
    for (unsigned s = 0; s < n; s++) {
        uint32_t type = rd(f, 0x10 + 4 * s, 4);
        uint64_t size;

        switch (bars[s].kind) {
        case VMSIX_BAR_IO:
            size = guess_size(bars[s].addr, 256, 32);
            f->barw[s] = (uint32_t) ~(size - 1u) & ~0x3u;
            f->bar0[s] = type & 0x3u;
            break;
        case VMSIX_BAR_MEM32:
        case VMSIX_BAR_MEM64:
            size = guess_size(bars[s].addr, 0x100000, 0x4000);
            f->barw[s] = (uint32_t) ~(size - 1u) & ~0xfu;
            f->bar0[s] = type & 0xfu;
            if (bars[s].kind == VMSIX_BAR_MEM64 && s + 1 < n) {
                f->barw[s + 1] = 0xffffffffu; /* sizes below 4 GiB */
                f->bar0[s + 1] = 0;
            }
            break;
        default: /* none, an upper half (done above), reserved type bits */
            break;
        }
    }
}

int simfn_init_cfg(struct simfn *f, const uint8_t *cfg, size_t len)
{
    struct vmsix_cap msi, exp, pm, af;
    unsigned mc;

    if (!f || !cfg || len < 64)
        return -EINVAL;
    memset(f, 0, sizeof(*f));
    f->len = len > 256 ? 4096 : (len > 64 ? 256 : 64);
    memset(f->cfg, 0xff, sizeof(f->cfg));
    memcpy(f->cfg, cfg, len < sizeof(f->cfg) ? len : sizeof(f->cfg));
    if ((f->cfg[0x0e] & 0x7fu) != 0)
        return -EINVAL;
    if (vmsix_capchain_lookup(f->cfg, f->len, false, VMSIX_CAP_ID_MSI, &msi, NULL))
        return -ENOENT;
    if (vmsix_capchain_lookup(f->cfg, f->len, false, VMSIX_CAP_ID_EXP, &exp, NULL) == 0)
        f->exp_off = exp.off;
    if (vmsix_capchain_lookup(f->cfg, f->len, false, VMSIX_CAP_ID_PM, &pm, NULL) == 0 &&
        pm.off + 8u <= f->len)
        f->pm_off = pm.off;
    if (vmsix_capchain_lookup(f->cfg, f->len, false, VMSIX_CAP_ID_AF, &af, NULL) == 0 &&
        af.off + 6u <= f->len)
        f->af_off = af.off;
    mc = rd(f, msi.off + 2, 2);
    f->msi_off = msi.off;
    f->addr64 = (mc & MSI_CTRL_64BIT) != 0;
    f->pvm = (mc & MSI_CTRL_PVM) != 0;
    f->mmc = (mc >> 1) & 7u;
    if (f->mmc > 5)
        f->mmc = 5;
    if (msi_end(f) > f->len)
        return -ENOENT; /* the capability runs past the view */
    setup_bars(f);
    reset(f, false);
    return 0;
}

void simfn_init(struct simfn *f, unsigned mmc, bool addr64)
{
    uint8_t cfg[4096];

    memset(cfg, 0, sizeof(cfg));
    put(cfg, 0x00, 2, 0x1d0f); /* a made-up vendor:device, 1d0f:5a5a */
    put(cfg, 0x02, 2, 0x5a5a);
    put(cfg, 0x06, 2, 0x0010);     /* Capabilities List */
    put(cfg, 0x08, 4, 0x02000001); /* network controller, rev 1 */
    put(cfg, 0x10, 4, 0x0000000c); /* 64-bit prefetchable memory BAR, unassigned */
    put(cfg, 0x2c, 4, 0x00011d0f);
    cfg[0x34] = 0x40;
    cfg[0x3d] = 0x01; /* INTA */
    /* PM at 0x40 -> MSI at 0x50 -> PCIe at 0x70 */
    put(cfg, 0x40, 4, 0x00035001);
    put(cfg, 0x50, 2, 0x7005);
    put(cfg, 0x52, 2, ((mmc & 7u) << 1) | (addr64 ? MSI_CTRL_64BIT : 0) | MSI_CTRL_PVM);
    put(cfg, 0x70, 4, 0x00020010);  /* PCIe v2 endpoint */
    put(cfg, 0x74, 4, 0x10008000);  /* DevCap: FLR capable */
    put(cfg, 0x100, 4, 0x00010001); /* AER v1, end */
    /* always 0: a type 0 header whose chain holds MSI within the view */
    (void)simfn_init_cfg(f, cfg, sizeof(cfg));
}

void simfn_init_af(struct simfn *f, unsigned mmc, bool addr64)
{
    uint8_t cfg[256];

    simfn_init(f, mmc, addr64);
    memcpy(cfg, f->cfg, sizeof(cfg));
    memset(cfg + 0x70, 0, 0x90);
    put(cfg, 0x70, 4, 0x03060013); /* AF: length 6, TP and FLR capable */
    (void)simfn_init_cfg(f, cfg, sizeof(cfg));
}

void simfn_drop_mask_bits(struct simfn *f)
{
    uint8_t cfg[4096];
    size_t len = f->len;

    memcpy(cfg, f->cfg, len);
    put(cfg, f->msi_off + 2u, 2, rd(f, f->msi_off + 2u, 2) & ~(uint32_t)MSI_CTRL_PVM);
    (void)simfn_init_cfg(f, cfg, len);
}

void simfn_bars(const struct simfn *f, struct vmsix_dev_bar *bars)
{
    memset(bars, 0, VMSIX_DEV_NBARS * sizeof(*bars));
    for (unsigned s = 0; s < 6; s++) {
        uint32_t type = f->bar0[s];
        if (!f->barw[s])
            continue;
        if (type & 1u) {
            bars[s].kind = VMSIX_BAR_IO;
            bars[s].size = lowest_bit(f->barw[s]); /* its lowest writable bit */
            continue;
        }
        bars[s].kind = (type & 0x6u) == 0x4u ? VMSIX_BAR_MEM64 : VMSIX_BAR_MEM32;
        bars[s].prefetch = (type & 0x8u) != 0;
        bars[s].size = lowest_bit(f->barw[s]);
        if (bars[s].kind == VMSIX_BAR_MEM64)
            s++; /* (its upper half sizes below 4 GiB) */
    }
}

static bool fault(struct simfn *f)
{
    return ++f->calls == f->fail_at;
}

static bool bad_access(const struct simfn *f, uint16_t off, unsigned size)
{
    return (size != 1 && size != 2 && size != 4) || (off & (size - 1)) || off + size > f->len;
}

int simfn_cfg_read(struct simfn *f, uint16_t off, unsigned size, uint32_t *val)
{
    if (!f || !val || fault(f) || bad_access(f, off, size))
        return -EIO;
    if (f->pvm)
        wr(f, pending_reg(f), 4, f->pending);
    *val = rd(f, off, size);
    return 0;
}

/* Which bits of byte @b a host can write (the rest are read-only). */
static uint8_t writable(const struct simfn *f, unsigned b)
{
    unsigned m = f->msi_off, data = simfn_msi_data_reg(f), mask = simfn_msi_mask_reg(f);

    if (b == 0x04)
        return 0x47; /* I/O, Memory Space, Bus Master, Parity Error Response */
    if (b == 0x05)
        return 0x05; /* SERR#, INTx Disable */
    if (b == 0x0c || b == 0x0d || b == 0x3c)
        return 0xff; /* Cache Line Size, Latency Timer, Interrupt Line */
    if (b >= 0x10 && b < 0x28)
        return (uint8_t)(f->barw[(b - 0x10) / 4] >> (8 * (b & 3)));
    if (b == m + 2)
        return 0x71; /* MSI Enable, Multiple Message Enable */
    if (b == m + 4)
        return 0xfc; /* address bits 1:0 are 0 */
    if (b > m + 4 && b < m + 8)
        return 0xff;
    if (f->addr64 && b >= m + 8 && b < m + 12)
        return 0xff; /* upper address */
    if (b >= data && b < data + 2u)
        return 0xff;                          /* Message Data (no extended data) */
    if (f->pvm && b >= mask && b < mask + 4u) /* Pending Bits are read-only */
        return (uint8_t)(valid_mask_bits(f) >> (8 * (b - mask)));
    if (f->exp_off && b == f->exp_off + 8u)
        return 0xff; /* Device Control, low byte */
    if (f->exp_off && b == f->exp_off + 9u)
        return 0x7f; /* high byte; bit 15 (FLR) is handled apart */
    if (f->pm_off && b == f->pm_off + 4u)
        return 0x03; /* PowerState */
    if (f->pm_off && b == f->pm_off + 5u)
        return 0x01; /* PME_En */
    return 0;
}

static void send(struct simfn *f, unsigned k)
{
    unsigned mme = (rd(f, f->msi_off + 2, 2) >> 4) & 7u;
    uint32_t data = rd(f, simfn_msi_data_reg(f), 2);
    uint32_t low = (1u << mme) - 1u;
    struct vmsix_msg m;

    m.addr = rd(f, f->msi_off + 4, 4) | (f->addr64 ? (uint64_t)rd(f, f->msi_off + 8, 4) << 32 : 0);
    m.data = (data & ~low) | (k & low);
    f->sent++;
    if (f->emit)
        f->emit(f->emit_ctx, &m);
}

int simfn_cfg_write(struct simfn *f, uint16_t off, unsigned size, uint32_t val)
{
    uint32_t old_mask, unmasked;

    if (!f || fault(f) || bad_access(f, off, size))
        return -EIO;
    if (f->exp_off) {
        unsigned flr = f->exp_off + 9u; /* the byte holding Initiate FLR */
        if (off <= flr && off + size > flr && ((val >> (8 * (flr - off))) & 0x80u)) {
            reset(f, true);
            return 0;
        }
    }
    if (f->af_off) {
        unsigned flr = f->af_off + 4u; /* AF Control: bit 0 Initiate FLR */
        if (off <= flr && off + size > flr && ((val >> (8 * (flr - off))) & 0x01u)) {
            reset(f, true);
            return 0;
        }
    }
    unsigned pstate = f->pm_off ? f->cfg[f->pm_off + 4u] & 0x03u : 0;
    old_mask = f->pvm ? rd(f, simfn_msi_mask_reg(f), 4) : 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned b = off + i;
        uint8_t w = writable(f, b);
        f->cfg[b] = (uint8_t)((f->cfg[b] & ~w) | ((uint8_t)(val >> (8 * i)) & w));
    }
    /* D3hot to D0 without No_Soft_Reset: the function resets itself */
    if (f->pm_off && pstate == 3u && (f->cfg[f->pm_off + 4u] & 0x03u) == 0 &&
        !(f->cfg[f->pm_off + 4u] & 0x08u)) {
        reset(f, true);
        return 0;
    }
    if (!f->pvm)
        return 0;
    /* an unmask sends what was pending, once */
    unmasked = old_mask & ~rd(f, simfn_msi_mask_reg(f), 4) & f->pending;
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
    unsigned mc, mme;

    if (!f)
        return -1;
    mc = rd(f, f->msi_off + 2, 2);
    mme = (mc >> 4) & 7u;
    if (!(mc & MSI_CTRL_ENABLE) || k >= (1u << mme)) {
        f->dropped++;
        return -1;
    }
    if (f->pvm && (rd(f, simfn_msi_mask_reg(f), 4) & (1u << k))) {
        f->pending |= 1u << k;
        f->pended++;
        return 0;
    }
    send(f, k);
    return 1;
}
