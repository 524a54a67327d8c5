/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking capability chains of untrusted configuration bytes (DESIGN 4.1):
 * the one walker, and parse, find and lookup on it. The walker also serves
 * the edits (capchain_edit.c), so that every operation sees exactly the
 * chain that parse reports.
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

static bool seen_test(const struct walker *w, unsigned off)
{
    return (w->seen[off / 256u] >> ((off / 4u) % 64u)) & 1u;
}

static void seen_set(struct walker *w, unsigned off)
{
    w->seen[off / 256u] |= (uint64_t)1 << ((off / 4u) % 64u);
}

/* The head pointer's offset; 0 when the header type has no list. */
unsigned vmsix_capchain_std_head(const uint8_t *cfg)
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
unsigned vmsix_capchain_std_len(const uint8_t *cap)
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
    unsigned link = vmsix_capchain_std_head(cfg);

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
        cap.len = (uint16_t)vmsix_capchain_std_len(cfg + off);
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
bool vmsix_capchain_walker_run(struct walker *w, const uint8_t *cfg, size_t len,
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
uint16_t vmsix_capchain_cap_len(const struct walker *w, const struct vmsix_cap *cap)
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
    vmsix_capchain_walker_run(&w, cfg, len, parse_visit, &pc);
    for (i = 0; i < out->n; i++)
        out->cap[i].len = vmsix_capchain_cap_len(&w, &out->cap[i]);
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
    if (!vmsix_capchain_walker_run(&w, cfg, len, lookup_visit, &lc))
        return -EINVAL;
    if (flags)
        *flags = w.flags;
    if (!lc.found)
        return -ENOENT;
    if (out) {
        *out = lc.cap;
        out->len = vmsix_capchain_cap_len(&w, &lc.cap);
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
    if (!visit || !vmsix_capchain_walker_run(&w, cfg, len, each_visit, &ec))
        return VMSIX_CHAIN_TRUNCATED;
    return w.flags;
}
