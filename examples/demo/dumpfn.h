/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dumpfn - a simulated function made of a real function's configuration
 * bytes (an `lspci -x` dump), with the same MSI behaviour as simfn
 * (examples/sim): its MSI capability at the offset the dump gives, 32- or
 * 64-bit address, 2^MMC vectors, per-vector mask and pending bits, message k
 * sent with the low MME bits of the data replaced by k, an unmask sending
 * what was pending once, Function Level Reset through the PCI Express
 * capability's Device Control.
 *
 * A dump holds register values, not the hardware's behaviour, so the
 * adapter makes documented choices:
 * - the function starts as after a Function Level Reset: Command 0, MSI
 *   disabled with Multiple Message Enable 0, its address, data, mask and
 *   pending bits 0 (a host resets a function before it assigns it), but
 *   its BARs keep the dumped addresses (a BAR of address 0 could not be
 *   told from an unimplemented slot); an FLR later clears them too;
 * - a dump gives BAR addresses but not sizes: each implemented BAR gets the
 *   largest size its dumped address's alignment allows, capped at 1 MiB
 *   for memory and 256 bytes for I/O (16 KiB / 32 bytes when the address
 *   is 0); unimplemented slots read 0 and size to 0;
 * - writable: Command (I/O, Memory, Bus Master, Parity, SERR#, INTx
 *   Disable), Cache Line Size, Latency Timer, Interrupt Line, the BARs'
 *   address bits, MSI Enable and Multiple Message Enable, the MSI address,
 *   data and mask bits, PCI Express Device Control; every other byte is
 *   read-only;
 * - the view is 64, 256 or 4096 bytes (what the dump gives, rounded up);
 *   accesses past it fail with -EIO, as a non-root reader's do.
 * Hosted code, public headers only.
 */
#ifndef VMSIX_DEMO_DUMPFN_H
#define VMSIX_DEMO_DUMPFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmsix/common.h>

struct dumpfn {
    uint8_t cfg[4096]; /* the register file */
    size_t len;        /* 64, 256 or 4096 */
    uint16_t msi_off;  /* the MSI capability */
    uint16_t exp_off;  /* the PCI Express capability, 0 when none */
    bool addr64;
    bool pvm;         /* per-vector masking */
    unsigned mmc;     /* log2 of the vectors it can send */
    uint32_t pending; /* MSI Pending bits */
    uint32_t barw[6]; /* writable bits of each BAR dword */
    uint32_t bar0[6]; /* each BAR dword after reset (type bits) */
    /* where the function's memory writes (messages) go */
    void (*emit)(void *ctx, const struct vmsix_msg *m);
    void *emit_ctx;
    unsigned long sent, pended, dropped;
};

/* Make a function of @len dumped bytes. Returns 0; -EINVAL for a view
 * shorter than 64 bytes or a header type other than 0; -ENOENT when the
 * chain has no MSI capability. */
int dumpfn_init(struct dumpfn *f, const uint8_t *cfg, size_t len);

/* Physical configuration access (1, 2 or 4 bytes, naturally aligned).
 * 0, or -EIO for a bad access or one past the view. */
int dumpfn_cfg_read(struct dumpfn *f, uint16_t off, unsigned size, uint32_t *val);
int dumpfn_cfg_write(struct dumpfn *f, uint16_t off, unsigned size, uint32_t val);

/* The function raises its interrupt k: 1 sent, 0 held pending (masked),
 * -1 not sendable (MSI disabled or k >= 2^MME). */
int dumpfn_fire(struct dumpfn *f, unsigned k);

#endif
