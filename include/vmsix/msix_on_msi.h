/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/msix_on_msi.h - MSI-X emulated on top of multi-message MSI.
 *
 * A function with multi-message MSI and per-vector masking, and no MSI-X,
 * is shown to the guest as an MSI-X function (DESIGN 4.3):
 * - its MSI capability is replaced in place by an MSI-X capability (ID
 *   0x11, the next pointer kept, Table Size = N - 1, table at offset 0 and
 *   PBA at half the BAR in a free BAR slot); every other byte of the old MSI
 *   capability reads 0 and ignores writes;
 * - the free slot becomes a 32-bit non-prefetchable memory BAR of 4 KiB (or
 *   the host page size) with the sizing protocol;
 * - physically, the function's one MSI address/data points at a block of N
 *   remapping entries (vmsix/remap.h), and each guest vector k is entry
 *   base + k, programmed with the host target that the hypervisor's
 *   translate hook gives for the guest's message, masked and unmasked with
 *   the function's per-vector MSI mask bit k.
 *
 * This part of the header holds the pure helpers: the eligibility check
 * and the guest view of a configuration space. They read untrusted bytes,
 * never write outside the buffers given, and call no hook.
 */
#ifndef VMSIX_MSIX_ON_MSI_H
#define VMSIX_MSIX_ON_MSI_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reasons a function is not eligible (struct vmsix_eligibility.reasons). */
#define VMSIX_ELIG_NO_MSI 0x001u             /* "no-msi": no MSI capability */
#define VMSIX_ELIG_HAS_MSIX 0x002u           /* "has-msix": it has MSI-X already */
#define VMSIX_ELIG_SINGLE_VECTOR 0x004u      /* "single-vector": Multiple Message Capable < 2 */
#define VMSIX_ELIG_NO_PER_VECTOR_MASK 0x008u /* "no-per-vector-mask" */
#define VMSIX_ELIG_NO_FREE_BAR 0x010u        /* "no-free-bar": no BAR slot for the table */
#define VMSIX_ELIG_BRIDGE 0x020u             /* "bridge": header type 1 or 2 */
#define VMSIX_ELIG_MALFORMED_CHAIN                                                                 \
    0x040u                          /* "malformed-chain": a loop, a bad pointer,                   \
                                       or reserved MSI fields */
#define VMSIX_ELIG_TRUNCATED 0x080u /* "truncated": the view is too short to decide */
#define VMSIX_ELIG_ALL 0x0ffu

/* What vmsix_dev_check() found. Facts of a missing capability are 0. */
struct vmsix_eligibility {
    uint32_t reasons;      /* VMSIX_ELIG_*; 0 when eligible */
    uint16_t msi_off;      /* MSI capability offset, 0 when none */
    uint16_t msix_off;     /* MSI-X capability offset, 0 when none */
    uint16_t msix_vectors; /* MSI-X Table Size + 1 */
    uint8_t vectors;       /* MSI: 2^Multiple Message Capable (1..32) */
    bool addr64;           /* MSI: 64-bit address */
    bool per_vector_mask;  /* MSI: per-vector masking */
    int8_t table_bar;      /* the lowest free BAR slot (never the upper half of a
                              64-bit BAR), -1 when none */
};

/**
 * vmsix_elig_reason_name() - the stable identifier of one reason bit.
 * @reason: one VMSIX_ELIG_* bit
 *
 * Return: "no-msi", "has-msix", "single-vector", "no-per-vector-mask",
 * "no-free-bar", "bridge", "malformed-chain", "truncated"; NULL for
 * anything else.
 */
VMSIX_API const char *vmsix_elig_reason_name(uint32_t reason);

/**
 * vmsix_dev_check() - can MSI-X be emulated on this function's MSI?
 * @cfg: the physical configuration space (untrusted)
 * @len: bytes in @cfg: 64, 256 or 4096 (a non-root reader sees 64)
 * @out: receives every reason at once and the facts
 *
 * Eligible means: an MSI capability with Multiple Message Capable >= 2 and
 * per-vector masking, no MSI-X capability, a free BAR slot, not a bridge,
 * a well-formed chain. A chain cut short by the view gives "truncated"
 * (and no claim about what lies beyond); a malformed one
 * "malformed-chain". A free slot is one that reads 0 and is not the upper
 * half of a 64-bit BAR (a live host should also size it: see
 * vmsix_bar_free_slot()).
 * Return: 0 when eligible; -ENOTSUP when not (@out lists every reason);
 * -EINVAL for a NULL argument or @len < 64.
 */
VMSIX_API int vmsix_dev_check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *out);

/* Options of the guest view (and of the device). Zero = defaults. */
struct vmsix_dev_options {
    bool table_bar_set; /* true: put the table in slot table_bar; false: the
                           lowest free slot */
    uint8_t table_bar;  /* 0..5 when table_bar_set */
    uint32_t bar_size;  /* table BAR size: a power of two >= 4096 (the host
                           page size when larger); 0 = 4096 */
    uint8_t nvec;       /* vectors shown: a power of two <= 2^MMC; 0 = 2^MMC */
};

/**
 * vmsix_dev_virtual_cfg() - the configuration space a guest sees at reset.
 * @cfg: the physical configuration space (untrusted)
 * @len: bytes in @cfg (>= 64); bytes past it in @out read as in @cfg's
 *       lspci convention: 0xff
 * @opt: options, or NULL for the defaults
 * @out: receives the guest view
 * @out_len: bytes of @out to fill (<= 4096)
 *
 * The MSI capability becomes MSI-X in place (next pointer kept; Message
 * Control = N - 1, Enable and Function Mask clear; table offset 0 and PBA
 * offset bar_size / 2 in the chosen BAR); the rest of the old capability is
 * zero; the chosen BAR slot reads as an unassigned 32-bit memory BAR
 * (address 0, type bits 0). Nothing else changes.
 * Return: 0; -ENOTSUP when the function is not eligible or the options do
 * not fit it (slot not free, nvec not a power of two or above 2^MMC,
 * bar_size not a power of two >= 4096); -EINVAL for bad arguments.
 */
VMSIX_API int vmsix_dev_virtual_cfg(const uint8_t *cfg, size_t len,
                                    const struct vmsix_dev_options *opt, uint8_t *out,
                                    size_t out_len);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_MSIX_ON_MSI_H */
