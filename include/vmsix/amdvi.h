/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/amdvi.h - AMD-Vi (AMD I/O Virtualization Technology) interrupt
 * remapping: interrupt remapping table entries (IRTEs) of both formats, the
 * interrupt fields of a device table entry (DTE), the
 * INVALIDATE_INTERRUPT_TABLE and COMPLETION_WAIT commands, the remapped MSI,
 * a unit over per-DeviceID tables in caller memory with its write protocol,
 * a reference decoder that resolves an MSI write as the hardware does, and
 * the AMD-Vi implementation of the remap backend interface (vmsix/remap.h).
 *
 * The unit (DESIGN 4.5): one interrupt remapping table per DeviceID (the
 * requester ID after aliasing), which the DTE of that DeviceID names. The
 * MSI data is the table index, the address is the fixed interrupt range
 * (0xFEE0_0000; nothing else in it is used), and the vector and destination
 * come from the entry. The function replaces the low log2(N) bits of the
 * data with k for message k, so a block of N entries must be aligned to N.
 *
 * 32-bit IRTE (Control.GAEn = 0):
 *   0 RemapEn, 1 SupIOPF, 4:2 IntType, 5 RqEoi, 6 DM, 7 reserved,
 *   15:8 Destination (an 8-bit APIC ID), 23:16 Vector, 31:24 reserved.
 * 128-bit IRTE (GAEn = 1), GuestMode 0 (remapped):
 *   0 RemapEn, 1 SupIOPF, 4:2 IntType, 5 RqEoi, 6 DM, 7 GuestMode (0),
 *   31:8 Destination[23:0], 63:32 GATag, 71:64 Vector, 119:72 not used by
 *   this view (vmsix reads them as reserved), 127:120 Destination[31:24].
 * 128-bit IRTE, GuestMode 1 (the guest virtual APIC view):
 *   0 RemapEn, 1 SupIOPF, 2 GALogIntr, 5:3 reserved, 6 IsRun, 7 GuestMode
 *   (1), 31:8 Destination[23:0], 63:32 GATag, 71:64 the guest Vector, 75:72
 *   reserved, 115:76 the GA root pointer (address bits 51:12 of the vAPIC
 *   backing page), 119:116 reserved, 127:120 Destination[31:24].
 * IntType: 0 fixed, 1 arbitrated (lowest priority); vmsix encodes nothing
 * else (never SMI, NMI, INIT or ExtINT). x2APIC destinations (Control.XTEn)
 * need the 128-bit format.
 *
 * DTE interrupt fields, all in the DTE's third qword (bits 191:128; bit n
 * of the qword is DTE bit 128 + n):
 *   0 IV, 4:1 IntTabLen (log2 of the entries, 0..11), 5 IG, 51:6
 *   IntTableRootPtr (address bits 51:6; the table is 128-byte aligned),
 *   55:52 reserved, 56 InitPass, 57 EIntPass, 58 NMIPass, 59 reserved,
 *   61:60 IntCtl (0 target abort, 1 forward unmapped, 2 remapped,
 *   3 reserved), 62 Lint0Pass, 63 Lint1Pass.
 *
 * Commands (128 bits; opcode in bits 63:60):
 *   INVALIDATE_INTERRUPT_TABLE (0x05): DeviceID in bits 15:0; invalidates
 *   every cached entry of that DeviceID's table.
 *   COMPLETION_WAIT (0x01): bit 0 S (store), bit 1 I (interrupt), bits 51:3
 *   the store address bits 51:3, bits 127:64 the store data.
 *
 * Which requests are remapped (vmsix_amdvi_resolve()): the message type is
 * MSI data bits 10:8 (the x86 delivery mode): fixed (0) and arbitrated (1)
 * are remapped as IntCtl says, and the table index is data bits 10:0 (so at
 * most 512 entries are reachable: bits 10:9 are 0). With NumIntRemapMode =
 * 2K (VMSIX_AMDVI_2K) a request whose address has DM (bit 2) set is
 * remapped whatever bits 10:8 hold, and the index is data bits 10:0 (2048
 * entries); vmsix composes DM = 1 on such a unit. NMI (4), INIT (5) and
 * ExtINT (7) pass through unmapped when their DTE pass bit is set and are
 * aborted otherwise; SMI (2) and the reserved types are aborted.
 *
 * Write protocol (vmsix_amdvi_irte_write(), _clear(), _invalidate()):
 *   - a 32-bit entry is always stored in one 32-bit store (new, changed,
 *     cleared), then flushed;
 *   - a new 128-bit entry (RemapEn clear in memory) is stored high qword
 *     first, then the low qword with RemapEn, flushing after each, so the
 *     unit never sees RemapEn with a stale high qword;
 *   - a 128-bit entry with RemapEn whose source may fire, and every entry
 *     with GuestMode (old or new), is stored with one 128-bit atomic store:
 *     lock cmpxchg16b on x86-64, or the store128 hook when given; without
 *     either (VMSIX_AMDVI_NO_CX16, other architectures) such writes fail
 *     with -ENOTSUP and leave the entry as it was;
 *   - a 128-bit entry whose source is masked at the device
 *     (VMSIX_AMDVI_WR_QUIESCED, from VMSIX_REMAP_PROG_QUIESCED) is stored
 *     as a new one;
 *   - clearing stores the low qword (RemapEn = 0) first, then the high one;
 *   - stores do not invalidate: vmsix_amdvi_invalidate() submits
 *     INVALIDATE_INTERRUPT_TABLE and a COMPLETION_WAIT and waits. When the
 *     command hook fails, every entry of the range is cleared and the
 *     error returned.
 *
 * The DTE is the host's: vmsix never writes it. The host points the DTE of
 * every DeviceID it adds a table for at that table (IV 1, IntTabLen =
 * log2 of the unit's table size, IntTableRootPtr = the table's address,
 * IntCtl 2, the pass bits clear for an assigned device), with
 * vmsix_amdvi_dte_intr_encode(), and invalidates the DTE with its own
 * command queue. The unit reads the device table only in the reference
 * decoder.
 *
 * Locking: the unit takes no locks of its own; the optional lock/unlock
 * hooks are held around every store, clear, invalidation and change of the
 * set of tables.
 *
 * A unit pointer that did not come from a successful
 * vmsix_amdvi_unit_init() (storage never initialized, or left by a failed
 * init) is refused as a NULL one is, by every function and backend
 * operation that takes it: -EINVAL. Only a marker at the start of the
 * storage is read; nothing is written and no hook is called.
 */
#ifndef VMSIX_AMDVI_H
#define VMSIX_AMDVI_H

#include <vmsix/common.h>
#include <vmsix/remap.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIX_AMDVI_IRTE32_SIZE 4u    /* bytes per entry, Control.GAEn = 0 */
#define VMSIX_AMDVI_IRTE128_SIZE 16u  /* bytes per entry, Control.GAEn = 1 */
#define VMSIX_AMDVI_MAX_ENTRIES 2048u /* IntTabLen 11; 512 without VMSIX_AMDVI_2K */
#define VMSIX_AMDVI_TABLE_ALIGN 128u  /* interrupt remapping table alignment */
#define VMSIX_AMDVI_DTE_SIZE 32u      /* bytes per device table entry */
#define VMSIX_AMDVI_DTE_INTR_QWORD 2u /* the DTE qword of the interrupt fields */
#define VMSIX_AMDVI_DEV_TABLE_ALIGN 4096u
#define VMSIX_AMDVI_MSI_ADDR 0xfee00000u /* the interrupt range */
#define VMSIX_AMDVI_MSI_DM 0x4u          /* address bit 2: DM (2K index mode) */

/* IRTE IntType (remapped view): the x86 delivery modes of vmsix/remap.h. */
#define VMSIX_AMDVI_INT_FIXED VMSIX_REMAP_DLM_FIXED       /* 0 */
#define VMSIX_AMDVI_INT_ARBITRATED VMSIX_REMAP_DLM_LOWPRI /* 1 */

/* DTE IntCtl. */
#define VMSIX_AMDVI_INTCTL_ABORT 0u   /* fixed and arbitrated requests are target-aborted */
#define VMSIX_AMDVI_INTCTL_FORWARD 1u /* forwarded unmapped */
#define VMSIX_AMDVI_INTCTL_REMAP 2u   /* remapped through the table */

/* Command opcodes (bits 63:60 of the first qword). */
#define VMSIX_AMDVI_CMD_COMPLETION_WAIT 0x1u
#define VMSIX_AMDVI_CMD_INV_INT_TABLE 0x5u

/* vmsix_amdvi_cmd_completion_wait() flags */
#define VMSIX_AMDVI_CW_STORE 0x1u /* S: store the data at the address when done */
#define VMSIX_AMDVI_CW_INT 0x2u   /* I: raise the completion-wait interrupt when done */

/* Reasons vmsix_amdvi_resolve() returns (positive) for a request the unit
 * does not deliver. The hardware target-aborts each of them (and logs an
 * event unless SupIOPF or IG suppress it; the log is not modelled). */
#define VMSIX_AMDVI_FAULT_DEVID 1        /* DeviceID beyond the device table */
#define VMSIX_AMDVI_FAULT_DTE 2          /* illegal DTE interrupt fields */
#define VMSIX_AMDVI_FAULT_MSG_TYPE 3     /* message type neither remapped nor passed */
#define VMSIX_AMDVI_FAULT_ABORT 4        /* IntCtl 0 */
#define VMSIX_AMDVI_FAULT_RSVD_REQ 5     /* reserved request bits set */
#define VMSIX_AMDVI_FAULT_INDEX 6        /* index beyond the table */
#define VMSIX_AMDVI_FAULT_NOT_REMAPPED 7 /* RemapEn clear */
#define VMSIX_AMDVI_FAULT_INT_TYPE 8     /* IntType neither fixed nor arbitrated */
#define VMSIX_AMDVI_FAULT_RSVD_IRTE 9    /* reserved field set in a remapped entry */

/* All fields of one IRTE, both formats and both 128-bit views. Fields that
 * the entry's format or view does not have are 0. */
struct vmsix_amdvi_irte {
    bool remap_en;    /* bit 0: RemapEn */
    bool sup_iopf;    /* bit 1: SupIOPF (no IO_PAGE_FAULT event for this entry) */
    uint8_t int_type; /* bits 4:2 (remapped view): VMSIX_AMDVI_INT_*; encode refuses others */
    bool rq_eoi;      /* bit 5 (remapped view): RqEoi */
    bool dm;          /* bit 6 (remapped view): DM, logical destination */
    bool guest_mode;  /* bit 7 (128-bit): GuestMode, the vAPIC view */
    uint32_t dest;    /* Destination: 8 bits (32-bit format), 32 bits (128-bit) */
    uint8_t vector;   /* Vector (the guest vector in the vAPIC view) */
    uint32_t ga_tag;  /* bits 63:32 (128-bit): GATag */
    /* the vAPIC view (guest_mode) only */
    bool ga_log_intr; /* bit 2: GALogIntr */
    bool is_run;      /* bit 6: IsRun */
    uint64_t ga_root; /* the vAPIC backing page address, 4 KiB aligned, below 2^52 */
};

/* The interrupt fields of a DTE (its qword VMSIX_AMDVI_DTE_INTR_QWORD). */
struct vmsix_amdvi_dte_intr {
    bool iv;             /* bit 0: IV, the fields below are valid */
    uint8_t int_tab_len; /* bits 4:1: log2 of the table's entries, 0..11 */
    bool ig;             /* bit 5: IG, no event for interrupts that hit no entry */
    uint64_t root;       /* bits 51:6: IntTableRootPtr as an address, 128-byte
                            aligned, below 2^52 */
    bool init_pass;      /* bit 56 */
    bool eint_pass;      /* bit 57 */
    bool nmi_pass;       /* bit 58 */
    uint8_t int_ctl;     /* bits 61:60: VMSIX_AMDVI_INTCTL_* */
    bool lint0_pass;     /* bit 62 */
    bool lint1_pass;     /* bit 63 */
};

/* struct vmsix_amdvi_params.flags */
#define VMSIX_AMDVI_GA 0x1u     /* Control.GAEn = 1: 128-bit entries */
#define VMSIX_AMDVI_X2APIC 0x2u /* Control.XTEn = 1: 32-bit destinations (needs GA) */
#define VMSIX_AMDVI_VAPIC 0x4u  /* Control.GAMEn = 1: GuestMode entries are used (needs GA) */
/* NumIntRemapMode = 2K: a request with address DM = 1 indexes with data bits 10:0 (tables of up
 * to 2048 entries); vmsix composes DM = 1
 */
#define VMSIX_AMDVI_2K 0x8u
/* do not use the built-in cmpxchg16b: 128-bit stores need the store128 hook */
#define VMSIX_AMDVI_NO_CX16 0x10u

/* One AMD-Vi unit (IOMMU). */
struct vmsix_amdvi_params {
    const void *dev_table; /* the device table (@ndte DTEs of 32 bytes, 4 KiB
                              aligned), owned by the host; read only by
                              vmsix_amdvi_resolve() */
    uint32_t ndte;         /* DTEs in it: a multiple of 128 (4 KiB), 128..65536 */
    uint32_t nentries;     /* entries of every interrupt remapping table of the
                              unit: a power of two, 1..512 (1..2048 with
                              VMSIX_AMDVI_2K) */
    uint32_t flags;        /* VMSIX_AMDVI_* above */
    uint32_t max_tables;   /* tables (DeviceIDs) the unit object can hold, 1..65536 */
    uint64_t cw_addr;      /* where COMPLETION_WAIT stores (S = 1): an 8-byte
                              aligned address below 2^52 that the command hook
                              polls; 0 for S = 0 (the hook waits by other means) */
};

/*
 * Hooks of a unit. ctx is the pointer given to vmsix_amdvi_unit_init().
 *
 * The struct carries its own size so that it can grow without breaking
 * callers: set @size to sizeof(struct vmsix_amdvi_ops) as you compile it.
 * Add new members only at the end; NULL must keep the old behaviour. A
 * caller built with an older amdvi.h passes a smaller size, and the members
 * it lacks are taken as NULL; a caller built with a newer amdvi.h passes a
 * larger one, accepted when every member this library does not know is 0
 * (vmsix_amdvi_unit_init() returns -ENOTSUP otherwise).
 */
struct vmsix_amdvi_ops {
    size_t size; /* sizeof(struct vmsix_amdvi_ops); >= VMSIX_AMDVI_OPS_SIZE_V1 */
    /* Optional (NULL when the unit snoops, Control.Coherent = 1): write
     * back the @len bytes of table memory at @addr so that the unit sees
     * them. Called after every store the unit must see in order. */
    void (*flush)(void *ctx, const void *addr, size_t len);
    /* Mandatory: append one 128-bit command (@cmd[0] = bits 63:0, @cmd[1] =
     * bits 127:64) to the unit's command buffer. For a COMPLETION_WAIT
     * (opcode 1 in @cmd[0] bits 63:60) return only when the unit has
     * completed it (with S = 1: the semaphore at cw_addr holds @cmd[1]), or
     * -ETIMEDOUT when it did not. Other negative values are passed on as
     * they are; a positive value is taken as -EIO. */
    int (*command)(void *ctx, const uint64_t cmd[2]);
    /* Optional: store @val (@val[0] = bits 63:0) into the 16-byte-aligned
     * 128-bit entry at @entry as one single-copy-atomic store. Used instead
     * of the built-in cmpxchg16b when given. */
    void (*store128)(void *ctx, void *entry, const uint64_t val[2]);
    /* Optional, both or neither: serialize users of a shared unit. */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
};

/* The size of struct vmsix_amdvi_ops in its first sized version (through
 * unlock): the smallest @size vmsix_amdvi_unit_init() accepts. */
#define VMSIX_AMDVI_OPS_SIZE_V1                                                                    \
    (offsetof(struct vmsix_amdvi_ops, unlock) + sizeof(((struct vmsix_amdvi_ops *)0)->unlock))

struct vmsix_amdvi_unit;
struct vmsix_irte_pool;

/* What vmsix_amdvi_resolve() resolved. */
struct vmsix_amdvi_result {
    bool passthrough;                /* forwarded unmapped (IV 0, IntCtl 1, or a pass bit):
                                        only @dte is filled */
    uint32_t index;                  /* the entry the request selected (also set for
                                        faults INDEX and after) */
    uint32_t apic_id;                /* the Destination as the unit reads it: 8 bits
                                        without x2APIC, 32 with */
    struct vmsix_amdvi_dte_intr dte; /* the DTE's interrupt fields as read */
    struct vmsix_amdvi_irte irte;    /* the entry, decoded */
};

/**
 * vmsix_amdvi_irte32_encode() - the 32 bits of a 32-bit-format entry.
 * @f: the fields
 * @out: receives the entry
 *
 * Refused with -EINVAL (@out untouched): a NULL argument; @int_type other
 * than fixed (0) and arbitrated (1); @dest > 0xff; @guest_mode, @ga_tag,
 * @ga_log_intr, @is_run or @ga_root set (the format has none of them).
 * Calls no hook.
 *
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_amdvi_irte32_encode(const struct vmsix_amdvi_irte *f, uint32_t *out);

/**
 * vmsix_amdvi_irte32_decode() - the fields of a 32-bit-format entry.
 * @in: the entry
 * @f: receives every field of the format (others 0); @int_type is the raw
 *     field, 0..7
 *
 * Calls no hook.
 * Return: 0; -EBADMSG when bit 7 or bits 31:24 (reserved) are set (@f is
 * filled all the same); -EINVAL for a NULL @f.
 */
VMSIX_API int vmsix_amdvi_irte32_decode(uint32_t in, struct vmsix_amdvi_irte *f);

/**
 * vmsix_amdvi_irte128_encode() - the 128 bits of a 128-bit-format entry.
 * @f: the fields; @guest_mode selects the view
 * @out: receives bits 63:0 in out[0], bits 127:64 in out[1]
 *
 * Refused with -EINVAL (@out untouched): a NULL argument; in the remapped
 * view an @int_type other than 0 and 1, or @ga_log_intr, @is_run or
 * @ga_root set; in the vAPIC view @int_type, @rq_eoi or @dm set, or
 * @ga_root not 4 KiB aligned or not below 2^52. @dest is the raw 32-bit
 * field: the unit's mode is not checked here. Calls no hook.
 *
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_amdvi_irte128_encode(const struct vmsix_amdvi_irte *f, uint64_t out[2]);

/**
 * vmsix_amdvi_irte128_decode() - the fields of a 128-bit-format entry.
 * @in: bits 63:0 in in[0], bits 127:64 in in[1]
 * @f: receives every field of the entry's view (others 0)
 *
 * Calls no hook.
 * Return: 0; -EBADMSG when a reserved bit of the view is set (remapped:
 * bits 119:72; vAPIC: 5:3, 75:72, 119:116), @f filled all the same;
 * -EINVAL for a NULL argument.
 */
VMSIX_API int vmsix_amdvi_irte128_decode(const uint64_t in[2], struct vmsix_amdvi_irte *f);

/**
 * vmsix_amdvi_dte_intr_encode() - the interrupt qword of a DTE.
 * @f: the fields
 * @q2: receives DTE qword 2 (bits 191:128); the other qwords are the
 *      host's and not touched
 *
 * Calls no hook.
 * Return: 0; -EINVAL (@q2 untouched) for a NULL argument, @int_tab_len >
 * 11, @int_ctl > 2, or @root not 128-byte aligned or not below 2^52.
 */
VMSIX_API int vmsix_amdvi_dte_intr_encode(const struct vmsix_amdvi_dte_intr *f, uint64_t *q2);

/**
 * vmsix_amdvi_dte_intr_decode() - the interrupt fields of a DTE.
 * @q2: DTE qword 2 (bits 191:128)
 * @f: receives every field
 *
 * Calls no hook.
 * Return: 0; -EBADMSG when the fields are illegal (IntTabLen > 11, IntCtl
 * 3, a reserved bit 55:52 or 59 set, or a root pointer not 128-byte
 * aligned), @f filled all the same; -EINVAL for a NULL @f.
 */
VMSIX_API int vmsix_amdvi_dte_intr_decode(uint64_t q2, struct vmsix_amdvi_dte_intr *f);

/**
 * vmsix_amdvi_cmd_inv_int_table() - an INVALIDATE_INTERRUPT_TABLE command.
 * @devid: the DeviceID whose table the unit must drop cached entries of
 * @out: out[0] = @devid | 0x5 << 60, out[1] = 0. Nothing happens when NULL.
 *
 * Calls no hook.
 */
VMSIX_API void vmsix_amdvi_cmd_inv_int_table(uint16_t devid, uint64_t out[2]);

/**
 * vmsix_amdvi_cmd_completion_wait() - a COMPLETION_WAIT command.
 * @flags: VMSIX_AMDVI_CW_STORE and/or VMSIX_AMDVI_CW_INT
 * @store_addr: with CW_STORE, where the unit stores @data when every
 *              earlier command is done: 8-byte aligned, below 2^52; else 0
 * @data: with CW_STORE, the 64-bit value stored; else 0
 * @out: out[0] = S (bit 0) | I (bit 1) | @store_addr (bits 51:3) | 0x1 <<
 *       60, out[1] = @data
 *
 * Calls no hook.
 * Return: 0; -EINVAL (@out untouched) for a NULL @out, unknown flags, a
 * misaligned or too large @store_addr, or an address or data without
 * CW_STORE.
 */
VMSIX_API int vmsix_amdvi_cmd_completion_wait(uint32_t flags, uint64_t store_addr, uint64_t data,
                                              uint64_t out[2]);

/**
 * vmsix_amdvi_msi_compose() - the remapped MSI for a table index.
 * @index: the first entry of the block, < 512 (< 2048 with VMSIX_AMDVI_2K)
 * @flags: the unit's flags; only VMSIX_AMDVI_2K matters
 * @out: receives address 0xFEE0_0000 (with VMSIX_AMDVI_2K: | DM, bit 2),
 *       address bits 63:32 = 0, data = @index (message k then selects
 *       entry @index | k, which is @index + k when @index is aligned)
 *
 * Calls no hook.
 * Return: 0; -EINVAL (@out untouched) for a NULL @out or an @index out of
 * range.
 */
VMSIX_API int vmsix_amdvi_msi_compose(uint32_t index, uint32_t flags, struct vmsix_msg *out);

/**
 * vmsix_amdvi_unit_storage_size() - bytes of storage a unit object needs
 * (the tables are separate).
 * @max_tables: the tables the unit can hold, 1..65536
 *
 * Return: the size; 0 for a bad @max_tables. Calls no hook.
 */
VMSIX_API size_t vmsix_amdvi_unit_storage_size(uint32_t max_tables);

/**
 * vmsix_amdvi_unit_init() - make a unit object in caller storage.
 * @mem: storage, aligned to 8 bytes
 * @len: bytes at @mem, >= vmsix_amdvi_unit_storage_size(@p->max_tables)
 * @p: device table, table size, flags, capacity (copied)
 * @ops: hooks (copied; @ops->size set as struct vmsix_amdvi_ops says);
 *       @ops->command is mandatory
 * @ctx: passed to every hook
 * @out: receives the unit, which holds no table yet
 *
 * Reads and writes no table memory. Calls no hook.
 * Return: 0; -EINVAL (bad argument, a device table that is NULL or not 4
 * KiB aligned, @ndte not a multiple of 128 in 128..65536, @nentries not a
 * power of two in range, @max_tables 0 or above 65536, unknown flags,
 * X2APIC or VAPIC without GA, a misaligned or too large @cw_addr, only one
 * of lock/unlock, @ops->size below VMSIX_AMDVI_OPS_SIZE_V1 or above 1024);
 * -ENOTSUP (@ops->size is larger than this library's struct and a byte
 * past it is not 0). On error neither @mem nor *@out is written.
 */
VMSIX_API int vmsix_amdvi_unit_init(void *mem, size_t len, const struct vmsix_amdvi_params *p,
                                    const struct vmsix_amdvi_ops *ops, void *ctx,
                                    struct vmsix_amdvi_unit **out);

/**
 * vmsix_amdvi_table_add() - give the unit the interrupt remapping table of
 * a DeviceID.
 * @u: the unit
 * @devid: the DeviceID (requester ID after aliasing), < the unit's ndte
 * @table: the table memory: nentries entries of 4 (or, with
 *         VMSIX_AMDVI_GA, 16) bytes, 128-byte aligned, owned by the caller;
 *         a fresh table must be zeroed (no entry remapped)
 * @root: the address the unit reads the table at (the IntTableRootPtr the
 *        host writes into the DTE): 128-byte aligned, below 2^52
 * @pool: the table's index pool for the remap backend (an irte_alloc pool
 *        of at most nentries entries; the entries the host uses itself
 *        reserved in it), or NULL when the backend must not use this table
 *
 * Reads and writes neither the table nor the DTE (see the header: the DTE
 * is the host's). Hooks: lock/unlock.
 * Return: 0; -EINVAL (bad argument, a pool that is not initialized);
 * -EBUSY (@devid has a table already); -ENOSPC (the unit holds max_tables
 * tables).
 */
VMSIX_API int vmsix_amdvi_table_add(struct vmsix_amdvi_unit *u, uint16_t devid, void *table,
                                    uint64_t root, struct vmsix_irte_pool *pool);

/**
 * vmsix_amdvi_table_remove() - take a DeviceID's table away from the unit.
 * @u: the unit
 * @devid: the DeviceID
 *
 * Refused while an entry of the table has RemapEn or the remap backend
 * holds a block of it. The table memory is the caller's again; the host
 * points the DTE elsewhere (IntCtl 0) before it reuses the memory.
 * Hooks: lock/unlock.
 * Return: 0; -EINVAL (bad argument); -ENOENT (no table for @devid); -EBUSY
 * (an entry remapped, or a block held; nothing changed).
 */
VMSIX_API int vmsix_amdvi_table_remove(struct vmsix_amdvi_unit *u, uint16_t devid);

/* vmsix_amdvi_irte_write() flags */
/* the entry's source cannot fire it now (masked at the device) */
#define VMSIX_AMDVI_WR_QUIESCED 0x1u

/**
 * vmsix_amdvi_irte_write() - store an entry with RemapEn with the write
 * protocol.
 * @u: the unit
 * @devid: the DeviceID whose table is written
 * @index: the entry, < the unit's table size
 * @f: the fields; @f->remap_en must be true
 * @flags: 0 or VMSIX_AMDVI_WR_QUIESCED
 *
 * Encodes @f in the unit's format (every refusal of the encoder applies;
 * the 32-bit format also refuses GuestMode), checks it against the unit
 * (a destination above 0xff without VMSIX_AMDVI_X2APIC; GuestMode without
 * VMSIX_AMDVI_VAPIC), then stores it as the header explains. Does not
 * invalidate. Hooks: lock/unlock, flush (once or twice), store128.
 *
 * Return: 0; -EINVAL (bad argument, refused field, @f->remap_en false);
 * -ENOENT (no table for @devid); -ENOTSUP (GuestMode on a unit without
 * it, or a 128-bit store is needed and neither cmpxchg16b nor store128 is
 * available). On error nothing is stored.
 */
VMSIX_API int vmsix_amdvi_irte_write(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index,
                                     const struct vmsix_amdvi_irte *f, uint32_t flags);

/**
 * vmsix_amdvi_irte_clear() - make an entry not remapped.
 * @u: the unit
 * @devid: the DeviceID whose table is written
 * @index: the entry, < the unit's table size
 *
 * 32-bit format: one store of 0. 128-bit: 0 to the low qword (RemapEn
 * clear) first, then to the high one, flushing after each. Does not
 * invalidate. Hooks: lock/unlock, flush.
 * Return: 0; -EINVAL; -ENOENT (no table for @devid).
 */
VMSIX_API int vmsix_amdvi_irte_clear(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index);

/**
 * vmsix_amdvi_irte_read() - the raw bits of an entry.
 * @u: the unit
 * @devid: the DeviceID whose table is read
 * @index: the entry, < the unit's table size
 * @out: 32-bit format: out[0] = the entry, out[1] = 0; 128-bit: out[0] =
 *       bits 63:0, out[1] = bits 127:64 (two 64-bit loads, low first; not
 *       one atomic snapshot)
 *
 * Calls no hook.
 * Return: 0; -EINVAL; -ENOENT (no table for @devid).
 */
VMSIX_API int vmsix_amdvi_irte_read(const struct vmsix_amdvi_unit *u, uint16_t devid,
                                    uint32_t index, uint64_t out[2]);

/**
 * vmsix_amdvi_invalidate() - invalidate cached entries of a table and wait.
 * @u: the unit
 * @devid: the DeviceID whose table is invalidated
 * @index: first entry of the range the caller changed
 * @count: entries, >= 1; @index + @count <= the unit's table size
 *
 * Submits INVALIDATE_INTERRUPT_TABLE for @devid (which covers the whole
 * table, so more than the range) and then COMPLETION_WAIT (S = 1 with the
 * unit's cw_addr and a new sequence number as data, or S = 0 without
 * cw_addr), each through the command hook. When either fails, every entry
 * of the range is cleared (as vmsix_amdvi_irte_clear()) and the error
 * returned. Hooks: lock/unlock, command (twice), flush (on failure).
 *
 * Return: 0; -EINVAL (bad argument); -ENOENT (no table for @devid); the
 * hook's error (-ETIMEDOUT; a positive hook value becomes -EIO).
 */
VMSIX_API int vmsix_amdvi_invalidate(struct vmsix_amdvi_unit *u, uint16_t devid, uint32_t index,
                                     uint32_t count);

/**
 * vmsix_amdvi_resolve() - resolve an MSI write the way the hardware does.
 * @u: the unit (its device table and tables are read; hooks are not called)
 * @devid: the DeviceID the write arrived with
 * @m: the write (address, data)
 * @out: the result; zeroed first
 *
 * In this order:
 *  1. the address must be in the interrupt range (0xFEE0_0000 ..
 *     0xFEEF_FFFF, bits 63:32 clear), else the write is no interrupt
 *     request: -EINVAL;
 *  2. @devid >= ndte: VMSIX_AMDVI_FAULT_DEVID;
 *  3. the DTE's IV clear: passed through (0, @out->passthrough);
 *  4. illegal DTE interrupt fields (as vmsix_amdvi_dte_intr_decode()
 *     refuses them): VMSIX_AMDVI_FAULT_DTE;
 *  5. the message type (see the header): NMI, INIT, ExtINT with the DTE's
 *     pass bit set pass through; any other type that is not remapped:
 *     VMSIX_AMDVI_FAULT_MSG_TYPE;
 *  6. IntCtl 0: VMSIX_AMDVI_FAULT_ABORT; IntCtl 1: passed through;
 *  7. address bits 19:3 or 1:0, or data bits 31:11, set:
 *     VMSIX_AMDVI_FAULT_RSVD_REQ (stricter than the hardware, which ignores
 *     them, so that a composition bug cannot hide);
 *  8. the index, data bits 10:0, >= 2^IntTabLen: VMSIX_AMDVI_FAULT_INDEX
 *     (the specification's bound; QEMU's model reads past the table);
 *  9. a DTE that names no table of this unit (no table for @devid, another
 *     root pointer, or an IntTabLen above the unit's table size): -ENOENT,
 *     no hardware outcome can be modelled;
 * 10. RemapEn clear: VMSIX_AMDVI_FAULT_NOT_REMAPPED;
 * 11. in the remapped view an IntType other than fixed and arbitrated:
 *     VMSIX_AMDVI_FAULT_INT_TYPE;
 * 12. a reserved bit of the entry, GuestMode on a unit without
 *     VMSIX_AMDVI_VAPIC, or a destination above 0xff without
 *     VMSIX_AMDVI_X2APIC (QEMU keeps its low 8 bits):
 *     VMSIX_AMDVI_FAULT_RSVD_IRTE.
 * Otherwise the request is remapped: 0 with @out->index, @out->irte and
 * @out->apic_id.
 *
 * Return: 0 (remapped or passed through), a positive
 * VMSIX_AMDVI_FAULT_* reason, -EINVAL for a NULL argument or a
 * non-interrupt address, or -ENOENT.
 */
VMSIX_API int vmsix_amdvi_resolve(const struct vmsix_amdvi_unit *u, uint16_t devid,
                                  const struct vmsix_msg *m, struct vmsix_amdvi_result *out);

/**
 * vmsix_amdvi_remap_init() - the AMD-Vi remap backend (vmsix/remap.h) of a
 * unit.
 * @u: the unit; becomes the backend's ctx
 * @flags: 0 (no flag is defined yet)
 * @out: receives the ops and ctx
 *
 * The backend: caps() reports CAP_DATA_INDEX, nentries = the unit's table
 * size, max_order = its log2, dest_bits 8 (32 with VMSIX_AMDVI_X2APIC),
 * vector_bits 8, and no POSTED or DOORBELL. reserve() takes the table of
 * @src->id (SRC_RID only: the host passes the DeviceID after aliasing, so
 * a bus range is -EINVAL; a DeviceID without a table, or with no pool, is
 * -EINVAL) and a block of max(count, align) rounded to a power of two from
 * its pool: naturally aligned, so message k reaches base + k (-ENOTSUP
 * above the table size, -ENOSPC when the pool has no such block, -ERANGE
 * when the pool hands out indexes outside the table, -EBUSY when an entry
 * of the block is remapped; a refused block is given back). program()
 * builds an entry with RemapEn, vector 16..255, IntType fixed or
 * arbitrated from the delivery mode, DM from dest_logical, the destination
 * (8 bits, or 32 with x2APIC), SupIOPF 0, and stores it with
 * vmsix_amdvi_irte_write() (VMSIX_REMAP_PROG_QUIESCED becomes
 * VMSIX_AMDVI_WR_QUIESCED); a posted target is -ENOTSUP, a level or
 * redirection-hint target -EINVAL (the entry has neither). clear() and
 * invalidate() map to vmsix_amdvi_irte_clear() and
 * vmsix_amdvi_invalidate() on base + k; compose() to
 * vmsix_amdvi_msi_compose(base); release() refuses a block with a
 * remapped entry (-EBUSY), else frees it in the pool and zeroes *blk. A
 * block that this backend did not hand out (or one already released) is
 * -EINVAL. doorbell_map/unmap are NULL. The operations call the unit's
 * hooks as the functions they map to do, and the pool's lock hooks
 * (reserve() and release() hold the unit's lock around the pool's, so a
 * pool's hooks must not take the unit's lock).
 * vmsix_amdvi_remap_init() itself calls no hook.
 *
 * Return: 0; -EINVAL (NULL argument, unknown flags).
 */
VMSIX_API int vmsix_amdvi_remap_init(struct vmsix_amdvi_unit *u, uint32_t flags,
                                     struct vmsix_remap *out);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_AMDVI_H */
