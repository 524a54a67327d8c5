/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Editing capability chains of untrusted configuration bytes in place
 * (DESIGN 4.1 rule 4): hide, replace and insert, each on the chain the one
 * walker of capchain.c reports.
 */
#include <string.h>

#include <vmsix/capchain.h>

#include "bytes.h"
#include "capchain_priv.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define CFG_MAX CAPCHAIN_CFG_MAX
#define STD_BASE PCI_STD_CAP_BASE
#define EXT_BASE PCI_EXT_CAP_BASE
#define DWORDS CAPCHAIN_DWORDS

/* ---- locating one capability (hide, replace) ---- */

struct locate_ctx {
    bool ext;
    uint16_t off;
    bool found;
    struct vmsix_cap cap;
    unsigned link;
};

static void locate_visit(void *arg, const struct vmsix_cap *cap, unsigned link)
{
    struct locate_ctx *lc = arg;

    if (cap->ext == lc->ext && cap->off == lc->off) {
        lc->found = true;
        lc->cap = *cap;
        lc->link = link;
    }
}

/* 0 and lc filled (length measured) when parse would list (ext, off). */
static int locate(struct walker *w, const uint8_t *cfg, size_t len, bool ext, uint16_t off,
                  struct locate_ctx *lc)
{
    memset(lc, 0, sizeof(*lc));
    lc->ext = ext;
    lc->off = off;
    if (!vmsix_capchain_walker_run(w, cfg, len, locate_visit, lc))
        return -EINVAL;
    if (!lc->found)
        return -ENOENT;
    lc->cap.len = vmsix_capchain_cap_len(w, &lc->cap);
    return 0;
}

/* The ID and version of a new extended header, from the caller's bytes
 * (its next pointer is not taken). */
static uint32_t ext_id_ver(const uint8_t *cap)
{
    return vmsix_rd16(cap) | ((uint32_t)(cap[2] & PCI_EXT_CAP_VER_MASK) << PCI_EXT_CAP_VER_SHIFT);
}

/* Make the pointer at @link (a standard next byte or head, or an extended
 * header) point to @to, keeping everything else in it. */
static void relink(uint8_t *cfg, bool ext, unsigned link, unsigned to)
{
    if (!ext) {
        cfg[link] = (uint8_t)((cfg[link] & ~PCI_CAP_PTR_MASK) | (to & PCI_CAP_PTR_MASK));
    } else {
        uint32_t hdr = vmsix_rd32(cfg + link);
        vmsix_wr32(cfg + link,
                   (hdr & PCI_EXT_CAP_ID_VER_MASK) | ((uint32_t)to << PCI_EXT_CAP_NEXT_SHIFT));
    }
}

int vmsix_capchain_hide(uint8_t *cfg, size_t len, bool ext, uint16_t off)
{
    struct walker w;
    struct locate_ctx lc;
    int rc = locate(&w, cfg, len, ext, off, &lc);

    if (rc)
        return rc;
    if (ext && lc.link == 0) {
        /* the first extended capability cannot be unlinked */
        vmsix_wr32(cfg + off, vmsix_rd32(cfg + off) & ~PCI_EXT_CAP_ID_MASK);
        return 0;
    }
    relink(cfg, ext, lc.link,
           ext ? vmsix_rd32(cfg + off) >> PCI_EXT_CAP_NEXT_SHIFT : cfg[off + PCI_CAP_NEXT]);
    /* A list that loops back into the capability still reaches it: cut the
     * pointer that does. The walk then ends before it, so one cut is enough
     * and no loop is left before it. */
    if (locate(&w, cfg, len, ext, off, &lc) == 0)
        relink(cfg, ext, lc.link, 0);
    return 0;
}

/* Bytes a capability may occupy: its length rounded up to a dword (the next
 * capability cannot start before), within its space and the view, and never
 * into the next higher listed capability (a malformed device may overlap). */
static unsigned cap_room(const struct walker *w, const struct vmsix_cap *cap)
{
    struct vmsix_cap gap = *cap;
    unsigned room = (cap->len + 3u) & ~3u;
    unsigned limit;

    gap.len = 0;
    limit = vmsix_capchain_cap_len(w, &gap); /* distance to the next capability or the end */
    return room < limit ? room : limit;
}

int vmsix_capchain_replace(uint8_t *cfg, size_t len, bool ext, uint16_t off, const uint8_t *cap,
                           size_t cap_len_new)
{
    struct walker w;
    struct locate_ctx lc;
    unsigned hdr_len = ext ? 4u : 2u;
    unsigned room;
    int rc;

    if (!cap || cap_len_new < hdr_len)
        return -EINVAL;
    rc = locate(&w, cfg, len, ext, off, &lc);
    if (rc)
        return rc;
    room = cap_room(&w, &lc.cap);
    if (cap_len_new > room)
        return -ENOSPC;
    if (!ext) {
        cfg[off] = cap[0];
    } else {
        uint32_t hdr = vmsix_rd32(cfg + off);
        vmsix_wr32(cfg + off, (hdr & PCI_EXT_CAP_NEXT_MASK) | ext_id_ver(cap));
    }
    memcpy(cfg + off + hdr_len, cap + hdr_len, cap_len_new - hdr_len);
    /* zero what is left of the old capability, never its neighbour */
    if (lc.cap.len < room)
        room = lc.cap.len;
    if (cap_len_new < room)
        memset(cfg + off + cap_len_new, 0, room - cap_len_new);
    return 0;
}

/* ---- insert ---- */

struct insert_ctx {
    bool ext;
    unsigned tail; /* offset of the last capability of the kind, 0 if none */
    unsigned count;
};

static void insert_visit(void *arg, const struct vmsix_cap *cap, unsigned link)
{
    struct insert_ctx *ic = arg;

    (void)link;
    if (cap->ext == ic->ext) {
        ic->tail = cap->off;
        ic->count++;
    }
}

/* Mark in @occ the dwords that the listed capabilities of the kind occupy:
 * each one's room (a capability of unknown length runs to the next one). */
static void occupied(const struct walker *w, bool ext, uint64_t occ[DWORDS / 64u])
{
    unsigned d, last = ext ? DWORDS : EXT_BASE / 4u;

    memset(occ, 0, (DWORDS / 64u) * sizeof(uint64_t));
    for (d = ext ? EXT_BASE / 4u : 0u; d < last; d++) {
        struct vmsix_cap c;
        unsigned end;

        if (!(w->seen[d / 64u] >> (d % 64u) & 1u)) {
            if (!(w->seen[d / 64u] >> (d % 64u)))
                d |= 63u; /* nothing more in this word */
            continue;
        }
        c.off = (uint16_t)(d * 4u);
        c.ext = ext;
        c.len = ext ? 0 : (uint16_t)vmsix_capchain_std_len(w->cfg + c.off);
        c.len = vmsix_capchain_cap_len(w, &c);
        end = (c.off + cap_room(w, &c) + 3u) / 4u;
        for (unsigned e = d; e < end; e++)
            occ[e / 64u] |= (uint64_t)1 << (e % 64u);
    }
}

static bool dword_used(const uint64_t *occ, unsigned d)
{
    return (occ[d / 64u] >> (d % 64u)) & 1u;
}

/* Is [off, off + n) (off dword aligned) clear of every occupied dword? */
static bool range_free(const uint64_t *occ, unsigned off, unsigned n)
{
    unsigned d;

    for (d = off / 4u; d < (off + n + 3u) / 4u; d++)
        if (dword_used(occ, d))
            return false;
    return true;
}

/* The lowest dword-aligned place in [lo, hi) for @need bytes, one pass over
 * the dwords; 0 when there is none. */
static unsigned first_fit(const uint64_t *occ, unsigned lo, unsigned hi, unsigned need)
{
    unsigned d, run = 0;

    for (d = lo / 4u; d * 4u < hi; d++) {
        unsigned pos;

        if (dword_used(occ, d)) {
            run = 0;
            continue;
        }
        run++;
        pos = (d + 1u - run) * 4u;
        if (run * 4u >= need)
            return pos + need <= hi ? pos : 0;
    }
    return 0;
}

int vmsix_capchain_insert(uint8_t *cfg, size_t len, bool ext, const uint8_t *cap,
                          size_t cap_len_new, uint16_t *off)
{
    struct walker w;
    struct insert_ctx ic;
    unsigned hdr_len = ext ? 4u : 2u;
    unsigned lo, hi, need, pos, head = 0;
    uint64_t occ[DWORDS / 64u];
    bool placeholder = false;

    if (!cfg || !cap || !off || cap_len_new < hdr_len || cap_len_new > CFG_MAX)
        return -EINVAL;
    memset(&ic, 0, sizeof(ic));
    ic.ext = ext;
    if (!vmsix_capchain_walker_run(&w, cfg, len, insert_visit, &ic))
        return -EINVAL;
    if (w.flags)
        return -EBADMSG;

    need = (unsigned)cap_len_new;
    if (!ext) {
        unsigned known = cap_len_new >= 4 ? vmsix_capchain_std_len(cap) : 0;
        head = vmsix_capchain_std_head(cfg);
        if (head == 0)
            return -ENOTSUP;
        if (known > need)
            need = known;
        lo = STD_BASE;
        hi = w.view < EXT_BASE ? w.view : EXT_BASE;
    } else {
        if (!w.pcie || w.view < EXT_BASE + 4u)
            return -ENOTSUP;
        lo = EXT_BASE;
        hi = w.view;
        /* an empty list placed away from 0x100 needs a header there */
        placeholder = ic.count == 0 && *off != 0 && *off != EXT_BASE;
    }

    occupied(&w, ext, occ);
    if (*off) {
        pos = *off;
        if ((pos & 3u) || pos < lo || pos + need > hi)
            return -EINVAL;
        if (!range_free(occ, pos, need) || (placeholder && pos < EXT_BASE + 4u))
            return -ENOSPC;
    } else {
        pos = first_fit(occ, lo, hi, need);
        if (pos == 0)
            return -ENOSPC;
    }

    if (!ext) {
        cfg[pos] = cap[0];
        cfg[pos + 1u] = 0;
        memcpy(cfg + pos + 2u, cap + 2u, cap_len_new - 2u);
        if (ic.count == 0) {
            cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
            cfg[head] = (uint8_t)pos;
        } else {
            cfg[ic.tail + 1u] = (uint8_t)((cfg[ic.tail + 1u] & ~PCI_CAP_PTR_MASK) | pos);
        }
    } else {
        vmsix_wr32(cfg + pos, ext_id_ver(cap));
        memcpy(cfg + pos + 4u, cap + 4u, cap_len_new - 4u);
        if (placeholder) {
            vmsix_wr32(cfg + EXT_BASE, (uint32_t)pos << PCI_EXT_CAP_NEXT_SHIFT);
        } else if (ic.count != 0) {
            uint32_t prev = vmsix_rd32(cfg + ic.tail);
            vmsix_wr32(cfg + ic.tail, (prev & PCI_EXT_CAP_ID_VER_MASK) |
                                          ((uint32_t)pos << PCI_EXT_CAP_NEXT_SHIFT));
        }
    }
    *off = (uint16_t)pos;
    return 0;
}
