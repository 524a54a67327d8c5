/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/msix_table.h - the MSI-X table, Pending Bit Array and Message
 * Control of one function, as a state machine (DESIGN 4.2).
 *
 * Usable by any emulated or pass-through device: the owner forwards guest
 * MMIO of the table BAR and guest writes of Message Control to it, calls
 * vmsix_msix_fire() when the device wants to send vector k, and learns
 * through hooks what to program and what to send.
 *
 * Rules this object keeps (PCI Express Base, MSI-X):
 * - Offsets are relative to the start of the BAR. Table entries are 16
 *   bytes: Message Address (low, high), Message Data, Vector Control. The
 *   PBA is ceil(nvec / 64) qwords; bits past the last vector read 0.
 * - Accesses are naturally aligned 4- or 8-byte reads and writes wholly
 *   inside the table or wholly inside the PBA. An access none of whose
 *   bytes lies in either returns -ERANGE and leaves *val unwritten. Every
 *   other access (size 1, 2, 3, 16, misaligned, straddling) returns 0, is
 *   dropped and reads 0 (all ones with VMSIX_MSIX_UNDEF_READS_ONES).
 * - Message Address bits 1:0 read 0 and ignore writes (the specification
 *   lets them be read-only; the address is always dword aligned). The upper
 *   address, the data and Vector Control bits 31:1 (reserved, or TPH
 *   steering tags on newer devices) read back as written; only bit 0 of
 *   Vector Control (Mask) has an effect.
 * - An 8-byte write at entry offset 0 is one change of the 64-bit address.
 *   An 8-byte write at entry offset 8 is a 4-byte write to Message Data
 *   followed by one to Vector Control: the data is applied before the mask.
 *   The message changes only when the address or the data differs.
 * - The PBA is read-only: writes to it are dropped.
 * - A vector is effectively masked when MSI-X is disabled, Function Mask is
 *   set, or its Mask bit is set. It is active otherwise.
 * - vmsix_msix_fire() of a masked vector sets its pending bit and sends
 *   nothing; when the vector becomes active with its pending bit set (by its
 *   Mask bit, by Function Mask clearing, or by Enable), the message is sent
 *   once and the bit clears. The pending bit is a level, not a counter.
 * - Message Control: Enable (bit 15) and Function Mask (bit 14) are
 *   writable; Table Size (10:0, N - 1) and bits 13:11 are read-only.
 * - Reset: Enable 0, Function Mask 0, every vector masked, address, data and
 *   Vector Control bits 31:1 zero, PBA clear.
 *
 * Hooks (struct vmsix_msix_ops), called synchronously from the functions
 * that document them, never from anywhere else:
 * - vector_update(vec, msg, active) exactly once per change of a vector's
 *   active state, and (by default) once per change of the message of an
 *   active vector, with the message now in the table. For a single write
 *   that changes the message of a masked vector and then unmasks it (an
 *   8-byte write at entry offset 8), the hook sees the new message once,
 *   with active = true.
 * - deliver(vec, msg) for every message sent, never before the
 *   vector_update(active = true) that made the vector active was called (a
 *   fire from inside that call sends while it runs, see Re-entry).
 * - pending_poll(first, count), optional, the device's own pending bits of
 *   a range of vectors, called in exactly two places:
 *   - once per PBA read (4 or 8 bytes) that covers at least one effectively
 *     masked vector whose software pending bit is clear, with the range of
 *     vectors the read covers, clipped to nvec (a 4-byte read: 32 vectors,
 *     an 8-byte read: 64); never for a read that covers none. A set bit of
 *     such a vector reads as pending but is never latched: the device's own
 *     pending state stays the device's.
 *   - once, with count 1, before the vector_update that activates a vector
 *     whose software pending bit is set: a set bit drops the software bit,
 *     since the device sends the message it holds once unmasked (two
 *     interrupts while masked are one pending state, one message).
 *   Bits of the answer for active vectors, for vectors whose software bit
 *   is set and past @count are ignored.
 * A hook's @msg points at the message in the object's storage, valid until
 * the hook returns. A hook's failure never leaves the object inconsistent.
 *
 * Re-entry. From inside one of its hooks, a hook may call the object that
 * called it with vmsix_msix_fire(), vmsix_msix_ctrl_read(),
 * vmsix_msix_pending() and vmsix_msix_entry() only; any other call on that
 * object (mmio_read, mmio_write, ctrl_write, reset, save_size, save,
 * restore, init) is not allowed there and its result is undefined. Other
 * objects may be called freely. The three queries see the state as the
 * running call has left it so far: the registers hold what was written,
 * and a vector being activated keeps its pending bit until its
 * vector_update returns. vmsix_msix_fire(vec) from inside a hook:
 * - sends at once (deliver, return 1) when vec is live: active, and its
 *   activation reported (its vector_update(active = true) has returned;
 *   outside the hooks every active vector is live). So is a vector whose
 *   vector_update reports a new message: a fire from inside it sends that.
 * - sends at once (deliver, return 1) when vec is the vector whose
 *   activating vector_update(vec, msg, true) is running, and clears its
 *   pending bit: that message is the pending one (a device sending what it
 *   held while masked), and none follows when the hook returns.
 * - otherwise sets vec's pending bit (return 0). vec is then effectively
 *   masked (this includes a vector whose vector_update(active = false) is
 *   running, and every vector that a running Message Control write, reset
 *   or restore deactivates), or active but not yet reported (a later
 *   vector of a Message Control write or restore that activates several,
 *   or the vector whose activation asks pending_poll), which its
 *   activation sends after its vector_update(active = true) (unless
 *   pending_poll's answer drops the bit). A running reset then clears the
 *   bit, and a running restore replaces the bits it set while deactivating
 *   with the saved ones.
 *
 * An object pointer that did not come from a successful vmsix_msix_init()
 * (storage never initialized, or left by a failed init) is refused as a
 * NULL one is: -EINVAL, or the documented NULL result (0; reset does
 * nothing). Only a marker at the start of the storage is read; nothing is
 * written and no hook is called.
 *
 * Memory: vmsix_msix_storage_size(nvec) = a constant header + 16 bytes per
 * vector (address, data, Vector Control) + 2 bits per vector (pending, and
 * whether vmsix_msix_fire() may send at once), each bitmap rounded up to
 * qwords: 16.25 bytes per vector.
 *
 * The object takes no locks: calls on one object must be serialized by the
 * caller. It keeps no pointer to anything but its own storage, the ops
 * (copied) and ctx.
 */
#ifndef VMSIX_MSIX_TABLE_H
#define VMSIX_MSIX_TABLE_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIX_MSIX_MAX_VECTORS 2048
#define VMSIX_MSIX_ENTRY_SIZE 16

/* Message Control bits (the 16-bit register at capability offset 2). */
#define VMSIX_MSIX_CTRL_ENABLE 0x8000u
#define VMSIX_MSIX_CTRL_FMASK 0x4000u
#define VMSIX_MSIX_CTRL_QSIZE 0x07ffu

/* Policy flags (struct vmsix_msix_params.flags). */
/* A message change of an active vector is not reported at once: the owner
 * learns the new message when the vector next becomes active (after a mask
 * and unmask). deliver() always passes the message now in the table. */
#define VMSIX_MSIX_DEFER_UPDATE 0x1u
/* Undefined reads (see above) return all ones instead of 0. */
#define VMSIX_MSIX_UNDEF_READS_ONES 0x2u

struct vmsix_msix_params {
    uint16_t nvec;      /* 1..2048 */
    uint32_t table_off; /* 8-byte aligned */
    uint32_t pba_off;   /* 8-byte aligned, must not overlap the table */
    uint32_t flags;     /* VMSIX_MSIX_*; 0 = the defaults above */
};

/*
 * Hooks of an object. ctx is the pointer given to vmsix_msix_init().
 *
 * The struct carries its own size so that it can grow without breaking
 * callers: set @size to sizeof(struct vmsix_msix_ops) as you compile it.
 * Add new members only at the end; NULL must keep the old behaviour. A
 * caller built with an older msix_table.h passes a smaller size, and the
 * members it lacks are taken as NULL; a caller built with a newer one
 * passes a larger size, accepted when every member this library does not
 * know is 0 (vmsix_msix_init() returns -ENOTSUP otherwise: a hook set that
 * this library would not call).
 */
struct vmsix_msix_ops {
    size_t size; /* sizeof(struct vmsix_msix_ops); >= VMSIX_MSIX_OPS_SIZE_V1 */
    /* Send @msg for vector @vec (required). */
    void (*deliver)(void *ctx, uint16_t vec, const struct vmsix_msg *msg);
    /* Vector @vec became active or inactive, or its message changed while
     * active (required). A negative return is passed on by the call that
     * caused it; the guest-visible state is not rolled back. */
    int (*vector_update)(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active);
    /* Optional: the device's own pending bits of vectors [@first, @first + @count):
     * bit i of the result for vector first + i; 1 <= count <= 64, first + count <= nvec.
     * (See the call rules above.) */
    uint64_t (*pending_poll)(void *ctx, uint16_t first, unsigned count);
};

/* The size of struct vmsix_msix_ops in its first sized version (through
 * pending_poll): the smallest @size vmsix_msix_init() accepts. */
#define VMSIX_MSIX_OPS_SIZE_V1                                                                     \
    (offsetof(struct vmsix_msix_ops, pending_poll) +                                               \
     sizeof(((struct vmsix_msix_ops *)0)->pending_poll))

struct vmsix_msix;

/**
 * vmsix_msix_storage_size() - bytes of storage an object of @nvec vectors needs.
 * @nvec: 1..2048
 *
 * Return: the size, or 0 for a bad @nvec.
 */
VMSIX_API size_t vmsix_msix_storage_size(uint16_t nvec);

/**
 * vmsix_msix_init() - make an object in caller storage, in the reset state.
 * @mem: storage, 8-byte aligned
 * @len: bytes at @mem, at least vmsix_msix_storage_size(@p->nvec)
 * @p: vector count, table and PBA offsets, policy flags
 * @ops: hooks (copied; @ops->size set as struct vmsix_msix_ops says);
 *       deliver and vector_update are required
 * @ctx: passed to the hooks
 * @out: receives the object
 *
 * Calls no hook. Return: 0; -EINVAL for any bad argument (short or
 * misaligned storage, nvec out of range, misaligned or overlapping table
 * and PBA, regions past 4 GiB, unknown flags, missing hooks, @ops->size
 * below VMSIX_MSIX_OPS_SIZE_V1 or above 1024); -ENOTSUP (@ops->size is
 * larger than this library's struct and a byte past it is not 0: a hook
 * this library does not know). On error neither @mem nor *@out is written.
 */
VMSIX_API int vmsix_msix_init(void *mem, size_t len, const struct vmsix_msix_params *p,
                              const struct vmsix_msix_ops *ops, void *ctx, struct vmsix_msix **out);

/**
 * vmsix_msix_mmio_read() - a guest read of the table BAR.
 * @m: the object
 * @off: offset in the BAR
 * @size: bytes
 * @val: receives the value (little-endian, in the low @size bytes)
 *
 * May call pending_poll, once (a PBA read covering a masked vector whose
 * software pending bit is clear).
 * Return: 0 (also for undefined accesses, which read 0 or all ones);
 * -ERANGE when no byte of the access is in the table or the PBA (*@val
 * unwritten); -EINVAL for a NULL argument or @size 0.
 */
VMSIX_API int vmsix_msix_mmio_read(struct vmsix_msix *m, uint64_t off, unsigned size,
                                   uint64_t *val);

/**
 * vmsix_msix_mmio_write() - a guest write to the table BAR.
 * @m: the object
 * @off: offset in the BAR
 * @size: bytes
 * @val: the value (the low @size bytes)
 *
 * May call, for the vector written: vector_update; when it becomes active
 * with its pending bit set, pending_poll (count 1) before it and deliver
 * after it.
 * Return: 0 (also for dropped undefined accesses); -ERANGE when no byte of
 * the access is in the table or the PBA; -EINVAL for a NULL @m or @size 0;
 * the first negative value vector_update returned.
 */
VMSIX_API int vmsix_msix_mmio_write(struct vmsix_msix *m, uint64_t off, unsigned size,
                                    uint64_t val);

/**
 * vmsix_msix_ctrl_read() - Message Control as the guest reads it.
 * @m: the object (NULL reads 0)
 *
 * Calls no hook. Return: Enable, Function Mask and Table Size.
 */
VMSIX_API uint16_t vmsix_msix_ctrl_read(const struct vmsix_msix *m);

/**
 * vmsix_msix_ctrl_write() - a guest write of Message Control.
 * @m: the object
 * @val: the new register value; only bits 15 and 14 are taken
 *
 * For each vector in ascending order whose active state changes: calls
 * pending_poll (count 1) when it becomes active with its pending bit set,
 * vector_update, then deliver when it became active with its pending bit
 * set. Return: 0; -EINVAL for a NULL @m; the first negative value
 * vector_update returned (the write still happens for every vector).
 */
VMSIX_API int vmsix_msix_ctrl_write(struct vmsix_msix *m, uint16_t val);

/**
 * vmsix_msix_fire() - the device asks to send vector @vec.
 * @m: the object
 * @vec: the vector
 *
 * Calls deliver when the vector is active; otherwise sets its pending bit.
 * May be called from inside the object's own hooks (see Re-entry above).
 * Return: 1 sent, 0 pended, -EINVAL for a NULL @m or @vec >= nvec.
 */
VMSIX_API int vmsix_msix_fire(struct vmsix_msix *m, uint16_t vec);

/**
 * vmsix_msix_pending() - the software pending bit of @vec (not polled).
 * @m: the object
 * @vec: the vector
 *
 * Calls no hook. Return: 1, 0, or -EINVAL.
 */
VMSIX_API int vmsix_msix_pending(const struct vmsix_msix *m, uint16_t vec);

/**
 * vmsix_msix_entry() - a vector's table entry as the guest wrote it.
 * @m: the object
 * @vec: the vector
 * @msg: receives address and data (may be NULL)
 * @vector_ctrl: receives Vector Control (may be NULL)
 *
 * Calls no hook. Return: 1 when the vector is active, 0 when it is
 * effectively masked, -EINVAL for a bad argument.
 */
VMSIX_API int vmsix_msix_entry(const struct vmsix_msix *m, uint16_t vec, struct vmsix_msg *msg,
                               uint32_t *vector_ctrl);

/**
 * vmsix_msix_reset() - back to the reset state (function or bus reset, FLR).
 * @m: the object (NULL is ignored)
 *
 * Calls vector_update(vec, msg, false), in ascending order, for each vector
 * that was active, with the message it had; its return value is ignored.
 */
VMSIX_API void vmsix_msix_reset(struct vmsix_msix *m);

/**
 * vmsix_msix_save_size() - bytes vmsix_msix_save() writes for @m.
 * @m: the object
 *
 * Return: the size, or 0 for a NULL @m.
 */
VMSIX_API size_t vmsix_msix_save_size(const struct vmsix_msix *m);

/**
 * vmsix_msix_save() - write the whole state into a self-describing buffer.
 * @m: the object
 * @buf: destination
 * @len: bytes at @buf
 * @used: receives the bytes written (or needed, with -ENOSPC)
 *
 * Format (little-endian): magic "VMSX", version 1, header size, nvec,
 * table and PBA offsets, flags, Message Control, then 16 bytes per entry,
 * then the PBA qwords, then a CRC-32 of everything before it.
 * Calls no hook. Return: 0; -ENOSPC when @len is short (*@used = needed);
 * -EINVAL for a NULL argument.
 */
VMSIX_API int vmsix_msix_save(const struct vmsix_msix *m, void *buf, size_t len, size_t *used);

/**
 * vmsix_msix_restore() - load a state saved by vmsix_msix_save().
 * @m: the object; same nvec, offsets and flags as the saved one
 * @buf: the saved bytes
 * @len: bytes at @buf (exactly what save wrote)
 *
 * Everything is validated before anything changes: magic, version, sizes,
 * layout, checksum, Message Control bits other than 15:14, address bits
 * 1:0, pending bits at or past nvec, and pending bits of vectors that
 * would be active (a state no sequence of operations reaches). Then calls
 * vector_update(vec, msg, false) for each vector active before (with its
 * old message) and vector_update(vec, msg, true) for each vector active
 * after, in ascending order.
 * Return: 0; -EINVAL (nothing changed, no hook called) for a bad buffer or
 * argument; the first negative value vector_update returned.
 */
VMSIX_API int vmsix_msix_restore(struct vmsix_msix *m, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_MSIX_TABLE_H */
