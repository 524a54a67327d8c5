/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/cfgspace.h - the virtual configuration-space register model.
 *
 * A model holds, for every byte of a function's configuration space, a
 * shadow value and per-bit attributes:
 *   RO    reads the shadow, guest writes are ignored (the default)
 *   RW    reads the shadow, guest writes store the written bit
 *   RW1C  reads the shadow, a guest 1 clears the bit, a 0 leaves it
 *   RSVD  reads 0, guest writes are ignored
 * Any of RO, RW and RW1C may be combined with PT (pass-through): the bit is
 * then read from the physical device through the pt_read hook, and a guest
 * write to it (if RW or RW1C) is sent through the pt_write hook; the shadow
 * of a PT bit is not used. RSVD bits are never passed through.
 *
 * Fields: an owner can attach handlers to a field (1..4 bytes inside one
 * dword). Every guest access that touches any byte of a field reaches the
 * field's handlers, whatever its width or offset (DESIGN 4.1 rule 5): a
 * 1-byte write to the high byte of Message Control calls the same write
 * handler, with the whole new 16-bit value, as a 2-byte write to it or a
 * 4-byte write to the dword that holds it.
 *
 * Guest accesses are 1, 2 or 4 bytes inside one dword at offsets 0..4095.
 * A 2-byte access at offset 1 (mod 4) is allowed, as a PCIe request with
 * byte enables 0110 is. Anything else returns -EINVAL, reads all ones and
 * changes nothing. In a 256-byte model, offsets 0x100..0xFFF read 0 and
 * ignore writes (no extended capabilities).
 *
 * The model takes no locks: calls on one model must be serialized.
 *
 * A model pointer that did not come from a successful vmsix_cfg_init()
 * (storage never initialized, or left by a failed init) is refused as a
 * NULL one is: -EINVAL (a read also gives all ones). Only a marker at the
 * start of the storage is read; nothing is written and no hook is called.
 */
#ifndef VMSIX_CFGSPACE_H
#define VMSIX_CFGSPACE_H

#include <vmsix/bar.h> /* the VMSIX_BAR_* kinds of vmsix_cfg_bar_emulate() */
#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bit attributes (vmsix_cfg_set_attr(), vmsix_cfg_set_range()). */
#define VMSIX_CFG_RO 0u
#define VMSIX_CFG_RW 1u
#define VMSIX_CFG_RW1C 2u
#define VMSIX_CFG_RSVD 3u
#define VMSIX_CFG_PT 0x10u /* OR with RO, RW or RW1C */

/* Most fields one model holds. */
#define VMSIX_CFG_MAX_FIELDS 32

struct vmsix_cfg;

/* Hooks to the physical device, for PT bits. Either may be NULL if no bit
 * is PT (a PT access then fails with -EIO). Add new members only at the
 * end; NULL must keep the old behaviour. */
struct vmsix_cfg_ops {
    /* sizeof(struct vmsix_cfg_ops) as the caller compiled it: at least
     * VMSIX_CFG_OPS_SIZE_V1; members past it are NULL to the library, members
     * the library does not know must be zero (else -ENOTSUP). */
    size_t size;
    /* Read @size bytes (1, 2 or 4, naturally aligned: a guest's 2-byte
     * access at an odd offset comes as its two bytes) at @off into *@val.
     * Return 0 or a negative errno. */
    int (*pt_read)(void *ctx, uint16_t off, unsigned size, uint32_t *val);
    /* Write the bits of @val selected by @mask (never 0) to the @size bytes
     * at @off (1, 2 or 4, naturally aligned, as for pt_read; @mask holds
     * only bits the guest wrote); the device's other bits in those bytes
     * must keep their
     * value (a hook that can only write whole bytes reads, merges and
     * writes, minding the device's RW1C bits). Return 0 or a negative
     * errno. */
    int (*pt_write)(void *ctx, uint16_t off, unsigned size, uint32_t val, uint32_t mask);
};

/* The size of struct vmsix_cfg_ops in its first sized version. */
#define VMSIX_CFG_OPS_SIZE_V1                                                                      \
    (offsetof(struct vmsix_cfg_ops, pt_write) + sizeof(((struct vmsix_cfg_ops *)0)->pt_write))

/* Handlers of one field. Values are little-endian field values of @len
 * bytes starting at the field's offset @off. The struct is kept by pointer
 * (not copied); its size is checked by the rule of struct
 * vmsix_cfg_ops. Add new members only at the end; NULL must keep the old
 * behaviour. */
struct vmsix_cfg_field_ops {
    /* sizeof(struct vmsix_cfg_field_ops) as the caller compiled it: at least
     * VMSIX_CFG_FIELD_OPS_SIZE_V1; members the library does not know must be
     * zero (else -ENOTSUP). */
    size_t size;
    /* Optional: *@val holds the value the model would return (shadow and
     * PT bits merged); the handler may change it. Return 0 or a negative
     * errno (the access then reads all ones and returns the error). */
    int (*read)(void *ctx, uint16_t off, unsigned len, uint32_t *val);
    /* Optional: called after a guest write touched the field, with the
     * field's shadow value before and after the write (attributes already
     * applied). The handler may update the shadow with vmsix_cfg_poke().
     * A negative return is passed on by vmsix_cfg_write() (the first one),
     * the write itself is not rolled back. */
    int (*write)(void *ctx, uint16_t off, unsigned len, uint32_t old, uint32_t val);
};

/* The size of struct vmsix_cfg_field_ops in its first sized version. */
#define VMSIX_CFG_FIELD_OPS_SIZE_V1                                                                \
    (offsetof(struct vmsix_cfg_field_ops, write) + sizeof(((struct vmsix_cfg_field_ops *)0)->write))

/**
 * vmsix_cfg_storage_size() - bytes of storage a model needs.
 * @size: configuration-space size, 256 or 4096
 *
 * Return: the size (5 bytes per configuration byte plus a constant), or 0
 * for another @size.
 */
VMSIX_API size_t vmsix_cfg_storage_size(uint16_t size);

/**
 * vmsix_cfg_init() - make a model in caller storage.
 * @mem: storage, aligned to 8 bytes
 * @len: bytes at @mem, at least vmsix_cfg_storage_size(@size)
 * @size: 256 or 4096
 * @ops: physical hooks (copied); may be NULL when nothing is PT; ops->size
 *       as struct vmsix_cfg_ops says
 * @ctx: passed to the hooks
 * @out: receives the model
 *
 * Every byte starts as shadow 0, RO, emulated, in no field. Calls no hook.
 * Return: 0; -EINVAL (bad arguments, or ops->size below
 * VMSIX_CFG_OPS_SIZE_V1); -ENOTSUP (@ops sets a member this library does
 * not know). On error nothing is written to @mem.
 */
VMSIX_API int vmsix_cfg_init(void *mem, size_t len, uint16_t size, const struct vmsix_cfg_ops *ops,
                             void *ctx, struct vmsix_cfg **out);

/**
 * vmsix_cfg_load() - copy an image into the shadow bytes.
 * @c: the model
 * @img: bytes for offsets 0..@n-1
 * @n: at most the model's size
 *
 * Attributes and fields are not changed. No hook is called.
 * Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_cfg_load(struct vmsix_cfg *c, const uint8_t *img, size_t n);

/**
 * vmsix_cfg_set_attr() - set the attribute of some bits of one register.
 * @c: the model
 * @off: offset of the register
 * @size: 1, 2 or 4 (the register may cross dwords, it is a byte range)
 * @bits: which bits of the little-endian register value
 * @attr: VMSIX_CFG_RO, _RW, _RW1C (each optionally | VMSIX_CFG_PT) or _RSVD
 *
 * Return: 0 or -EINVAL (nothing changed).
 */
VMSIX_API int vmsix_cfg_set_attr(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t bits,
                                 unsigned attr);

/**
 * vmsix_cfg_set_range() - set the attribute of every bit of a byte range.
 * @c: the model
 * @off: first byte
 * @len: bytes; @off + @len must not exceed the model's size
 * @attr: as for vmsix_cfg_set_attr()
 *
 * Return: 0 or -EINVAL (nothing changed).
 */
VMSIX_API int vmsix_cfg_set_range(struct vmsix_cfg *c, uint16_t off, uint16_t len, unsigned attr);

/**
 * vmsix_cfg_poke() - set shadow bytes as the owner (no attribute applies).
 * @c: the model
 * @off: offset; @off + @size must not exceed the model's size
 * @size: 1..4
 * @val: little-endian value
 *
 * No hook is called. Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_cfg_poke(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t val);

/**
 * vmsix_cfg_peek() - read shadow bytes as the owner.
 * @c: the model
 * @off: offset; @off + @size must not exceed the model's size
 * @size: 1..4
 * @val: receives the little-endian shadow value (PT bits as stored)
 *
 * No hook is called. Return: 0 or -EINVAL.
 */
VMSIX_API int vmsix_cfg_peek(const struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t *val);

/**
 * vmsix_cfg_field_add() - attach handlers to a field.
 * @c: the model
 * @off: first byte of the field
 * @len: 1..4; the field must lie inside one dword and overlap no other field
 * @ops: handlers (the pointer is kept, not copied: it must outlive @c);
 *       ops->size as struct vmsix_cfg_field_ops says
 * @ctx: passed to the handlers
 *
 * Calls no hook. Return: 0; -ENOSPC when VMSIX_CFG_MAX_FIELDS are used;
 * -EBUSY when the field overlaps another; -EINVAL for bad arguments (ops->size
 * below VMSIX_CFG_FIELD_OPS_SIZE_V1 included); -ENOTSUP when @ops sets a
 * member this library does not know.
 */
VMSIX_API int vmsix_cfg_field_add(struct vmsix_cfg *c, uint16_t off, unsigned len,
                                  const struct vmsix_cfg_field_ops *ops, void *ctx);

/* One register of a declaration table. Bits in none of rw, rw1c, rsvd are read-only. */
struct vmsix_cfg_reg {
    uint16_t off;  /* offset from the base given to vmsix_cfg_regs_add() */
    uint8_t size;  /* 1, 2 or 4; inside one dword when @ops is set */
    uint32_t rw;   /* guest-writable bits */
    uint32_t rw1c; /* bits a guest 1 clears */
    uint32_t rsvd; /* bits that read 0 and ignore writes (never pass-through) */
    uint32_t pt;   /* bits read from and written to the function (pt_read/pt_write) */
    const struct vmsix_cfg_field_ops *ops; /* optional handlers of the register (a field) */
};

/**
 * vmsix_cfg_regs_add() - declare emulated registers, with their attributes
 * and handlers, from a table.
 * @c: the model
 * @base: offset the registers' @off are relative to (a capability's offset,
 *        so that one const table serves every instance of the capability)
 * @regs: the table; not kept (the @ops pointers in it are kept, as by
 *        vmsix_cfg_field_add(), and must outlive @c)
 * @n: entries in @regs; 0 declares nothing
 * @ctx: passed to the handlers of every register of the table
 *
 * Declare @n registers at @base + reg.off, with their attributes and
 * handlers (ctx @ctx). Every bit of a register gets its attribute, the
 * bits in no mask RO (whatever they were before); pt may be combined with
 * rw, rw1c or neither (read-only, read from the function). A register with
 * @ops becomes a field with those handlers, as by vmsix_cfg_field_add(); a
 * register without may lie over an existing field, which stays. Bytes
 * outside the registers and every shadow value keep theirs. One call does
 * what vmsix_cfg_set_range(), vmsix_cfg_set_attr() and
 * vmsix_cfg_field_add() do for each register.
 *
 * Everything is validated first: on any error nothing changes.
 * Calls no hook.
 * Return: 0; -EINVAL (bad argument (@c or @regs NULL, a size not 1, 2 or
 * 4, ops->size below VMSIX_CFG_FIELD_OPS_SIZE_V1), overlapping masks (rw
 * and rw1c, rsvd with any other, pt with rsvd), mask bits outside the
 * register's size, two registers of the table that overlap, a register
 * outside the model, a field crossing a dword); -ENOTSUP (an @ops sets a
 * member this library does not know); -EBUSY (a register with ops
 * overlaps an existing field); -ENOSPC (not enough free fields).
 */
VMSIX_API int vmsix_cfg_regs_add(struct vmsix_cfg *c, uint16_t base,
                                 const struct vmsix_cfg_reg *regs, size_t n, void *ctx);

/**
 * vmsix_cfg_read() - a guest configuration read.
 * @c: the model
 * @off: 0..4095
 * @size: 1, 2 or 4, not crossing a dword
 * @val: receives the value (all ones on error)
 *
 * May call pt_read (once for the access when it holds PT bits, or once per
 * byte holding PT bits of a 2-byte access at an odd offset) and
 * the read handler of each field the access touches, in offset order.
 * Return: 0; -EINVAL for a bad access; an error from a hook.
 */
VMSIX_API int vmsix_cfg_read(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t *val);

/**
 * vmsix_cfg_write() - a guest configuration write.
 * @c: the model
 * @off: 0..4095
 * @size: 1, 2 or 4, not crossing a dword
 * @val: the value written (bits above @size*8 are ignored)
 *
 * Applies the attributes to the shadow, then calls pt_write once when the
 * access writes PT bits (once per byte holding them for a 2-byte access at
 * an odd offset: the hooks see naturally aligned accesses only), then the
 * write handler of each field the access touches, in offset order.
 * Return: 0; -EINVAL for a bad access (nothing changed); the first error
 * from a hook (the rest of the write still happens).
 */
VMSIX_API int vmsix_cfg_write(struct vmsix_cfg *c, uint16_t off, unsigned size, uint32_t val);

/* ---- BARs (emulated in the model; decoding raw bytes is vmsix/bar.h) ---- */

/* Called when a guest write changed an emulated BAR's address. @addr is the
 * whole new base (both halves for a 64-bit BAR; a 64-bit BAR written one
 * half at a time reports after each half). */
typedef void (*vmsix_bar_moved_fn)(void *ctx, unsigned bar, uint64_t addr);

/**
 * vmsix_cfg_bar_emulate() - emulate a BAR in the model, with sizing.
 * @c: the model; its shadow header type (0x0E) decides the slot count
 * @bar: the slot (the low slot for a 64-bit BAR, which also takes bar+1)
 * @size: a power of two; >= 16 for memory (<= 2^31 for 32-bit), >= 4 and
 *        <= 256 for I/O
 * @kind: VMSIX_BAR_IO, VMSIX_BAR_MEM32 or VMSIX_BAR_MEM64, optionally with
 *        VMSIX_BAR_PREFETCH for memory
 * @moved: optional hook, called from vmsix_cfg_write()
 * @ctx: passed to @moved
 *
 * The BAR's address bits become RW and emulated, its size and type bits RO,
 * so that a write of all ones reads back the size mask with the type bits.
 * The address starts at 0. Return: 0; -ENOSPC when the model has no free
 * field left; -EBUSY when the slot already holds a field; -EINVAL.
 */
#define VMSIX_BAR_PREFETCH 0x100u
VMSIX_API int vmsix_cfg_bar_emulate(struct vmsix_cfg *c, unsigned bar, uint64_t size, unsigned kind,
                                    vmsix_bar_moved_fn moved, void *ctx);

/**
 * vmsix_cfg_bar_addr() - current base address of an emulated BAR.
 * @c: the model
 * @bar: a slot given to vmsix_cfg_bar_emulate()
 * @addr: receives the base (both halves for a 64-bit BAR)
 *
 * Return: 0; -ENOENT when the slot is not emulated; -EINVAL.
 */
VMSIX_API int vmsix_cfg_bar_addr(const struct vmsix_cfg *c, unsigned bar, uint64_t *addr);

/**
 * vmsix_cfg_protect_caps() - make every capability's ID and next bytes
 * read-only and emulated (DESIGN 4.1 rule 6).
 * @c: the model, whose shadow holds the bytes @chain was parsed from
 * @chain: a chain parsed from those bytes
 *
 * Standard capabilities: the ID and next bytes; extended: the whole 4-byte
 * header; and the head pointer (0x34, or 0x14 for header type 2). Their
 * shadow is kept, so the guest reads the chain the owner loaded.
 * Return: 0 or -EINVAL (a capability outside the model; nothing changed).
 */
struct vmsix_capchain;
VMSIX_API int vmsix_cfg_protect_caps(struct vmsix_cfg *c, const struct vmsix_capchain *chain);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_CFGSPACE_H */
