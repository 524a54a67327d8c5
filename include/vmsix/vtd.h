/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/vtd.h - Intel VT-d interrupt remapping: interrupt-remapping table
 * entries (IRTEs) of both formats, source validation, remappable MSI
 * composition, Interrupt Entry Cache (IEC) invalidation descriptors, the
 * write protocol for 128-bit entries, a reference decoder that resolves an
 * MSI write as the hardware does, and the VT-d implementation of the remap
 * backend interface (vmsix/remap.h).
 *
 * IRTE bits (DESIGN 4.4), remapped format (bit 15 = 0):
 *   0 Present, 1 FPD, 2 Destination Mode (1 logical), 3 Redirection Hint,
 *   4 Trigger Mode (1 level), 7:5 Delivery Mode, 11:8 available to software,
 *   14:12 reserved, 15 IRTE Mode (0), 23:16 Vector, 31:24 reserved,
 *   63:32 Destination ID, 79:64 SID, 81:80 SQ, 83:82 SVT, 127:84 reserved.
 * Posted format (bit 15 = 1):
 *   0 Present, 1 FPD, 7:2 reserved, 11:8 available, 13:12 reserved,
 *   14 Urgent, 15 IRTE Mode (1), 23:16 guest Vector, 37:24 reserved,
 *   63:38 descriptor address bits 31:6, 79:64 SID, 81:80 SQ, 83:82 SVT,
 *   95:84 reserved, 127:96 descriptor address bits 63:32.
 * A reserved bit set, or SVT = 3, makes an entry malformed.
 *
 * Where the destination mode lives: struct vmsix_vtd_irte.dest is the raw
 * 32-bit Destination ID field (IRTE bits 63:32), the same in both modes,
 * so that encode and decode need no unit. vmsix_vtd_dest_place() turns an
 * APIC ID into that field for a mode: xAPIC (IRTA.EIME = 0) puts the 8-bit
 * APIC ID in field bits 15:8 (IRTE bits 47:40) and leaves the rest 0;
 * x2APIC (EIME = 1) uses all 32 bits. Every function that takes a unit
 * checks the field against the unit's mode (VMSIX_VTD_X2APIC).
 *
 * Write protocol (vmsix_vtd_irte_write(), _clear(), _invalidate()):
 *   - a new entry (the slot is not present) is stored high qword first,
 *     then the low qword with Present; the flush hook runs after each of
 *     the two stores, so the hardware can never see Present with a stale
 *     high qword, even on a unit that does not snoop caches;
 *   - a present entry whose source may fire, and every posted entry, is
 *     stored with one 128-bit atomic store (then one flush). On x86-64 the
 *     library uses lock cmpxchg16b (inline assembly; no libatomic); the
 *     store128 hook, when given, is used instead on every architecture.
 *     Without either (other architectures, or VMSIX_VTD_NO_CX16) such
 *     writes fail with -ENOTSUP and the entry is left as it was;
 *   - a present, not posted entry whose source is masked at the device
 *     (VMSIX_VTD_WR_QUIESCED) is stored as a new one (high, then low);
 *   - clearing stores the low qword (Present = 0) first and the high qword
 *     (0) last, flushing after each; one aligned 64-bit store clears
 *     Present atomically, so clearing needs no 128-bit store;
 *   - stores do not invalidate: vmsix_vtd_invalidate() does, and waits.
 *     When the invalidation hook fails, every entry of the range is cleared
 *     (left not present) and the hook's error is returned.
 *   - no function ever makes an entry present with SVT = 0.
 *
 * Locking: the unit takes no locks of its own; the optional lock/unlock
 * hooks are held around every store, clear and invalidation.
 *
 * A unit pointer that did not come from a successful vmsix_vtd_unit_init()
 * (storage never initialized, or left by a failed init) is refused as a
 * NULL one is, by every function and backend operation that takes it:
 * -EINVAL. Only a marker at the start of the storage is read; nothing is
 * written and no hook is called.
 */
#ifndef VMSIX_VTD_H
#define VMSIX_VTD_H

#include <vmsix/common.h>
#include <vmsix/remap.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIX_VTD_IRTE_SIZE 16u      /* bytes per IRTE */
#define VMSIX_VTD_MAX_ENTRIES 65536u /* IRTA.S = 15: 2^(S+1) */
#define VMSIX_VTD_TABLE_ALIGN 4096u  /* table memory alignment */
#define VMSIX_VTD_MAX_MHMV 15u       /* ECAP.MHMV is 4 bits */

/* Source Validation Type. */
#define VMSIX_VTD_SVT_NONE 0u /* never written by vmsix for a present entry */
#define VMSIX_VTD_SVT_RID 1u  /* SID = requester ID, compared under SQ */
#define VMSIX_VTD_SVT_BUS 2u  /* SID = start bus << 8 | end bus */

/* Source-ID Qualifier (SVT 1): which function-number bits are ignored. */
#define VMSIX_VTD_SQ_ALL 0u   /* compare all 16 bits */
#define VMSIX_VTD_SQ_IGN2 1u  /* ignore bit 2 */
#define VMSIX_VTD_SQ_IGN21 2u /* ignore bits 2:1 */
#define VMSIX_VTD_SQ_IGN20 3u /* ignore bits 2:0 */

/* Fault reasons returned (positive) by vmsix_vtd_resolve(). */
#define VMSIX_VTD_FAULT_RSVD_REQ 0x20    /* reserved field set in the request */
#define VMSIX_VTD_FAULT_INDEX 0x21       /* index beyond the table */
#define VMSIX_VTD_FAULT_NOT_PRESENT 0x22 /* entry not present */
#define VMSIX_VTD_FAULT_RSVD_IRTE 0x24   /* reserved field set in a present entry */
#define VMSIX_VTD_FAULT_COMPAT 0x25      /* compatibility format while blocked */
#define VMSIX_VTD_FAULT_SID 0x26         /* source-ID check failed */

/* All fields of one IRTE, both formats. Fields of the other format are 0. */
struct vmsix_vtd_irte {
    bool present;   /* bit 0 */
    bool fpd;       /* bit 1: Fault Processing Disable */
    bool posted;    /* bit 15: IRTE Mode, posted format */
    uint8_t vector; /* bits 23:16: host vector, or the guest vector (posted) */
    uint8_t avail;  /* bits 11:8: available to software, 0..15 */
    /* remapped format only */
    bool dest_logical; /* bit 2: Destination Mode */
    bool redir_hint;   /* bit 3: Redirection Hint */
    bool level;        /* bit 4: Trigger Mode */
    uint8_t delivery;  /* bits 7:5: VMSIX_REMAP_DLM_FIXED or _LOWPRI (vmsix/remap.h);
                          encode refuses every other mode */
    uint32_t dest;     /* bits 63:32: the raw Destination ID field (see
                          vmsix_vtd_dest_place()) */
    /* posted format only */
    bool urgent;  /* bit 14 */
    uint64_t pda; /* posted-interrupt descriptor address, 64-byte aligned
                     (bits 63:38 = pda[31:6], bits 127:96 = pda[63:32]) */
    /* source validation, both formats */
    uint16_t sid; /* bits 79:64 */
    uint8_t sq;   /* bits 81:80: VMSIX_VTD_SQ_* */
    uint8_t svt;  /* bits 83:82: VMSIX_VTD_SVT_* */
};

/* struct vmsix_vtd_params.flags */
#define VMSIX_VTD_X2APIC 0x1u /* IRTA.EIME = 1: 32-bit destinations */
#define VMSIX_VTD_POSTED 0x2u /* CAP.PI: the posted format is supported */
/* compatibility-format requests are blocked (GSTS.CFIS = 0); the reference decoder faults them
 * with 0x25
 */
#define VMSIX_VTD_BLOCK_COMPAT 0x4u
/* do not use the built-in cmpxchg16b: 128-bit stores need the store128 hook */
#define VMSIX_VTD_NO_CX16 0x8u

/* One remapping unit's table and capabilities. */
struct vmsix_vtd_params {
    void *table;       /* the IRT: @nentries * 16 bytes, 4 KiB aligned, owned by
                          the caller; not touched by init (a fresh table must
                          be zeroed by the caller: all entries not present) */
    uint32_t nentries; /* a power of two, 2..65536 (IRTA.S + 1 = log2) */
    uint32_t flags;    /* VMSIX_VTD_* above */
    uint8_t mhmv;      /* ECAP.MHMV, 0..15: the largest index mask of an IEC
                          descriptor */
};

/*
 * Hooks of a unit. ctx is the pointer given to vmsix_vtd_unit_init().
 *
 * The struct carries its own size so that it can grow without breaking
 * callers: set @size to sizeof(struct vmsix_vtd_ops) as you compile it.
 * Add new members only at the end; NULL must keep the old behaviour. A
 * caller built with an older vtd.h passes a smaller size, and the members
 * it lacks are taken as NULL; a caller built with a newer vtd.h passes a
 * larger one, accepted when every member this library does not know is 0
 * (vmsix_vtd_unit_init() returns -ENOTSUP otherwise: a hook set that this
 * library would not call).
 */
struct vmsix_vtd_ops {
    size_t size; /* sizeof(struct vmsix_vtd_ops); >= VMSIX_VTD_OPS_SIZE_V1 */
    /* Optional (NULL when ECAP.C = 1, coherent): write back the @len bytes
     * of table memory at @addr so that the unit sees them (clflush). Called
     * after every store the unit must see in order. */
    void (*flush)(void *ctx, const void *addr, size_t len);
    /* Mandatory: submit one 128-bit descriptor (@desc[0] = bits 63:0,
     * @desc[1] = bits 127:64) to the invalidation queue and wait for its
     * completion (an invalidation-wait descriptor). Return 0, or -ETIMEDOUT
     * when the unit did not complete it (other negative values are passed
     * on as they are; a positive value is taken as -EIO). */
    int (*invalidate)(void *ctx, const uint64_t desc[2]);
    /* Optional: store @val (@val[0] = bits 63:0) into the 16-byte-aligned
     * entry at @entry as one 128-bit single-copy-atomic store. Used instead
     * of the built-in cmpxchg16b when given. */
    void (*store128)(void *ctx, void *entry, const uint64_t val[2]);
    /* Optional, both or neither: serialize users of a shared unit. */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
};

/* The size of struct vmsix_vtd_ops in its first sized version (through
 * unlock): the smallest @size vmsix_vtd_unit_init() accepts. */
#define VMSIX_VTD_OPS_SIZE_V1                                                                      \
    (offsetof(struct vmsix_vtd_ops, unlock) + sizeof(((struct vmsix_vtd_ops *)0)->unlock))

struct vmsix_vtd_unit;

/* What vmsix_vtd_resolve() resolved. */
struct vmsix_vtd_result {
    bool compat;                /* compatibility format, passed through untranslated */
    uint32_t index;             /* the entry the request selected (also set for
                                   faults 0x22, 0x24, 0x26) */
    uint32_t apic_id;           /* remapped format: the destination APIC ID (per
                                   the unit's mode); 0 when posted */
    struct vmsix_vtd_irte irte; /* the entry, decoded */
};

/**
 * vmsix_vtd_irte_encode() - the 128 bits of an entry.
 * @f: the fields
 * @out: receives bits 63:0 in out[0], bits 127:64 in out[1]
 *
 * Refused with -EINVAL (@out untouched): a NULL argument; a delivery mode
 * other than fixed (0) and lowest priority (1); @avail > 15; @sq > 3;
 * @svt = 3 or more; a present entry with SVT 0; posted with a descriptor
 * address not 64-byte aligned or with any remapped-only field set (dest,
 * dest_logical, redir_hint, level, delivery); remapped with @urgent or
 * @pda set. @dest is the raw field: the unit's mode is not checked here.
 * Calls no hook.
 *
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_vtd_irte_encode(const struct vmsix_vtd_irte *f, uint64_t out[2]);

/**
 * vmsix_vtd_irte_decode() - the fields of 128 entry bits.
 * @in: bits 63:0 in in[0], bits 127:64 in in[1]
 * @f: receives every field of the entry's format (others 0)
 *
 * Whatever the bits, @f is filled. Destination bits that xAPIC mode
 * reserves are not checked (no unit here; vmsix_vtd_resolve() checks them).
 * Calls no hook.
 *
 * Return: 0; -EBADMSG when a reserved bit of the format is set or SVT = 3
 * (@f is filled all the same); -EINVAL for a NULL argument.
 */
VMSIX_API int vmsix_vtd_irte_decode(const uint64_t in[2], struct vmsix_vtd_irte *f);

/**
 * vmsix_vtd_dest_place() - the Destination ID field for an APIC ID.
 * @x2apic: the unit runs in x2APIC mode (IRTA.EIME = 1)
 * @apic_id: the (physical or logical) destination APIC ID
 * @field: receives the field value for struct vmsix_vtd_irte.dest:
 *         x2APIC: @apic_id; xAPIC: @apic_id << 8 (IRTE bits 47:40)
 *
 * Calls no hook.
 * Return: 0; -EINVAL for a NULL @field or, in xAPIC mode, @apic_id > 0xff.
 */
VMSIX_API int vmsix_vtd_dest_place(bool x2apic, uint32_t apic_id, uint32_t *field);

/**
 * vmsix_vtd_sv_rid() - source validation by requester ID.
 * @f: the entry to set: svt = 1, sq = 0, sid = @rid
 * @rid: the requester ID, bus << 8 | device << 3 | function
 *
 * Calls no hook.
 * Return: 0, or -EINVAL for a NULL @f.
 */
VMSIX_API int vmsix_vtd_sv_rid(struct vmsix_vtd_irte *f, uint16_t rid);

/**
 * vmsix_vtd_sv_bus_range() - source validation by bus range (a device
 * behind a PCIe-to-PCI bridge).
 * @f: the entry to set: svt = 2, sq = 0, sid = @first << 8 | @last
 * @first: first bus accepted
 * @last: last bus accepted, >= @first
 *
 * Calls no hook.
 * Return: 0, or -EINVAL for a NULL @f or @first > @last (@f untouched).
 */
VMSIX_API int vmsix_vtd_sv_bus_range(struct vmsix_vtd_irte *f, uint8_t first, uint8_t last);

/**
 * vmsix_vtd_msi_compose() - the remappable-format MSI for a handle.
 * @handle: the first IRTE index of the block
 * @out: receives address 0xFEE in 31:20, handle[14:0] in 19:5, bit 4
 *       (remappable format) = 1, bit 3 (SHV) = 1, bit 2 = handle[15],
 *       bits 1:0 and 63:32 = 0; data = 0 (message k then selects IRTE
 *       handle + k). Nothing happens when @out is NULL.
 *
 * Calls no hook.
 */
VMSIX_API void vmsix_vtd_msi_compose(uint16_t handle, struct vmsix_msg *out);

/**
 * vmsix_vtd_iec_index() - an index-selective IEC invalidation descriptor.
 * @index: first entry, < 65536, a multiple of 2^@im
 * @im: index mask: the descriptor covers 2^@im entries; <= 16
 * @out: type 0x4 in bits 3:0, granularity (bit 4) = 1, @im in 31:27,
 *       @index in 47:32; out[1] = 0
 *
 * Whether the unit supports @im (<= ECAP.MHMV) is the caller's concern.
 * Calls no hook.
 * Return: 0 or -EINVAL (@out untouched).
 */
VMSIX_API int vmsix_vtd_iec_index(uint32_t index, unsigned im, uint64_t out[2]);

/**
 * vmsix_vtd_iec_global() - the global IEC invalidation descriptor.
 * @out: type 0x4, granularity 0; every other bit 0. Nothing happens when
 *       NULL.
 *
 * Calls no hook.
 */
VMSIX_API void vmsix_vtd_iec_global(uint64_t out[2]);

/**
 * vmsix_vtd_unit_storage_size() - bytes of storage a unit object needs
 * (the table is separate). Calls no hook.
 */
VMSIX_API size_t vmsix_vtd_unit_storage_size(void);

/**
 * vmsix_vtd_unit_init() - make a unit object in caller storage.
 * @mem: storage, aligned to 8 bytes
 * @len: bytes at @mem, >= vmsix_vtd_unit_storage_size()
 * @p: table and capabilities (copied)
 * @ops: hooks (copied; @ops->size set as struct vmsix_vtd_ops says);
 *       @ops->invalidate is mandatory
 * @ctx: passed to every hook
 * @out: receives the unit
 *
 * Neither reads nor writes the table. Calls no hook.
 * Return: 0; -EINVAL (bad argument, table not 4 KiB aligned, @nentries
 * not a power of two in 2..65536, @mhmv > 15, unknown flags, only one of
 * lock/unlock, @ops->size below VMSIX_VTD_OPS_SIZE_V1 or above 1024);
 * -ENOTSUP (@ops->size is larger than this library's struct and a byte
 * past it is not 0: a hook this library does not know). On error neither
 * @mem nor *@out is written.
 */
VMSIX_API int vmsix_vtd_unit_init(void *mem, size_t len, const struct vmsix_vtd_params *p,
                                  const struct vmsix_vtd_ops *ops, void *ctx,
                                  struct vmsix_vtd_unit **out);

/* vmsix_vtd_irte_write() flags */
/* the entry's source cannot fire it now (masked at the device) */
#define VMSIX_VTD_WR_QUIESCED 0x1u

/**
 * vmsix_vtd_irte_write() - store a present entry with the write protocol.
 * @u: the unit
 * @index: the entry, < the table size
 * @f: the fields; @f->present must be true
 * @flags: 0 or VMSIX_VTD_WR_QUIESCED
 *
 * Encodes @f (every refusal of vmsix_vtd_irte_encode() applies), checks it
 * against the unit (posted format needs VMSIX_VTD_POSTED; in xAPIC mode the
 * destination field may only use bits 15:8), then stores it as the header
 * explains: high-then-low for a new entry or a quiesced, not posted one;
 * one 128-bit atomic store for a present entry without
 * VMSIX_VTD_WR_QUIESCED and for every posted entry. Does not invalidate.
 * Hooks: lock/unlock, flush (once or twice), store128 (atomic stores).
 *
 * Return: 0; -EINVAL (bad argument, refused field, @f->present false);
 * -ENOTSUP (posted on a unit without it, or a 128-bit store is needed and
 * neither cmpxchg16b nor store128 is available). On error nothing is
 * stored.
 */
VMSIX_API int vmsix_vtd_irte_write(struct vmsix_vtd_unit *u, uint32_t index,
                                   const struct vmsix_vtd_irte *f, uint32_t flags);

/**
 * vmsix_vtd_irte_clear() - make an entry not present.
 * @u: the unit
 * @index: the entry, < the table size
 *
 * Stores 0 to the low qword (Present = 0) first, then 0 to the high qword,
 * flushing after each. Does not invalidate. Hooks: lock/unlock, flush.
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_vtd_irte_clear(struct vmsix_vtd_unit *u, uint32_t index);

/**
 * vmsix_vtd_irte_read() - the raw 128 bits of an entry.
 * @u: the unit
 * @index: the entry, < the table size
 * @out: out[0] = bits 63:0, out[1] = bits 127:64 (two 64-bit loads, low
 *       first; not one atomic snapshot)
 *
 * Calls no hook.
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_vtd_irte_read(const struct vmsix_vtd_unit *u, uint32_t index, uint64_t out[2]);

/**
 * vmsix_vtd_invalidate() - invalidate cached entries and wait.
 * @u: the unit
 * @index: first entry
 * @count: entries, >= 1; @index + @count <= the table size
 *
 * Issues index-selective IEC descriptors, each for the largest chunk that
 * is a power of two <= 2^MHMV, aligned to its size and inside the range
 * (one descriptor for an aligned power-of-two block of at most 2^MHMV
 * entries; one per entry for unaligned odd ranges or MHMV = 0). Stops at
 * the first failing descriptor; then every entry of the range is cleared
 * (as vmsix_vtd_irte_clear()) and the error returned.
 * Hooks: lock/unlock, invalidate, flush (on failure).
 *
 * Return: 0; -EINVAL (bad argument); the hook's error (-ETIMEDOUT; a
 * positive hook value becomes -EIO).
 */
VMSIX_API int vmsix_vtd_invalidate(struct vmsix_vtd_unit *u, uint32_t index, uint32_t count);

/**
 * vmsix_vtd_resolve() - resolve an MSI write the way the hardware does.
 * @u: the unit (its table is read; hooks are not called)
 * @sid: the requester ID the write arrived with
 * @m: the write (address, data)
 * @out: the result; zeroed first
 *
 * The address must be in the interrupt range (bits 63:20 = 0xFEE), else
 * the write is no interrupt request: -EINVAL. Bit 4 = 0 is compatibility
 * format: fault 0x25 on a unit with VMSIX_VTD_BLOCK_COMPAT, else 0 with
 * @out->compat set (passed through, nothing else filled). Remappable
 * format: address bits 1:0 or data bits 31:16 set are reserved: fault 0x20
 * (stricter than hardware that ignores bits 1:0, so that a composition bug
 * cannot hide); the index is handle (address bit 2 = handle[15], 19:5 =
 * handle[14:0]) plus data[15:0] when SHV (bit 3) is set, else the handle;
 * an index >= the table size faults 0x21; a not present entry 0x22; a
 * present entry with a reserved bit set, SVT 3, xAPIC-mode destination bits
 * outside 47:40, or the posted format on a unit without VMSIX_VTD_POSTED
 * 0x24; a failed source check 0x26 (SVT 1: @sid and SID equal outside the
 * bits SQ ignores; SVT 2: start bus <= @sid >> 8 <= end bus; SVT 0: no
 * check).
 *
 * Return: 0 (resolved or passed through), a positive fault reason, or
 * -EINVAL for a NULL argument or a non-interrupt address.
 */
VMSIX_API int vmsix_vtd_resolve(const struct vmsix_vtd_unit *u, uint16_t sid,
                                const struct vmsix_msg *m, struct vmsix_vtd_result *out);

struct vmsix_irte_pool;

/* vmsix_vtd_remap_init() flags */
/* refuse blocks larger than 2^MHMV, so that every block is invalidated with one descriptor */
#define VMSIX_VTD_REMAP_STRICT_MHMV 0x1u

/**
 * vmsix_vtd_remap_init() - the VT-d remap backend (vmsix/remap.h) of a unit.
 * @u: the unit; becomes the backend's ctx
 * @pool: the caller's irte_alloc pool, the index space: its indexes are
 *        table indexes, so it must not be larger than the table, and the
 *        entries the host uses elsewhere (IOAPIC, HPET) must be reserved in
 *        it
 * @flags: 0 or VMSIX_VTD_REMAP_STRICT_MHMV
 * @out: receives the ops and ctx
 *
 * The backend: caps() reports the table size, max_order = log2(table size)
 * (MHMV with STRICT_MHMV; by default a larger block is invalidated in
 * aligned chunks of 2^MHMV), dest_bits 8 or 32, POSTED when the unit has
 * it, and no DATA_INDEX / PER_SOURCE / DOORBELL. reserve() takes a block of
 * max(count, align) rounded to a power of two from @pool (-ENOTSUP when
 * that is above 2^max_order, -ENOSPC when the pool has no such block) and
 * checks that it lies in the table (-ERANGE otherwise) and has no present
 * entry (-EBUSY otherwise); a refused block is given back to @pool.
 * program() builds a present entry with SVT 1, SQ 0 and the requester ID
 * (SRC_RID) or SVT 2 with the bus range (SRC_BUS_RANGE), vector 16..255,
 * the destination placed for the unit's mode, FPD 0, and stores it with
 * vmsix_vtd_irte_write() (VMSIX_REMAP_PROG_QUIESCED becomes
 * VMSIX_VTD_WR_QUIESCED). clear() and invalidate() map to
 * vmsix_vtd_irte_clear() and vmsix_vtd_invalidate() on base + k; compose()
 * to vmsix_vtd_msi_compose(base); release() refuses a block with a present
 * entry (-EBUSY), else frees it in @pool and zeroes *blk. A block that this
 * backend did not hand out (or one already released) is -EINVAL.
 * doorbell_map/unmap are NULL. The operations call the unit's hooks as the
 * functions they map to do, and the pool's lock hooks.
 * Calling vmsix_vtd_remap_init() again for the same unit must name the same
 * pool. vmsix_vtd_remap_init() itself calls no hook.
 *
 * Return: 0; -EINVAL (NULL argument, a pool that is not initialized, unknown
 * flags); -EBUSY (the unit is already bound to another pool).
 */
VMSIX_API int vmsix_vtd_remap_init(struct vmsix_vtd_unit *u, struct vmsix_irte_pool *pool,
                                   uint32_t flags, struct vmsix_remap *out);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_VTD_H */
