/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simfn - a simulated PCI Express function with multi-message MSI and
 * per-vector masking, behaving as the PCI specification says: Multiple
 * Message Enable honoured (message k carries data with its low MME bits
 * replaced by k), mask bits hold messages back and set pending bits, an
 * unmask sends what was pending once, Function Level Reset clears it all.
 * Used by vmsix-demo and by the tests; hosted code, public headers only.
 */
#ifndef VMSIX_SIMFN_H
#define VMSIX_SIMFN_H

#include <stdbool.h>
#include <stdint.h>

#include <vmsix/common.h>

struct simfn {
    uint8_t cfg[4096]; /* the register file as the function holds it */
    uint16_t msi_off;
    bool addr64;
    unsigned mmc;       /* log2 of the vectors it can send */
    uint32_t pending;   /* MSI Pending bits */
    uint32_t bar0_size; /* its own 64-bit memory BAR (slots 0 and 1) */
    /* where the function's memory writes (messages) go */
    void (*emit)(void *ctx, const struct vmsix_msg *m);
    void *emit_ctx;
    /* fault injection: the n-th config access (counting from 1) fails */
    unsigned long calls, fail_at;
    unsigned long sent, pended, dropped;
};

/* A function with 2^@mmc vectors, per-vector masking, @addr64, MSI at
 * 0x50, PM at 0x40, a PCIe v2 endpoint capability at 0x70, AER at 0x100,
 * and a 64-bit BAR in slots 0-1: slot 2 is the first free one. */
void simfn_init(struct simfn *f, unsigned mmc, bool addr64);

/* Physical configuration access, as a host's accessors would do it.
 * 0, or -EIO for an injected fault or a bad access. */
int simfn_cfg_read(struct simfn *f, uint16_t off, unsigned size, uint32_t *val);
int simfn_cfg_write(struct simfn *f, uint16_t off, unsigned size, uint32_t val);

/* The function raises its interrupt k: 1 sent (emit called), 0 held
 * pending (masked), -1 not sendable (MSI disabled or k >= 2^MME). */
int simfn_fire(struct simfn *f, unsigned k);

/* Register offsets of its MSI capability. */
uint16_t simfn_msi_mask_reg(const struct simfn *f);
uint16_t simfn_msi_data_reg(const struct simfn *f);

#endif
