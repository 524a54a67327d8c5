/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/msix_on_msi.h - MSI-X emulated on top of multi-message MSI.
 *
 * A function with multi-message MSI and no MSI-X is shown to the guest as
 * an MSI-X function (DESIGN 4.3):
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
 *   the function's per-vector MSI mask bit k; a function without mask bits
 *   is masked in software: entry k switches, in one atomic store, between
 *   the guest's target and a host "divert" target that pends vector k
 *   (the divert hook, a backend with VMSIX_REMAP_CAP_LIVE_SWITCH);
 * - or, where the host owns the function's messages (stock Linux: VFIO and
 *   KVM; vmsix/hostmsg.h, vmsix_dev_init_hostmsg()), each unmasked guest
 *   vector k is routed straight to the guest's message and a masked one
 *   held by the host, always in software.
 *
 * Two pure helpers take no device: vmsix_msix_on_msi_check() (may this
 * function be served?) and vmsix_msix_on_msi_view() (the configuration
 * space its guest sees), each with a _masking() form for software masking
 * (a function without mask bits). They read untrusted bytes, never write outside
 * the buffers given and call no hook. The device object (struct vmsix_dev)
 * runs the whole thing; see "The device" below.
 */
#ifndef VMSIX_MSIX_ON_MSI_H
#define VMSIX_MSIX_ON_MSI_H

#include <vmsix/common.h>
#include <vmsix/hostmsg.h>
#include <vmsix/remap.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reasons a function is not eligible (struct vmsix_eligibility.reasons). */
#define VMSIX_ELIG_NO_MSI 0x001u             /* "no-msi": no MSI capability */
#define VMSIX_ELIG_HAS_MSIX 0x002u           /* "has-msix": it has MSI-X already */
#define VMSIX_ELIG_SINGLE_VECTOR 0x004u      /* "single-vector": Multiple Message Capable < 2 */
#define VMSIX_ELIG_NO_PER_VECTOR_MASK 0x008u /* "no-per-vector-mask" */
#define VMSIX_ELIG_NO_FREE_BAR 0x010u        /* "no-free-bar": no BAR slot for the table */
/* "bridge": header type 1 or 2, class code 06h (host, ISA, PCI-to-PCI...
 * bridges), or a PCI Express root, switch or PCIe/PCI bridge port */
#define VMSIX_ELIG_BRIDGE 0x020u
/* "malformed-chain": a loop, a bad pointer, reserved MSI fields, two
 * capabilities whose bytes overlap (by their known lengths), or more than
 * one MSI or MSI-X capability */
#define VMSIX_ELIG_MALFORMED_CHAIN 0x040u
#define VMSIX_ELIG_TRUNCATED 0x080u /* "truncated": the view is too short to decide */
#define VMSIX_ELIG_ALL 0x0ffu

/* What vmsix_msix_on_msi_check() found. Facts of a missing capability are 0. */
struct vmsix_eligibility {
    uint32_t reasons;      /* VMSIX_ELIG_*; 0 when eligible */
    uint16_t msi_off;      /* MSI capability offset, 0 when none */
    uint16_t msix_off;     /* MSI-X capability offset, 0 when none */
    uint16_t msix_vectors; /* MSI-X Table Size + 1 */
    uint8_t vectors;       /* MSI: 2^Multiple Message Capable (1..32); 0 for the
                              reserved encodings 6 and 7 */
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

/* How masked vectors are kept from the guest (vmsix_msix_on_msi_check_masking()). */
/* the function's per-vector MSI mask bits (vmsix_dev_init() without a divert hook) */
#define VMSIX_MASKING_FUNCTION 0u
/* software masking: a masked vector's messages are held and show in the PBA, and
 * unmasking delivers one; needs no mask bits (vmsix_dev_init() with the divert hook and a
 * backend with VMSIX_REMAP_CAP_LIVE_SWITCH, or vmsix_dev_init_hostmsg())
 */
#define VMSIX_MASKING_SOFTWARE 1u

/**
 * vmsix_msix_on_msi_check() - can MSI-X be emulated on this function's MSI?
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
VMSIX_API int vmsix_msix_on_msi_check(const uint8_t *cfg, size_t len,
                                      struct vmsix_eligibility *out);

/**
 * vmsix_msix_on_msi_check_masking() - eligibility for one way of masking.
 * @cfg: the physical configuration space (untrusted)
 * @len: bytes in @cfg: 64, 256 or 4096
 * @masking: VMSIX_MASKING_FUNCTION (as vmsix_msix_on_msi_check()) or
 *           VMSIX_MASKING_SOFTWARE, with which a function without
 *           per-vector masking qualifies ("no-per-vector-mask" is then no
 *           reason; the fact stays in @out->per_vector_mask)
 * @out: receives every reason at once and the facts
 *
 * Only software masking accepts a 32-bit MSI capability without mask
 * bits: 10 bytes, where MSI-X takes 12. The 2 bytes of padding after it
 * must be in the view, else "truncated".
 *
 * Which masking a backend gives: a remap.h backend with the function's
 * mask bits gives FUNCTION; one with VMSIX_REMAP_CAP_LIVE_SWITCH and the
 * device's divert hook gives SOFTWARE; host-owned messages (hostmsg.h,
 * VFIO) always SOFTWARE. Return: as vmsix_msix_on_msi_check(); -EINVAL
 * also for an unknown @masking.
 */
VMSIX_API int vmsix_msix_on_msi_check_masking(const uint8_t *cfg, size_t len, unsigned masking,
                                              struct vmsix_eligibility *out);

/* The function's BARs 0..5 and its expansion ROM (index VMSIX_DEV_ROM), as
 * the host knows them (its own enumeration, or VFIO region info). */
#define VMSIX_DEV_NBARS 7
#define VMSIX_DEV_ROM 6

/* One BAR of the function, as the host knows it. The guest sees a
 * virtual BAR of that size and type: its address starts at 0, the sizing
 * protocol works, and no guest value ever reaches the function's
 * register (bar_moved says where it decodes). A BAR not described (size 0,
 * not passthrough) reads 0 to the guest. */
struct vmsix_dev_bar {
    uint64_t size;    /* a power of two: memory >= 16 (MEM32 <= 2 GiB), I/O 4..256,
                         the ROM 2 KiB..2 GiB; 0: not described */
    uint8_t kind;     /* VMSIX_BAR_IO, VMSIX_BAR_MEM32, VMSIX_BAR_MEM64 (it takes the
                         next slot too); ignored for the ROM */
    bool prefetch;    /* memory: prefetchable */
    bool passthrough; /* opt-in (an identity-mapping host): the register passes
                         through as it is, the guest's writes reach the function */
};

/* Options of the guest view (and of the device). Zero = defaults. */
struct vmsix_dev_options {
    bool table_bar_set; /* true: put the table in slot table_bar; false: the
                           lowest free slot */
    uint8_t table_bar;  /* 0..5 when table_bar_set */
    uint32_t bar_size;  /* table BAR size: a power of two >= 4096 (the host
                           page size when larger); 0 = 4096 */
    uint8_t nvec;       /* vectors shown: a power of two <= 2^MMC; 0 = 2^MMC */
    /* The function's BARs and ROM; all zero: none described (every slot
     * but the table BAR reads 0). The table BAR's slot must not be
     * described. */
    struct vmsix_dev_bar bars[VMSIX_DEV_NBARS];
};

/**
 * vmsix_msix_on_msi_view() - the configuration space a guest sees at reset.
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
 * Every function vmsix_msix_on_msi_check() calls eligible has a view with
 * the default options (its MSI capability and the table slot lie inside
 * any @out_len that holds them). Nothing is written to @out on failure.
 * Return: 0; -ENOTSUP when the function is not eligible or the options do
 * not fit it (slot not free, nvec not a power of two or above 2^MMC,
 * bar_size not a power of two >= 4096), or @out_len is too short for the
 * capability or the slot; -EINVAL for bad arguments.
 */
VMSIX_API int vmsix_msix_on_msi_view(const uint8_t *cfg, size_t len,
                                     const struct vmsix_dev_options *opt, uint8_t *out,
                                     size_t out_len);

/**
 * vmsix_msix_on_msi_view_masking() - the guest view for one way of masking.
 * @cfg: the physical configuration space (untrusted)
 * @len: bytes in @cfg (>= 64)
 * @masking: VMSIX_MASKING_FUNCTION (as vmsix_msix_on_msi_view()) or
 *           VMSIX_MASKING_SOFTWARE, with which a function without
 *           per-vector masking has a view (its shorter MSI capability
 *           becomes MSI-X in place the same way)
 * @opt: options, or NULL for the defaults
 * @out: receives the guest view
 * @out_len: bytes of @out to fill (<= 4096)
 *
 * The view is the same whatever the masking; only eligibility differs, as
 * in vmsix_msix_on_msi_check_masking(): every function that check calls
 * eligible for @masking has a view with the default options, and it is
 * the view vmsix_dev_init() with the divert hook, or
 * vmsix_dev_init_hostmsg(), builds for a function without mask bits.
 * Nothing is written to @out on failure. Calls no hook.
 * Return: as vmsix_msix_on_msi_view(); -EINVAL also for an unknown
 * @masking.
 */
VMSIX_API int vmsix_msix_on_msi_view_masking(const uint8_t *cfg, size_t len, unsigned masking,
                                             const struct vmsix_dev_options *opt, uint8_t *out,
                                             size_t out_len);

/* ---- The device ----
 *
 * struct vmsix_dev presents one physical function to one guest. The host
 * (hypervisor or VMM) traps the guest's configuration accesses to the
 * function and its MMIO to the table BAR, and hands them to
 * vmsix_dev_cfg_read/write() and vmsix_dev_mmio_read/write(); it calls
 * vmsix_dev_irq(vec) when host vector k of the block fires (the non-posted
 * path). vmsix programs the physical MSI capability through the cfg hooks
 * and the remapping entries through the backend; the guest never reaches
 * either.
 *
 * Guest configuration space: the guest view of vmsix_msix_on_msi_view() in
 * a register model (vmsix/cfgspace.h). Every byte passes through to the
 * function (PT, read-write: the function enforces its own read-only bits)
 * except: the BARs and the expansion ROM, every one virtual (those the host
 * describes in vmsix_dev_options.bars with the sizing protocol, address 0
 * at reset, bar_moved saying where each decodes; the others read 0; no
 * guest value ever reaches the function's registers, unless the host opts
 * a BAR in to pass through), capability IDs and next pointers (read-only), the MSI-X
 * capability (emulated: only Enable and Function Mask are writable), the
 * rest of the old MSI capability (reads 0, writes dropped), the table BAR
 * (emulated with sizing; bar_moved tells the host where it decodes), and
 * three Command bits the guest reads as it wrote them: I/O and Memory Space
 * Enable (also written to the function, which decodes its own BARs with
 * them; the table BAR decodes with the guest's Memory Space Enable) and
 * INTx Disable (the function has it set while vmsix has MSI enabled). A
 * guest write of Initiate Function Level
 * Reset (PCI Express Device Control, or Advanced Features' AF Control on a
 * conventional function) reaches the function and then resets the
 * device's state; so does a guest PMCSR write that takes the function from
 * D3hot to D0 with No_Soft_Reset clear (the function resets itself:
 * PMCSR's PowerState is the guest's, read as written and written to the
 * function; No_Soft_Reset is read once at init). A host
 * that virtualizes other registers changes their attributes on
 * vmsix_dev_cfgspace().
 *
 * Physical side, in this order (DESIGN 4.3):
 * - guest sets MSI-X Enable: reserve a block of N entries, set every MSI
 *   mask bit, write the composed address/data, Multiple Message Enable =
 *   log2(N), MSI Enable, INTx Disable;
 * - vector k becomes active (msix_table's vector_update): translate the
 *   guest message (the one place a guest value is looked at; what goes on
 *   is translate's host target, checked against the backend's caps), mask
 *   k at the function if it is not, program entry k, invalidate, unmask k;
 * - vector k becomes inactive: mask k first, then clear entry k and
 *   invalidate;
 * - without mask bits (software masking) entry k is never cleared while the
 *   function may send: it switches between the guest's target and its
 *   divert target, and the PBA is the software bits alone;
 * - with host-owned messages, see vmsix_dev_init_hostmsg();
 * - guest clears MSI-X Enable, FLR, vmsix_dev_reset(), teardown: mask all,
 *   disable MSI, clear and invalidate every entry, release the block.
 * A failure leaves the vector masked at the function and is returned by
 * the call that caused it; nothing leaks.
 *
 * PBA: the software pending bits OR the function's MSI Pending bits of the
 * vectors that are masked (one config read per guest PBA read).
 *
 * Locking: none. Calls on one device must be serialized by the caller (one
 * lock per device); the backend may be shared (its own lock hooks).
 *
 * Re-entry: from inside a hook the host may call vmsix_dev_irq() (a
 * function that sends, as hardware does, the moment a config write
 * unmasks it: see vmsix/msix_table.h "Re-entry" for what is then sent),
 * vmsix_dev_get_state() and vmsix_dev_cfgspace(); any other vmsix_dev_*
 * call from a hook is not allowed.
 *
 * A device pointer that did not come from a successful vmsix_dev_init()
 * (storage never initialized, or left by a failed init, which may have
 * written it) is refused as a NULL one is: -EINVAL (a configuration read
 * also gives all ones), or the documented NULL result (NULL, 0). Only a
 * marker at the start of the storage is read; nothing is written and no
 * hook is called. A device after a successful vmsix_dev_teardown() is
 * refused the same way: its storage may be freed, and a late call (an
 * interrupt handler that still holds the pointer) does nothing.
 *
 * Failures: every vmsix_dev_* call returns the first error of a hook or
 * backend operation, and the optional log hook gets one line per failed
 * step naming it (the guest's vector, the operation, the error), so that
 * a host that gets -EIO can tell a refused translate from a failed
 * invalidation.
 */

struct vmsix_dev;

/* Host hooks. ctx is the ctx given to vmsix_dev_init(). The struct grows
 * at the end: set @size to sizeof(struct vmsix_dev_ops); members an older
 * caller does not have are NULL, and each member added later is optional
 * with NULL keeping the older behaviour. */
struct vmsix_dev_ops {
    size_t size; /* sizeof(struct vmsix_dev_ops) as the caller compiled it */
    /* Physical configuration access of the function (1, 2 or 4 bytes,
     * naturally aligned). Return 0 or a negative errno. Required. */
    int (*cfg_read)(void *ctx, uint16_t off, unsigned size, uint32_t *val);
    int (*cfg_write)(void *ctx, uint16_t off, unsigned size, uint32_t val);
    /* The guest's message for vector @vec -> the host target of its entry.
     * Apply the isolation policy here (destinations among this guest's
     * CPUs, fixed or lowest-priority delivery) and refuse with a negative
     * errno what the guest may not have. Required. */
    int (*translate)(void *ctx, uint16_t vec, const struct vmsix_msg *guest,
                     struct vmsix_remap_target *host);
    /* Deliver the guest's message of @vec to the guest (non-posted path).
     * Required. */
    void (*inject)(void *ctx, uint16_t vec, const struct vmsix_msg *guest);
    /* Optional: where virtual BAR @bar (the table BAR, a BAR the host
     * described, or VMSIX_DEV_ROM) decodes changed from @old_addr to
     * @new_addr: move the table BAR's trap, or a BAR's mapping of the
     * function's region (or its MMIO dispatch). A BAR decodes at its
     * address while the guest's Memory Space Enable (I/O Space Enable for
     * an I/O BAR; and its enable bit for the ROM) is set and the address is
     * not 0; otherwise it is VMSIX_BAR_UNMAPPED (remove it). Called on
     * every path that changes it: a guest BAR, ROM or Command write, FLR
     * (the guest's, vmsix_dev_reset()), restore. vmsix refuses no address:
     * the host checks that the new one overlaps none of the guest's RAM,
     * other BARs or the interrupt window before it maps or traps it (and
     * does nothing otherwise: the guest then reaches nothing there). */
    void (*bar_moved)(void *ctx, unsigned bar, uint64_t old_addr, uint64_t new_addr);
    /* Optional: one line (VMSIX_LOG_* @level, NUL-terminated @msg, valid
     * only during the call) per failed step; see vmsix/common.h. */
    void (*log)(void *ctx, int level, const char *msg);
    /* Optional (vmsix 0.3): software masking on a remap.h backend. The host
     * target that holds vector @vec's messages while the guest has it
     * masked: a host vector whose handler calls vmsix_dev_irq(@vec), which
     * pends it (never a posted target). With it, a function without
     * per-vector mask bits is served on a backend with
     * VMSIX_REMAP_CAP_LIVE_SWITCH: a masked vector's entry delivers here,
     * switched to and from the guest's target in one atomic store, so no
     * message is lost and unmasking delivers one pending message. Not used
     * for a function with mask bits, nor with host-owned messages. */
    int (*divert)(void *ctx, uint16_t vec, struct vmsix_remap_target *host);
};

/* bar_moved's address of a BAR that does not decode (Memory Space Enable
 * clear, or no address assigned). */
#define VMSIX_BAR_UNMAPPED UINT64_MAX

/* The size of the first sized version of struct vmsix_dev_ops (vmsix 0.2). */
#define VMSIX_DEV_OPS_SIZE_V1                                                                      \
    (offsetof(struct vmsix_dev_ops, log) + sizeof(((struct vmsix_dev_ops *)0)->log))

struct vmsix_dev_params {
    const struct vmsix_remap *backend; /* where the entries come from */
    struct vmsix_remap_source src;     /* the function's requester ID */
    struct vmsix_dev_options opt;      /* table BAR, BAR size, vectors */
};

/* What the device is doing, for hosts, demos and tests. */
struct vmsix_dev_state {
    uint16_t msi_off;               /* the physical MSI capability */
    uint8_t nvec;                   /* vectors shown to the guest */
    uint8_t table_bar;              /* the emulated BAR slot */
    uint32_t bar_size;              /* its size */
    bool phys_enabled;              /* vmsix has the physical MSI enabled */
    bool block_held;                /* MSI is off, but the backend refused to release
                                       the block: it stays reserved, and vmsix releases
                                       it at the next setup, reset or teardown */
    struct vmsix_remap_block block; /* valid when phys_enabled or block_held */
    struct vmsix_msg phys_msg;      /* the physical MSI address/data */
    uint32_t mask;                  /* the MSI mask bits vmsix wants at the function (a
                                       write the function refused is repeated by the
                                       next one) */
    uint32_t active;                /* bit k: vector k is programmed and unmasked */
};

/**
 * vmsix_dev_storage_size() - bytes of storage a device needs.
 *
 * Return: the size (about 22 KiB: a 4096-byte register model, which also
 * holds the guest view as it is built at init, and an MSI-X table of up to
 * 32 vectors; nothing is kept for init alone).
 */
VMSIX_API size_t vmsix_dev_storage_size(void);

/**
 * vmsix_dev_init() - make a device for one eligible function.
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_dev_storage_size()
 * @p: backend, requester ID, options
 * @ops: host hooks (copied; @ops->size as struct vmsix_dev_ops says)
 * @ctx: passed to the hooks
 * @out: receives the device
 *
 * Reads the function's configuration space through cfg_read (dwords; the
 * view ends at the first failing read past 64 bytes), decides eligibility
 * once and builds the guest view in place in the register model. Calls
 * the backend's caps() (its ops are copied by the size rule of struct
 * vmsix_remap_ops) and log on failure; touches nothing at the function or
 * in the backend.
 * A function that vmsix_msix_on_msi_check() calls eligible always
 * initializes with working hooks, default options and a backend that can
 * hold its vectors.
 * Return: 0; -ENOTSUP when the function is not eligible, the options do
 * not fit it, or the backend cannot hold its vectors (nentries,
 * max_order), or @ops or the backend's ops set a member this library does
 * not know; -EIO when even the first 64 bytes cannot be read; the error of
 * the backend's caps(); -EINVAL for bad arguments (a hook struct smaller
 * than its first version, or a mandatory hook or operation NULL).
 */
VMSIX_API int vmsix_dev_init(void *mem, size_t len, const struct vmsix_dev_params *p,
                             const struct vmsix_dev_ops *ops, void *ctx, struct vmsix_dev **out);

/**
 * vmsix_dev_init_hostmsg() - make a device whose messages the host owns
 * (stock Linux: VFIO + KVM; vmsix/hostmsg.h).
 * @mem: storage, 8-byte aligned
 * @len: at least vmsix_dev_storage_size()
 * @hm: the host-owned-message backend (its ops copied by their size rule)
 * @opt: options (table BAR, BAR size, vectors, BARs), NULL for defaults
 * @ops: host hooks: cfg_read, cfg_write and inject are required; translate
 *       and divert are not used (the guest's own message is the route, and
 *       masking is always in software)
 * @ctx: passed to the hooks
 * @out: receives the device
 *
 * As vmsix_dev_init(), with VMSIX_MASKING_SOFTWARE eligibility (a function
 * without per-vector mask bits qualifies; mask bits it has are left
 * alone), and the physical side replaced by @hm: MSI-X Enable calls
 * enable(N), a vector's activation route(k, guest message) (a message held
 * while it was masked is delivered once, through inject), its deactivation
 * unroute(k), a PBA read of a masked vector take_pending(k), MSI-X
 * disable, reset and teardown disable(), the guest's FLR reset() when @hm
 * has it. vmsix never writes the function's MSI capability. Touches
 * nothing at the function or the backend.
 * Return: 0; -ENOTSUP (not eligible, options that do not fit, an unknown
 * member set in @ops or @hm's ops); -EIO (the first 64 bytes unreadable);
 * -EINVAL (bad arguments, a mandatory hook or operation NULL).
 */
VMSIX_API int vmsix_dev_init_hostmsg(void *mem, size_t len, const struct vmsix_hostmsg *hm,
                                     const struct vmsix_dev_options *opt,
                                     const struct vmsix_dev_ops *ops, void *ctx,
                                     struct vmsix_dev **out);

/**
 * vmsix_dev_cfg_read() - a guest configuration read.
 * @d: the device
 * @off: 0..4095
 * @size: 1, 2 or 4, inside one dword
 * @val: receives the value (all ones on error)
 *
 * May call cfg_read and log. Return: 0, -EINVAL, or a hook's error.
 */
VMSIX_API int vmsix_dev_cfg_read(struct vmsix_dev *d, uint16_t off, unsigned size, uint32_t *val);

/**
 * vmsix_dev_cfg_write() - a guest configuration write.
 * @d: the device
 * @off: 0..4095
 * @size: 1, 2 or 4, inside one dword
 * @val: the value
 *
 * May call cfg_read/cfg_write, bar_moved, log, and (through MSI-X Enable,
 * Function Mask and FLR) every backend operation, translate and inject.
 * Return: 0, -EINVAL, or the first error of a hook or backend operation
 * (the guest-visible write still happens; failed vectors stay masked).
 */
VMSIX_API int vmsix_dev_cfg_write(struct vmsix_dev *d, uint16_t off, unsigned size, uint32_t val);

/**
 * vmsix_dev_mmio_read() - a guest read of the table BAR.
 * @d: the device
 * @off: offset in the BAR
 * @size: bytes
 * @val: receives the value
 *
 * May call cfg_read: a PBA read covering a masked vector reads the
 * function's Pending Bits register once (one snapshot for the whole read;
 * a failed read counts as no bit pending); a read that covers only live
 * vectors, or the table, calls no hook.
 * Return: as vmsix_msix_mmio_read() (-ERANGE outside the table and PBA).
 */
VMSIX_API int vmsix_dev_mmio_read(struct vmsix_dev *d, uint64_t off, unsigned size, uint64_t *val);

/**
 * vmsix_dev_mmio_write() - a guest write to the table BAR.
 * @d: the device
 * @off: offset in the BAR
 * @size: bytes
 * @val: the value
 *
 * May call translate, the backend's program/clear/invalidate, cfg_write
 * (mask bits), inject and log. Return: as vmsix_msix_mmio_write(), or the first
 * error of a hook or backend operation (the vector stays masked).
 */
VMSIX_API int vmsix_dev_mmio_write(struct vmsix_dev *d, uint64_t off, unsigned size, uint64_t val);

/**
 * vmsix_dev_irq() - host vector k of the device's block fired.
 * @d: the device
 * @vec: the vector (entry base + vec)
 *
 * Calls inject when the guest's vector is active; else sets its pending
 * bit. Return: 1 injected, 0 pended, -EINVAL for a bad @d or @vec.
 */
VMSIX_API int vmsix_dev_irq(struct vmsix_dev *d, uint16_t vec);

/**
 * vmsix_dev_reset() - the function was reset (bus reset, FLR by the host).
 * @d: the device
 *
 * Tears the physical side down (mask all, disable MSI, clear, invalidate,
 * release) and puts the guest view in its reset state (MSI-X disabled,
 * every vector masked, table BAR at 0, INTx Disable clear). The device
 * goes on serving the guest. May call cfg_read/cfg_write, the backend's
 * clear/invalidate/release/doorbell_unmap and log.
 * Return: 0 or the first error met (the teardown still completes);
 * -EINVAL (nothing done) for a bad @d.
 */
VMSIX_API int vmsix_dev_reset(struct vmsix_dev *d);

/**
 * vmsix_dev_teardown() - the function leaves the guest: end of the device.
 * @d: the device
 *
 * As vmsix_dev_reset() (mask all, disable MSI, clear, invalidate, release
 * the block), and then the device is dead: every later call refuses it as
 * storage never initialized (-EINVAL, no hook called), so the storage may
 * be freed and a late vmsix_dev_irq() from a host handler injects nothing.
 * The backend's pool is then exactly as before the device's first setup.
 * When the backend refuses to release the block, teardown returns that
 * error and the device stays alive in the reset state with
 * vmsix_dev_state.block_held set: call it again.
 * Hooks: as vmsix_dev_reset(). Return: 0 or the first error met (the
 * device is dead unless the block is held); -EINVAL (nothing done) for a
 * bad @d.
 */
VMSIX_API int vmsix_dev_teardown(struct vmsix_dev *d);

/**
 * vmsix_dev_cfgspace() - the guest register model, to customize it.
 * @d: the device
 *
 * Return: the model (see vmsix/cfgspace.h), or NULL for a NULL @d.
 */
VMSIX_API struct vmsix_cfg *vmsix_dev_cfgspace(struct vmsix_dev *d);

/**
 * vmsix_dev_get_state() - what the device is doing.
 * @d: the device
 * @out: receives the state
 *
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_dev_get_state(const struct vmsix_dev *d, struct vmsix_dev_state *out);

/**
 * vmsix_dev_save_size() - bytes vmsix_dev_save() writes.
 * @d: the device
 *
 * Return: the size, or 0 for a NULL @d.
 */
VMSIX_API size_t vmsix_dev_save_size(const struct vmsix_dev *d);

/**
 * vmsix_dev_save() - the guest-visible state of the device, for migration.
 * @d: the device
 * @buf: destination
 * @len: bytes at @buf
 * @used: receives the bytes written (or needed, with -ENOSPC)
 *
 * Format (little-endian): magic "VMSD", version 3, the device's layout
 * (MSI offset, vectors, table BAR slot and size), the table BAR register,
 * the registers of every BAR (and the ROM) the host described,
 * MSI-X Enable/Function Mask, the guest's Command bits (I/O and Memory
 * Space Enable, INTx Disable), then the msix_table
 * state (vmsix_msix_save()), then a CRC-32 of everything before it. The
 * physical side is not saved: restore rebuilds it. Calls no hook.
 * Return: 0; -ENOSPC (*@used = needed); -EINVAL.
 */
VMSIX_API int vmsix_dev_save(const struct vmsix_dev *d, void *buf, size_t len, size_t *used);

/**
 * vmsix_dev_restore() - load a state saved by vmsix_dev_save().
 * @d: a device of the same layout (same function, options)
 * @buf: the saved bytes
 * @len: exactly what save wrote
 *
 * Validates everything first (layout, checksum, reserved bits, the BAR
 * value, the embedded msix_table state, their agreement); on error
 * nothing changes and no hook is called. Then tears the physical side
 * down, loads the guest state, sets the physical side up again when MSI-X
 * is enabled, re-programs every active vector, and calls bar_moved when
 * a virtual BAR decodes elsewhere than before. Images of save versions 1
 * and 2 are refused.
 * Return: 0; -EINVAL for a bad buffer; the first error of a hook or
 * backend operation (failed vectors stay masked).
 */
VMSIX_API int vmsix_dev_restore(struct vmsix_dev *d, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_MSIX_ON_MSI_H */
