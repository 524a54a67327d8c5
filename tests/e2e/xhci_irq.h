/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QEMU's xHCI model (nec-usb-xhci, 1033:0194) as an interrupt source: the
 * register names and the programming sequence that make interrupter k raise
 * MSI message k on demand, with no USB device, no command ring and the
 * controller never run. Shared by the e2e programs that drive the xHCI:
 * tests/e2e/outer/vfio_xhci_check.c (user space, through VFIO) today, the
 * guest module's xHCI mode later, so it is header-only, freestanding and
 * usable from user space and from a Linux kernel module: it does no I/O
 * itself but calls the caller's 32-bit register accessors.
 *
 * What raises interrupter k in QEMU 7.2 (hw/usb/hcd-xhci.c,
 * xhci_runtime_write() and xhci_intr_raise()): a write of ERDP (low dword)
 * with EHB set first clears EHB (write 1 to clear); then, when the written
 * dequeue pointer lies inside k's event ring segment and differs from the
 * controller's enqueue index (0 after the ring was set up), the controller
 * raises k: it sets EHB, IMAN.IP and USBSTS.EINT and, when IMAN.IE and
 * USBCMD.INTE are set and EHB was clear before, sends MSI message k
 * (msi_notify(dev, k); with MSI-X off and MSI on) and clears IMAN.IP. No
 * event TRB is written, so the ring never fills and the doorbell can be
 * rung any number of times. USBCMD.RS is not needed. The only DMA is the
 * controller reading k's ERST entry when ERSTBA's high dword is written
 * (xhci_er_reset()): a failed read sets USBSTS.HCE.
 *
 * Traps: QEMU asserts (aborts the machine) when the function sends a
 * message k >= the vectors MSI has enabled (2^MME); ring only interrupters
 * below the count the host granted. A real xHCI does not promise that an
 * ERDP write raises an interrupt: this is QEMU's model, not the xHCI spec.
 *
 * Register offsets and bits are the xHCI specification's (1.2, section 5);
 * the layout of the DMA area is this file's own.
 */
#ifndef VMSIX_E2E_XHCI_IRQ_H
#define VMSIX_E2E_XHCI_IRQ_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* the only QEMU 7.2 endpoint with multi-message MSI: 16 vectors, 64-bit
 * address, no per-vector mask bits (-device nec-usb-xhci,msi=on,msix=off) */
#define XHCI_NEC_VENDOR_ID 0x1033
#define XHCI_NEC_DEVICE_ID 0x0194

/* capability registers, at the start of BAR 0 */
#define XHCI_CAP_LENGTH 0x00     /* byte: CAPLENGTH, the operational registers' offset */
#define XHCI_CAP_HCSPARAMS1 0x04 /* MaxSlots 7:0, MaxIntrs 18:8, MaxPorts 31:24 */
#define XHCI_HCSPARAMS1_MAXINTRS(v) (((v) >> 8) & 0x7ffu)
#define XHCI_CAP_HCCPARAMS1 0x10 /* bit 0 AC64: 64-bit addresses */
#define XHCI_HCCPARAMS1_AC64 0x1u
#define XHCI_CAP_RTSOFF 0x18 /* the runtime registers' offset, bits 4:0 reserved */
#define XHCI_RTSOFF_MASK 0xffffffe0u

/* operational registers, at CAPLENGTH */
#define XHCI_OP_USBCMD 0x00
#define XHCI_USBCMD_RS 0x1u    /* Run/Stop */
#define XHCI_USBCMD_HCRST 0x2u /* host controller reset; reads 1 until done */
#define XHCI_USBCMD_INTE 0x4u  /* interrupter enable (all interrupters) */
#define XHCI_OP_USBSTS 0x04
#define XHCI_USBSTS_HCH 0x1u    /* halted */
#define XHCI_USBSTS_EINT 0x8u   /* an interrupter raised (write 1 to clear) */
#define XHCI_USBSTS_CNR 0x800u  /* controller not ready */
#define XHCI_USBSTS_HCE 0x1000u /* host controller error (QEMU: a failed DMA) */

/* interrupter register set k, at RTSOFF + 0x20 + 0x20 * k */
#define XHCI_RT_IR0 0x20
#define XHCI_RT_IR_STRIDE 0x20
#define XHCI_IR_IMAN 0x00
#define XHCI_IMAN_IP 0x1u      /* interrupt pending (write 1 to clear) */
#define XHCI_IMAN_IE 0x2u      /* interrupt enable */
#define XHCI_IR_IMOD 0x04      /* moderation interval 15:0 (250 ns units), counter 31:16 */
#define XHCI_IR_ERSTSZ 0x08    /* event ring segment table size (entries) 15:0 */
#define XHCI_IR_ERSTBA_LO 0x10 /* ERST base, 64-byte aligned */
#define XHCI_IR_ERSTBA_HI 0x14 /* QEMU reads the ERST when this is written */
#define XHCI_IR_ERDP_LO 0x18   /* event ring dequeue pointer 31:4 */
#define XHCI_IR_ERDP_HI 0x1c
#define XHCI_ERDP_EHB 0x8u /* event handler busy (write 1 to clear) */

/* one ERST entry (16 bytes, little-endian): segment base low, high,
 * size in TRBs (16..4096 in QEMU), reserved */
#define XHCI_ERST_ENTRY_SIZE 16
#define XHCI_TRB_SIZE 16

/*
 * The DMA area, at a 4 KiB aligned bus address (IOVA) the caller chose
 * and mapped: one ERST entry per interrupter, 64 bytes apart (ERSTBA's
 * alignment), then one event ring segment of XHCI_IRQ_RING_TRBS TRBs per
 * interrupter (64-byte aligned as the spec wants). 16 interrupters take
 * 0x1400 bytes; the area never crosses a 4 GiB line when it starts on one
 * of its own size multiples, which keeps each ring's ERDP high dword fixed.
 */
#define XHCI_IRQ_ERST_STRIDE 64u
#define XHCI_IRQ_RING_TRBS 16u
#define XHCI_IRQ_RING_SIZE (XHCI_IRQ_RING_TRBS * XHCI_TRB_SIZE)
#define XHCI_IRQ_RINGS_OFF 0x400u /* room for 16 ERST entries */
#define XHCI_IRQ_MAX 16u          /* interrupters this layout serves */
#define XHCI_IRQ_AREA_SIZE(n) (XHCI_IRQ_RINGS_OFF + (n)*XHCI_IRQ_RING_SIZE)
/* offsets of interrupter k's ERST entry and ring in the area */
#define XHCI_IRQ_ERST_OFF(k) ((k)*XHCI_IRQ_ERST_STRIDE)
#define XHCI_IRQ_RING_OFF(k) (XHCI_IRQ_RINGS_OFF + (k)*XHCI_IRQ_RING_SIZE)

/* results of the sequence functions (0 is success) */
#define XHCI_IRQ_OK 0
#define XHCI_IRQ_EHALT (-1)  /* the controller did not halt */
#define XHCI_IRQ_ERESET (-2) /* HCRST or CNR did not clear */
#define XHCI_IRQ_EDMA (-3)   /* USBSTS.HCE after the ERST reads: the DMA failed */
#define XHCI_IRQ_EINVAL (-4) /* a bad argument (interrupter count, alignment) */

/*
 * The caller's access to BAR 0 (32-bit, offsets from the BAR's start) and a
 * delay for the bounded waits. Every member must be set.
 */
struct xhci_irq_io {
    void *ctx;
    uint32_t (*rd32)(void *ctx, uint32_t off);
    void (*wr32)(void *ctx, uint32_t off, uint32_t val);
    void (*delay_us)(void *ctx, unsigned us);
};

/* what xhci_irq_probe() read from the capability registers */
struct xhci_irq_caps {
    uint32_t op;        /* operational registers' offset (CAPLENGTH) */
    uint32_t rt;        /* runtime registers' offset (RTSOFF) */
    uint32_t max_intrs; /* HCSPARAMS1.MaxIntrs */
    int ac64;           /* 64-bit DMA addresses */
};

static inline uint32_t xhci_irq_reg(const struct xhci_irq_caps *c, unsigned k, uint32_t reg)
{
    return c->rt + XHCI_RT_IR0 + k * XHCI_RT_IR_STRIDE + reg;
}

/* Reads CAPLENGTH, RTSOFF, MaxIntrs and AC64. */
static inline void xhci_irq_probe(const struct xhci_irq_io *io, struct xhci_irq_caps *c)
{
    c->op = io->rd32(io->ctx, XHCI_CAP_LENGTH) & 0xffu;
    c->rt = io->rd32(io->ctx, XHCI_CAP_RTSOFF) & XHCI_RTSOFF_MASK;
    c->max_intrs = XHCI_HCSPARAMS1_MAXINTRS(io->rd32(io->ctx, XHCI_CAP_HCSPARAMS1));
    c->ac64 = (io->rd32(io->ctx, XHCI_CAP_HCCPARAMS1) & XHCI_HCCPARAMS1_AC64) != 0;
}

/* Polls @reg until (value & @mask) == @want, 1 ms apart, at most @ms times. */
static inline int xhci_irq_wait(const struct xhci_irq_io *io, uint32_t reg, uint32_t mask,
                                uint32_t want, unsigned ms)
{
    unsigned i;

    for (i = 0; i <= ms; i++) {
        if ((io->rd32(io->ctx, reg) & mask) == want)
            return 1;
        io->delay_us(io->ctx, 1000);
    }
    return 0;
}

/*
 * Halts (Run/Stop = 0, waits for HCH) and resets (HCRST, waits for HCRST and
 * CNR to clear) the controller, each within 1 s (the spec's bound is 16 ms
 * to halt). Afterwards every interrupter is disabled and its ring unset.
 */
static inline int xhci_irq_reset(const struct xhci_irq_io *io, const struct xhci_irq_caps *c)
{
    uint32_t cmd = c->op + XHCI_OP_USBCMD, sts = c->op + XHCI_OP_USBSTS;

    io->wr32(io->ctx, cmd, io->rd32(io->ctx, cmd) & ~(XHCI_USBCMD_RS | XHCI_USBCMD_INTE));
    if (!xhci_irq_wait(io, sts, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH, 1000))
        return XHCI_IRQ_EHALT;
    io->wr32(io->ctx, cmd, XHCI_USBCMD_HCRST);
    if (!xhci_irq_wait(io, cmd, XHCI_USBCMD_HCRST, 0, 1000) ||
        !xhci_irq_wait(io, sts, XHCI_USBSTS_CNR, 0, 1000))
        return XHCI_IRQ_ERESET;
    return XHCI_IRQ_OK;
}

static inline void xhci_irq_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/*
 * Fills the DMA area (@area: the CPU's view, XHCI_IRQ_AREA_SIZE(@n) bytes,
 * zeroed here; @iova: the bus address the device sees it at) with one ERST
 * entry per interrupter, each naming its own ring.
 */
static inline void xhci_irq_fill(void *area, uint64_t iova, unsigned n)
{
    uint8_t *a = (uint8_t *)area;
    unsigned k, i;

    for (i = 0; i < XHCI_IRQ_AREA_SIZE(n); i++)
        a[i] = 0;
    for (k = 0; k < n; k++) {
        uint64_t ring = iova + XHCI_IRQ_RING_OFF(k);
        uint8_t *e = a + XHCI_IRQ_ERST_OFF(k);

        xhci_irq_put_le32(e, (uint32_t)ring);
        xhci_irq_put_le32(e + 4, (uint32_t)(ring >> 32));
        xhci_irq_put_le32(e + 8, XHCI_IRQ_RING_TRBS);
    }
}

/*
 * After xhci_irq_reset() and xhci_irq_fill(), with the function's MSI
 * enabled (so that nothing falls back to INTx): programs interrupters
 * 0..@n-1 (IMOD 0, ERSTSZ 1, ERSTBA, ERDP = the ring's start, IMAN.IE) and
 * sets USBCMD.INTE. The controller stays halted. XHCI_IRQ_EDMA when it could
 * not read an ERST entry (USBSTS.HCE).
 */
static inline int xhci_irq_setup(const struct xhci_irq_io *io, const struct xhci_irq_caps *c,
                                 uint64_t iova, unsigned n)
{
    unsigned k;

    if (n == 0 || n > XHCI_IRQ_MAX || n > c->max_intrs || (iova & 0xfffu) ||
        (!c->ac64 && (iova + XHCI_IRQ_AREA_SIZE(n)) > 0x100000000ull) ||
        (iova >> 32) != ((iova + XHCI_IRQ_AREA_SIZE(n) - 1) >> 32))
        return XHCI_IRQ_EINVAL;
    for (k = 0; k < n; k++) {
        uint64_t erst = iova + XHCI_IRQ_ERST_OFF(k), ring = iova + XHCI_IRQ_RING_OFF(k);

        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_IMAN), XHCI_IMAN_IP);
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_IMOD), 0);
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERSTSZ), 1);
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERSTBA_LO), (uint32_t)erst);
        /* last: QEMU fetches the ERST entry on this write */
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERSTBA_HI), (uint32_t)(erst >> 32));
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERDP_HI), (uint32_t)(ring >> 32));
        /* dequeue = enqueue (index 0), EHB written 0: raises nothing */
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERDP_LO), (uint32_t)ring);
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_IMAN), XHCI_IMAN_IE | XHCI_IMAN_IP);
    }
    if (io->rd32(io->ctx, c->op + XHCI_OP_USBSTS) & XHCI_USBSTS_HCE)
        return XHCI_IRQ_EDMA;
    io->wr32(io->ctx, c->op + XHCI_OP_USBCMD, XHCI_USBCMD_INTE);
    return XHCI_IRQ_OK;
}

/*
 * The doorbell of interrupter @k: ERDP := the ring's second TRB with EHB
 * set. QEMU clears EHB, sees dequeue != enqueue and raises @k once (MSI
 * message @k). Each call raises once more.
 */
static inline void xhci_irq_fire(const struct xhci_irq_io *io, const struct xhci_irq_caps *c,
                                 uint64_t iova, unsigned k)
{
    uint64_t dp = iova + XHCI_IRQ_RING_OFF(k) + XHCI_TRB_SIZE;

    io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_ERDP_LO), (uint32_t)dp | XHCI_ERDP_EHB);
}

/* Disables interrupters 0..@n-1 and USBCMD.INTE; leaves the rings set. */
static inline void xhci_irq_stop(const struct xhci_irq_io *io, const struct xhci_irq_caps *c,
                                 unsigned n)
{
    unsigned k;

    io->wr32(io->ctx, c->op + XHCI_OP_USBCMD, 0);
    for (k = 0; k < n; k++)
        io->wr32(io->ctx, xhci_irq_reg(c, k, XHCI_IR_IMAN), XHCI_IMAN_IP);
}

#endif /* VMSIX_E2E_XHCI_IRQ_H */
