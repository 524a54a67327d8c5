/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/capchain.h - walking and editing PCI capability chains.
 *
 * All functions work on a caller-owned copy of a function's configuration
 * space ("the view"): cfg[0..len). The bytes are untrusted: no input makes
 * these functions read or write outside the view. Views shorter than 64
 * bytes are refused; a view of 256 bytes or less has no extended space;
 * bytes past 4096 are ignored. None of these functions calls a hook.
 *
 * Rules (DESIGN 4.1):
 * - The standard list exists only when Status bit 4 is set; its head is at
 *   0x34 (header types 0 and 1) or 0x14 (type 2, CardBus); other header
 *   types have no list. Every pointer, the head included, has its low two
 *   bits masked; 0 ends the list; a pointer below 0x40 is BADPTR; a repeated
 *   pointer is LOOP.
 * - Extended capabilities are decoded only on PCI Express functions (the
 *   standard list holds a PCI Express capability) and only when the
 *   standard walk had no fault. They start at 0x100; a header of all zeroes
 *   or all ones ends the list without error; a next pointer below 0x100 or
 *   not dword aligned is BADPTR; a repeat is LOOP.
 * - Lengths: MSI 10/14/20/24 bytes (64-bit address, per-vector masking),
 *   MSI-X 12, Power Management 8, PCI Express 60 for version 2; version 1
 *   holds only the register blocks of its device/port type: 36 for root
 *   ports and event collectors, 28 for a switch downstream port with Slot
 *   Implemented, 12 for a root-complex integrated endpoint, 20 otherwise. Any
 *   other ID is measured to the next higher capability of the same kind,
 *   else to 0x100 (standard) or to the end of the view (extended), and is
 *   clipped to the view.
 * - A pointer that leads outside the view, or a known length that runs past
 *   the view (or past 0xFF for a standard capability), is TRUNCATED and the
 *   capability is not listed. Parse stops at the first fault.
 */
#ifndef VMSIX_CAPCHAIN_H
#define VMSIX_CAPCHAIN_H

#include <vmsix/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Standard capability IDs with a known length, and a few others. */
#define VMSIX_CAP_ID_PM 0x01
#define VMSIX_CAP_ID_MSI 0x05
#define VMSIX_CAP_ID_VNDR 0x09
#define VMSIX_CAP_ID_EXP 0x10
#define VMSIX_CAP_ID_MSIX 0x11
#define VMSIX_CAP_ID_AF 0x13 /* Advanced Features (conventional PCI FLR) */

/* Extended capability IDs used by vmsix. */
#define VMSIX_ECAP_ID_AER 0x0001
#define VMSIX_ECAP_ID_VNDR 0x000b

/* Capacity of struct vmsix_capchain (48 standard + 960 extended fit). */
#define VMSIX_CAPCHAIN_MAX 1024

/* Why a chain is malformed (struct vmsix_capchain.flags). */
#define VMSIX_CHAIN_LOOP 0x1u      /* a pointer repeats an earlier one */
#define VMSIX_CHAIN_BADPTR 0x2u    /* a pointer into the header / not aligned */
#define VMSIX_CHAIN_TRUNCATED 0x4u /* a pointer or length runs past the view */
/* set with the above: the fault is in the extended list */
#define VMSIX_CHAIN_EXT 0x8u

/* One capability as parse found it. */
struct vmsix_cap {
    uint16_t off; /* offset of the capability header */
    uint16_t id;  /* 8-bit for standard, 16-bit for extended */
    uint16_t len; /* bytes it occupies (see the length rules above) */
    bool ext;     /* extended capability (offset >= 0x100) */
    uint8_t ver;  /* extended capability version, 0 for standard */
};

/* A parsed chain. It is large (about 10 KiB): do not put it on a small stack. */
struct vmsix_capchain {
    struct vmsix_cap cap[VMSIX_CAPCHAIN_MAX]; /* in chain order, standard first */
    unsigned n;                               /* entries used in cap[] */
    unsigned flags;                           /* VMSIX_CHAIN_*; 0 when well formed */
    uint16_t fault_at;                        /* offset of the pointer or header where the
                                                 fault was seen, 0 when none */
    bool pcie;                                /* a PCI Express capability was found */
};

/**
 * vmsix_capchain_parse() - walk the standard and extended lists of a view.
 * @cfg: the configuration-space bytes (untrusted)
 * @len: bytes in @cfg; >= 64
 * @out: receives every capability found before the first fault
 *
 * Return: 0 when both lists are well formed; -EBADMSG when a list is
 * malformed (@out holds what was found before the fault, @out->flags says
 * why); -EINVAL for a NULL argument or @len < 64 (@out then untouched).
 */
VMSIX_API int vmsix_capchain_parse(const uint8_t *cfg, size_t len, struct vmsix_capchain *out);

/**
 * vmsix_capchain_find() - first capability of a kind with an ID.
 * @c: a chain filled by vmsix_capchain_parse()
 * @ext: search the extended (true) or the standard (false) capabilities
 * @id: the capability ID
 * @out: receives the capability; may be NULL to test for presence
 *
 * Return: 0 when found; -ENOENT when not; -EINVAL for a NULL @c.
 */
VMSIX_API int vmsix_capchain_find(const struct vmsix_capchain *c, bool ext, uint16_t id,
                                  struct vmsix_cap *out);

/**
 * vmsix_capchain_lookup() - find a capability without building a chain.
 * @cfg: the configuration-space bytes (untrusted)
 * @len: bytes in @cfg; >= 64
 * @ext: look in the extended (true) or the standard (false) list
 * @id: the capability ID
 * @out: receives the first one in chain order, as parse would list it
 *       (may be NULL)
 * @flags: receives the VMSIX_CHAIN_* flags of the whole walk (may be NULL)
 *
 * The same walk as vmsix_capchain_parse() in constant, small stack space.
 * Return: 0 when found; -ENOENT when parse would not list it; -EINVAL for a
 * NULL @cfg or @len < 64.
 */
VMSIX_API int vmsix_capchain_lookup(const uint8_t *cfg, size_t len, bool ext, uint16_t id,
                                    struct vmsix_cap *out, unsigned *flags);

/**
 * vmsix_capchain_hide() - unlink a capability from its list.
 * @cfg: the view to edit in place
 * @len: bytes in @cfg
 * @ext: which list
 * @off: offset of a capability that vmsix_capchain_parse() lists
 *
 * A standard capability is unlinked by pointing its predecessor (or the
 * head pointer) at its successor; Status bit 4 stays set even when the list
 * becomes empty. An extended capability other than the first is unlinked
 * the same way; the first one (at 0x100) cannot be unlinked and gets ID 0,
 * keeping its version and next pointer. The hidden body is left as it is.
 * In a malformed list that loops back into the capability, the pointer
 * that would reach it again is cleared too, so a hidden capability is never
 * listed again (the first extended one is listed with ID 0). The low two
 * bits of a standard pointer byte are kept.
 *
 * Return: 0; -ENOENT when @off is not a listed capability of that kind;
 * -EINVAL for bad arguments.
 */
VMSIX_API int vmsix_capchain_hide(uint8_t *cfg, size_t len, bool ext, uint16_t off);

/**
 * vmsix_capchain_replace() - put another capability in place of one.
 * @cfg: the view to edit in place
 * @len: bytes in @cfg
 * @ext: which list
 * @off: offset of a capability that vmsix_capchain_parse() lists
 * @cap: the new capability's bytes, header included; its next-pointer field
 *       is ignored (the old next pointer is kept)
 * @cap_len: bytes in @cap: at least the header (2 standard, 4 extended) and
 *           at most the old capability's room
 *
 * The room of a capability is its length rounded up to a dword (the next
 * capability cannot start before), cut where the next higher listed
 * capability starts (a malformed device may overlap them) and at the end
 * of its space: a 10-byte MSI capability takes a 12-byte MSI-X one. The old
 * capability's bytes past @cap_len, up to its length and never into the
 * next capability, are zeroed, so nothing of it remains visible. For an
 * extended capability the new ID and version come from @cap.
 *
 * Return: 0; -ENOENT when @off is not listed; -ENOSPC when @cap_len exceeds
 * the room (nothing changed); -EINVAL for bad arguments.
 */
VMSIX_API int vmsix_capchain_replace(uint8_t *cfg, size_t len, bool ext, uint16_t off,
                                     const uint8_t *cap, size_t cap_len);

/**
 * vmsix_capchain_insert() - add a capability in free space, at the list's end.
 * @cfg: the view to edit in place
 * @len: bytes in @cfg
 * @ext: which list
 * @cap: the new capability's bytes, header included; its next field is
 *       ignored (the new capability ends the list)
 * @cap_len: bytes in @cap (at least the header)
 * @off: in: the offset wanted (dword aligned), or 0 for the lowest free
 *       dword-aligned place; out: where it was put
 *
 * Free space is space that no listed capability occupies, inside 0x40..0xFF
 * (standard) or 0x100..the end of the view (extended). A standard insert
 * into an empty list sets Status bit 4 and the head pointer. An extended
 * insert into an empty list at an offset other than 0x100 first writes a
 * header with ID 0 at 0x100 that points to it. The chain must be well
 * formed, and extended capabilities need a PCI Express function and a view
 * of more than 256 bytes.
 *
 * Return: 0; -ENOSPC when no free place fits (or the wanted one overlaps a
 * capability); -EBADMSG for a malformed chain; -ENOTSUP for a header type
 * without a list or extended space where there is none; -EINVAL for bad
 * arguments.
 */
VMSIX_API int vmsix_capchain_insert(uint8_t *cfg, size_t len, bool ext, const uint8_t *cap,
                                    size_t cap_len, uint16_t *off);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_CAPCHAIN_H */
