/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking and editing capability chains of untrusted configuration bytes
 * (DESIGN 4.1). One walker serves parse, hide, replace and insert, so that
 * every operation sees exactly the chain that parse reports.
 */
#include <string.h>

#include <vmsix/capchain.h>

#include "bytes.h"
#include "capchain_priv.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define CFG_MAX 4096u
#define STD_BASE PCI_STD_CAP_BASE
#define EXT_BASE PCI_EXT_CAP_BASE
#define DWORDS (CFG_MAX / 4u)

struct walker {
    const uint8_t *cfg;
    unsigned view;  /* bytes of cfg looked at: min(len, 4096) */
    unsigned flags; /* VMSIX_CHAIN_* */
    uint16_t fault_at;
    bool pcie;
    /* bit (off / 4): a listed capability starts at off; measures unknown lengths */
    uint64_t seen[DWORDS / 64];
    /* called for each listed capability in chain order; @link is the offset
     * of the pointer that leads to it (the head pointer, the predecessor's
     * next byte, or the predecessor's extended header; 0 for the first
     * extended capability) */
    void (*visit)(void *arg, const struct vmsix_cap *cap, unsigned link);
    void *arg;
};

static bool seen_test(const struct walker *w, unsigned off)
{
    return (w->seen[off / 256u] >> ((off / 4u) % 64u)) & 1u;
}

static void seen_set(struct walker *w, unsigned off)
{
    w->seen[off / 256u] |= (uint64_t)1 << ((off / 4u) % 64u);
}

/* The head pointer's offset; 0 when the header type has no list. */
static unsigned std_head(const uint8_t *cfg)
{
    return pci_header_cap_ptr(pci_header_type(cfg));
}

/*
 * PCI Express capability: version 2 is always 60 bytes. Version 1 holds
 * only the register blocks the function type has (PCIe 1.1 section 7.8):
 * device and link registers (20 bytes; 12 for a Root Complex integrated
 * endpoint, which has no link), slot registers for a downstream port with
 * Slot Implemented (28), root registers for root ports and event
 * collectors (36). Real v1 endpoints end the capability after 20 bytes and
 * may sit at 0xE0 (tests/data/pciutils/tree-fujitsu-p8010, 04:00.0).
 */
static unsigned exp_len(const uint8_t *cap)
{
    unsigned flags = vmsix_rd16(cap + PCI_EXP_FLAGS);
    unsigned type = (flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT;

    if ((flags & PCI_EXP_FLAGS_VERS) != 1)
        return PCI_EXP_V2_LEN;
    switch (type) {
    case PCI_EXP_TYPE_ROOT_PORT:
    case PCI_EXP_TYPE_RC_EC:
        return PCI_EXP_V1_LEN_ROOT;
    case PCI_EXP_TYPE_DOWNSTREAM:
        return (flags & PCI_EXP_FLAGS_SLOT) ? PCI_EXP_V1_LEN_SLOT : PCI_EXP_V1_LEN;
    case PCI_EXP_TYPE_RC_END:
        return PCI_EXP_V1_LEN_RC_END;
    default:
        return PCI_EXP_V1_LEN;
    }
}

/* Length of a standard capability whose ID fixes it, from the bytes at
 * cap[0..3] (ID, next, two bytes of flags); 0 when the ID does not. */
static unsigned std_known_len(const uint8_t *cap)
{
    switch (cap[0]) {
    case VMSIX_CAP_ID_PM:
        return PCI_PM_CAP_LEN;
    case VMSIX_CAP_ID_MSI: {
        unsigned mc = vmsix_rd16(cap + PCI_MSI_FLAGS);
        unsigned n = PCI_MSI_LEN_BASE;
        if (mc & PCI_MSI_FLAGS_64BIT)
            n += PCI_MSI_LEN_ADDR64;
        if (mc & PCI_MSI_FLAGS_MASKBIT)
            n += PCI_MSI_LEN_MASKBIT;
        return n;
    }
    case VMSIX_CAP_ID_MSIX:
        return PCI_MSIX_CAP_LEN;
    case VMSIX_CAP_ID_EXP:
        return exp_len(cap);
    default:
        return 0;
    }
}

static bool std_needs_flags(uint8_t id)
{
    return id == VMSIX_CAP_ID_MSI || id == VMSIX_CAP_ID_EXP;
}

static void fault(struct walker *w, unsigned why, unsigned at)
{
    w->flags |= why;
    w->fault_at = (uint16_t)at;
}

static void walk_std(struct walker *w)
{
    const uint8_t *cfg = w->cfg;
    unsigned link = std_head(cfg);

    if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST) || link == 0)
        return;
    for (;;) {
        unsigned off = cfg[link] & PCI_CAP_PTR_MASK;
        struct vmsix_cap cap;

        if (off == 0)
            return;
        if (off < STD_BASE) {
            fault(w, VMSIX_CHAIN_BADPTR, link);
            return;
        }
        if (seen_test(w, off)) {
            fault(w, VMSIX_CHAIN_LOOP, link);
            return;
        }
        if (off + 2u > w->view || (std_needs_flags(cfg[off]) && off + 4u > w->view)) {
            fault(w, VMSIX_CHAIN_TRUNCATED, link);
            return;
        }
        cap.off = (uint16_t)off;
        cap.id = cfg[off];
        cap.len = (uint16_t)std_known_len(cfg + off);
        cap.ext = false;
        cap.ver = 0;
        if (cap.len && (off + cap.len > w->view || off + cap.len > EXT_BASE)) {
            fault(w, VMSIX_CHAIN_TRUNCATED, off);
            return;
        }
        seen_set(w, off);
        if (cap.id == VMSIX_CAP_ID_EXP)
            w->pcie = true;
        w->visit(w->arg, &cap, link);
        link = off + 1;
    }
}

static void walk_ext(struct walker *w)
{
    unsigned off = EXT_BASE;
    unsigned link = 0;

    for (;;) {
        struct vmsix_cap cap;
        uint32_t hdr;
        unsigned next;

        if (off + 4u > w->view) {
            fault(w, VMSIX_CHAIN_TRUNCATED | VMSIX_CHAIN_EXT, link ? link : off);
            return;
        }
        hdr = vmsix_rd32(w->cfg + off);
        if (hdr == 0 || hdr == 0xffffffffu)
            return;
        cap.off = (uint16_t)off;
        cap.id = (uint16_t)(hdr & PCI_EXT_CAP_ID_MASK);
        cap.len = 0;
        cap.ext = true;
        cap.ver = (uint8_t)((hdr >> PCI_EXT_CAP_VER_SHIFT) & PCI_EXT_CAP_VER_MASK);
        seen_set(w, off);
        w->visit(w->arg, &cap, link);

        next = hdr >> PCI_EXT_CAP_NEXT_SHIFT;
        if (next == 0)
            return;
        if (next < EXT_BASE || (next & 3u)) {
            fault(w, VMSIX_CHAIN_BADPTR | VMSIX_CHAIN_EXT, off);
            return;
        }
        if (seen_test(w, next)) {
            fault(w, VMSIX_CHAIN_LOOP | VMSIX_CHAIN_EXT, off);
            return;
        }
        link = off;
        off = next;
    }
}

/* Walk both lists; returns false for a bad view. The visited bitmap bounds
 * each walk: 48 standard and 960 extended positions at most. */
static bool walk(struct walker *w, const uint8_t *cfg, size_t len,
                 void (*visit)(void *, const struct vmsix_cap *, unsigned), void *arg)
{
    if (!cfg || len < 64)
        return false;
    memset(w, 0, sizeof(*w));
    w->cfg = cfg;
    w->view = len > CFG_MAX ? CFG_MAX : (unsigned)len;
    w->visit = visit;
    w->arg = arg;
    walk_std(w);
    if (w->flags == 0 && w->pcie && w->view > EXT_BASE)
        walk_ext(w);
    return true;
}

/* Length of a listed capability: known from its ID, else up to the next
 * higher capability of the same kind, else to 0x100 or the end of the view. */
static uint16_t cap_len(const struct walker *w, const struct vmsix_cap *cap)
{
    unsigned end, first, last, d;

    if (cap->len)
        return cap->len;
    if (cap->ext) {
        end = w->view;
        last = DWORDS;
    } else {
        end = w->view < EXT_BASE ? w->view : EXT_BASE;
        last = EXT_BASE / 4u;
    }
    first = cap->off / 4u + 1u;
    for (d = first; d < last && d * 4u < end; d++) {
        uint64_t word = w->seen[d / 64u] >> (d % 64u);
        if (word == 0) {
            d |= 63u; /* nothing else in this word */
            continue;
        }
        if (word & 1u) {
            end = d * 4u;
            break;
        }
    }
    return (uint16_t)(end - cap->off);
}

/* ---- parse / find ---- */

struct parse_ctx {
    struct vmsix_capchain *out;
};

static void parse_visit(void *arg, const struct vmsix_cap *cap, unsigned link)
{
    struct vmsix_capchain *out = ((struct parse_ctx *)arg)->out;

    (void)link;
    /* cannot overflow: 48 + 960 positions < VMSIX_CAPCHAIN_MAX */
    if (out->n < VMSIX_CAPCHAIN_MAX)
        out->cap[out->n++] = *cap;
}

int vmsix_capchain_parse(const uint8_t *cfg, size_t len, struct vmsix_capchain *out)
{
    struct walker w;
    struct parse_ctx pc;
    unsigned i;

    if (!out)
        return -EINVAL;
    pc.out = out;
    if (!cfg || len < 64)
        return -EINVAL;
    out->n = 0;
    walk(&w, cfg, len, parse_visit, &pc);
    for (i = 0; i < out->n; i++)
        out->cap[i].len = cap_len(&w, &out->cap[i]);
    out->flags = w.flags;
    out->fault_at = w.fault_at;
    out->pcie = w.pcie;
    return w.flags ? -EBADMSG : 0;
}

int vmsix_capchain_find(const struct vmsix_capchain *c, bool ext, uint16_t id,
                        struct vmsix_cap *out)
{
    unsigned i, n;

    if (!c)
        return -EINVAL;
    n = c->n < VMSIX_CAPCHAIN_MAX ? c->n : VMSIX_CAPCHAIN_MAX;
    for (i = 0; i < n; i++) {
        if (c->cap[i].ext == ext && c->cap[i].id == id) {
            if (out)
                *out = c->cap[i];
            return 0;
        }
    }
    return -ENOENT;
}

/* ---- lookup without a chain ---- */

struct lookup_ctx {
    bool ext;
    uint16_t id;
    bool found;
    struct vmsix_cap cap;
};

static void lookup_visit(void *arg, const struct vmsix_cap *cap, unsigned link)
{
    struct lookup_ctx *lc = arg;

    (void)link;
    if (!lc->found && cap->ext == lc->ext && cap->id == lc->id) {
        lc->found = true;
        lc->cap = *cap;
    }
}

int vmsix_capchain_lookup(const uint8_t *cfg, size_t len, bool ext, uint16_t id,
                          struct vmsix_cap *out, unsigned *flags)
{
    struct walker w;
    struct lookup_ctx lc;

    memset(&lc, 0, sizeof(lc));
    lc.ext = ext;
    lc.id = id;
    if (!walk(&w, cfg, len, lookup_visit, &lc))
        return -EINVAL;
    if (flags)
        *flags = w.flags;
    if (!lc.found)
        return -ENOENT;
    if (out) {
        *out = lc.cap;
        out->len = cap_len(&w, &lc.cap);
    }
    return 0;
}

/* ---- one walk with a visitor (capchain_priv.h) ---- */

struct each_ctx {
    void (*visit)(void *arg, const struct vmsix_cap *cap);
    void *arg;
};

static void each_visit(void *arg, const struct vmsix_cap *cap, unsigned link)
{
    struct each_ctx *ec = arg;

    (void)link;
    ec->visit(ec->arg, cap);
}

unsigned vmsix_capchain_walk(const uint8_t *cfg, size_t len,
                             void (*visit)(void *arg, const struct vmsix_cap *cap), void *arg)
{
    struct walker w;
    struct each_ctx ec;

    ec.visit = visit;
    ec.arg = arg;
    if (!visit || !walk(&w, cfg, len, each_visit, &ec))
        return VMSIX_CHAIN_TRUNCATED;
    return w.flags;
}

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
    if (!walk(w, cfg, len, locate_visit, lc))
        return -EINVAL;
    if (!lc->found)
        return -ENOENT;
    lc->cap.len = cap_len(w, &lc->cap);
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
        vmsix_wr32(cfg + off, vmsix_rd32(cfg + off) & 0xffff0000u);
        return 0;
    }
    relink(cfg, ext, lc.link, ext ? vmsix_rd32(cfg + off) >> 20 : cfg[off + 1u]);
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
    limit = cap_len(w, &gap); /* distance to the next capability or the end */
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
        c.len = ext ? 0 : (uint16_t)std_known_len(w->cfg + c.off);
        c.len = cap_len(w, &c);
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
    if (!walk(&w, cfg, len, insert_visit, &ic))
        return -EINVAL;
    if (w.flags)
        return -EBADMSG;

    need = (unsigned)cap_len_new;
    if (!ext) {
        unsigned known = cap_len_new >= 4 ? std_known_len(cap) : 0;
        head = std_head(cfg);
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
