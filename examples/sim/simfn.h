/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simfn - a simulated PCI Express function with multi-message MSI, behaving
 * as the PCI specification says: its MSI capability with a 32- or 64-bit
 * address, 2^MMC vectors, per-vector mask and pending bits when it has them,
 * Multiple Message Enable honoured (message k carries data with its low MME
 * bits replaced by k), mask bits hold messages back and set pending bits, an
 * unmask sends what was pending once, Function Level Reset through the PCI
 * Express capability's Device Control or the Advanced Features capability's
 * AF Control clears it all, and so does a Power Management transition from
 * D3hot to D0 while No_Soft_Reset (PMCSR bit 3) is 0.
 *
 * The function is made of configuration bytes: a synthetic function's
 * (simfn_init) or a real function's, from an `lspci -x` dump
 * (simfn_init_cfg). Bytes hold register values, not the hardware's
 * behaviour, so the model makes documented choices:
 * - the function starts as after a Function Level Reset: Command 0, MSI
 *   disabled with Multiple Message Enable 0, its address, data, mask and
 *   pending bits 0 (a host resets a function before it assigns it), but
 *   its BARs keep the given addresses (a BAR of address 0 could not be
 *   told from an unimplemented slot); an FLR later clears them too;
 * - the bytes give BAR addresses but not sizes: each implemented BAR gets
 *   the largest size its address's alignment allows, capped at 1 MiB for
 *   memory and 256 bytes for I/O (16 KiB / 32 bytes when the address is 0);
 *   unimplemented slots read 0 and size to 0;
 * - writable: Command (I/O, Memory, Bus Master, Parity, SERR#, INTx
 *   Disable), Cache Line Size, Latency Timer, Interrupt Line, the BARs'
 *   address bits, MSI Enable and Multiple Message Enable, the MSI address,
 *   data and mask bits (those of vectors that exist), PCI Express Device
 *   Control, PMCSR's PowerState and PME_En; every other byte is read-only;
 * - the view is 64, 256 or 4096 bytes (what the bytes give, rounded up);
 *   accesses past it fail with -EIO, as a non-root reader's do.
 * Used by vmsix-demo and by the tests; hosted code, public headers only.
 */
#ifndef VMSIX_SIMFN_H
#define VMSIX_SIMFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmsix/common.h>
#include <vmsix/msix_on_msi.h>

struct simfn {
    uint8_t cfg[4096]; /* the register file as the function holds it */
    size_t len;        /* the view: 64, 256 or 4096 bytes */
    uint16_t msi_off;  /* the MSI capability */
    uint16_t exp_off;  /* the PCI Express capability, 0 when none */
    uint16_t pm_off;   /* the Power Management capability, 0 when none */
    uint16_t af_off;   /* the Advanced Features capability, 0 when none */
    bool addr64;
    bool pvm;         /* per-vector masking */
    unsigned mmc;     /* log2 of the vectors it can send */
    uint32_t pending; /* MSI Pending bits */
    uint32_t barw[6]; /* writable bits of each BAR dword */
    uint32_t bar0[6]; /* each BAR dword after reset (type bits) */
    /* where the function's memory writes (messages) go */
    void (*emit)(void *ctx, const struct vmsix_msg *m);
    void *emit_ctx;
    /* fault injection: the n-th config access (counting from 1) fails */
    unsigned long calls, fail_at;
    unsigned long sent, pended, dropped;
};

/* A synthetic function 1d0f:5a5a with 2^@mmc vectors (@mmc 0..5),
 * per-vector masking, @addr64, MSI at 0x50, PM at 0x40, a PCIe v2 endpoint
 * capability at 0x70, AER at 0x100 (a 4096-byte view), and a 64-bit memory
 * BAR of 16 KiB in slots 0-1: slot 2 is the first free one. */
void simfn_init(struct simfn *f, unsigned mmc, bool addr64);

/* The same function as a conventional PCI one: no PCI Express capability,
 * an Advanced Features capability (FLR capable) at 0x70 in its place, and a
 * 256-byte view. */
void simfn_init_af(struct simfn *f, unsigned mmc, bool addr64);

/* The function (as made above) without per-vector masking: its MSI
 * capability loses Per-Vector Masking Capable, so it is 10 or 14 bytes
 * long, has no mask or pending bits, and sends every enabled message at
 * once. The rest is as it was. */
void simfn_drop_mask_bits(struct simfn *f);

/* A function made of @len configuration bytes (see above). Returns 0;
 * -EINVAL for fewer than 64 bytes (@f untouched) or a header type other
 * than 0; -ENOENT when the chain has no MSI capability or it runs past the
 * view. On -EINVAL for the header type and on -ENOENT, @f->cfg holds the
 * bytes as given (0xff past them) and @f->len the view. */
int simfn_init_cfg(struct simfn *f, const uint8_t *cfg, size_t len);

/* Physical configuration access (1, 2 or 4 bytes, naturally aligned), as a
 * host's accessors would do it. 0, or -EIO for an injected fault, a bad
 * access or one past the view. */
int simfn_cfg_read(struct simfn *f, uint16_t off, unsigned size, uint32_t *val);
int simfn_cfg_write(struct simfn *f, uint16_t off, unsigned size, uint32_t val);

/* The function raises its interrupt k: 1 sent (emit called), 0 held
 * pending (masked), -1 not sendable (MSI disabled or k >= 2^MME). */
int simfn_fire(struct simfn *f, unsigned k);

/* The function's BARs as a host learns them by sizing (its enumeration):
 * for vmsix_dev_options.bars. It has no expansion ROM. */
void simfn_bars(const struct simfn *f, struct vmsix_dev_bar *bars);

/* Register offsets of its MSI capability (the mask register's is where it
 * would be when the function has no per-vector masking). */
uint16_t simfn_msi_mask_reg(const struct simfn *f);
uint16_t simfn_msi_data_reg(const struct simfn *f);

#endif
