/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSI-X on multi-message MSI, the pure part (DESIGN 4.3): whether a
 * function qualifies, the layout decided once from its configuration
 * bytes, and the guest view made of those bytes in place. No device, no
 * hook.
 */
#include <string.h>

#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>
#include <vmsix/capchain.h>
#include <vmsix/msix_on_msi.h>
#include <vmsix/msix_table.h>

#include "bits.h"
#include "bytes.h"
#include "capchain_priv.h"
#include "msix_on_msi_priv.h"
#include "pci_regs.h"
#include "vmsix_errno.h"

#define DEFAULT_BAR_SIZE 4096u
#define MAX_BAR_SIZE 0x80000000u /* a 32-bit memory BAR */
#define MAX_SLOT 5u

static const char *const reason_names[] = {
    "no-msi",      "has-msix", "single-vector",   "no-per-vector-mask",
    "no-free-bar", "bridge",   "malformed-chain", "truncated",
};

const char *vmsix_elig_reason_name(uint32_t reason)
{
    unsigned i;

    for (i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++)
        if (reason == (1u << i))
            return reason_names[i];
    return NULL;
}

/* Standard capabilities fit in 0x40..0xff, a dword each at least. */
#define MAX_STD_CAPS ((PCI_CFG_SPACE_SIZE - PCI_STD_CAP_BASE) / 4u)

/* What one walk of the standard list finds: the first MSI, MSI-X and PCI
 * Express capabilities, how many MSI and MSI-X there are, and every
 * capability's place and known length (0: unknown, measured to the next
 * one, so it cannot overlap it). */
struct found {
    struct vmsix_cap msi, msix, exp, pm, af;
    unsigned n_msi, n_msix;
    unsigned n;
    uint16_t off[MAX_STD_CAPS], len[MAX_STD_CAPS];
};

static void find_visit(void *arg, const struct vmsix_cap *cap)
{
    struct found *f = arg;
    struct vmsix_cap *slot = NULL;

    if (cap->ext)
        return;
    if (f->n < MAX_STD_CAPS) { /* the walk lists at most that many */
        f->off[f->n] = cap->off;
        /* Advanced Features has a fixed length too (6 bytes), which the
         * walk does not measure: a capability inside it would take its
         * AF Control */
        f->len[f->n] = cap->id == VMSIX_CAP_ID_AF ? PCI_AF_LEN : cap->len;
        f->n++;
    }
    if (cap->id == VMSIX_CAP_ID_MSI) {
        slot = &f->msi;
        f->n_msi++;
    } else if (cap->id == VMSIX_CAP_ID_MSIX) {
        slot = &f->msix;
        f->n_msix++;
    } else if (cap->id == VMSIX_CAP_ID_EXP) {
        slot = &f->exp;
    } else if (cap->id == VMSIX_CAP_ID_PM) {
        slot = &f->pm;
    } else if (cap->id == VMSIX_CAP_ID_AF) {
        slot = &f->af;
    }
    if (slot && slot->off == 0)
        *slot = *cap;
}

/* Do two capabilities share a byte? In address order, each known length
 * must end at or before the next capability: otherwise a guest write to
 * one reaches the other (a PCI Express capability whose next is an MSI
 * capability inside it would let a Device Control write reach the MSI
 * address). */
static bool overlapping(struct found *f)
{
    unsigned i, j;

    for (i = 1; i < f->n; i++) { /* insertion sort by offset: at most 48 */
        uint16_t o = f->off[i], l = f->len[i];
        for (j = i; j > 0 && f->off[j - 1] > o; j--) {
            f->off[j] = f->off[j - 1];
            f->len[j] = f->len[j - 1];
        }
        f->off[j] = o;
        f->len[j] = l;
    }
    for (i = 0; i + 1 < f->n; i++)
        if (f->len[i] && f->off[i] + f->len[i] > f->off[i + 1])
            return true;
    return false;
}

/* A bridge by its header, its class (host, ISA, PCI... bridges), or its
 * PCI Express port type (root, switch and PCIe/PCI bridge ports). */
static bool is_bridge(const uint8_t *cfg, const struct vmsix_cap *exp)
{
    unsigned htype = pci_header_type(cfg);

    if (htype == PCI_HEADER_TYPE_BRIDGE || htype == PCI_HEADER_TYPE_CARDBUS ||
        cfg[PCI_CLASS_BASE] == PCI_CLASS_BRIDGE)
        return true;
    if (exp->off) {
        unsigned type = (vmsix_rd16(cfg + exp->off + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >>
                        PCI_EXP_FLAGS_TYPE_SHIFT;
        return type >= PCI_EXP_TYPE_ROOT_PORT && type <= PCI_EXP_TYPE_PCIE_BRIDGE;
    }
    return false;
}

/* Every reason at once for @masking, and the facts (struct
 * vmsix_eligibility). */
static void check(const uint8_t *cfg, size_t len, unsigned masking, struct vmsix_eligibility *e,
                  struct found *f)
{
    unsigned flags, slot;

    memset(e, 0, sizeof(*e));
    memset(f, 0, sizeof(*f));
    e->table_bar = -1;
    flags = vmsix_capchain_walk(cfg, len, find_visit, f);
    if (is_bridge(cfg, &f->exp))
        e->reasons |= VMSIX_ELIG_BRIDGE;
    if (flags & VMSIX_CHAIN_TRUNCATED)
        e->reasons |= VMSIX_ELIG_TRUNCATED;
    else if (flags)
        e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN;
    /* one MSI and at most one MSI-X, none overlapping another: a second
     * one would stay visible and pass through to the function */
    if (f->n_msi > 1 || f->n_msix > 1 || overlapping(f))
        e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN;
    /* an Advanced Features capability must fit: its FLR is emulated */
    if (f->af.off && f->af.off + PCI_AF_LEN > PCI_CFG_SPACE_SIZE)
        e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN;
    else if (f->af.off && f->af.off + PCI_AF_LEN > len)
        e->reasons |= VMSIX_ELIG_TRUNCATED;

    if (f->msix.off) {
        e->msix_off = f->msix.off;
        e->msix_vectors =
            (uint16_t)((vmsix_rd16(cfg + f->msix.off + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) +
                       1u);
        e->reasons |= VMSIX_ELIG_HAS_MSIX;
    }
    if (f->msi.off) {
        unsigned mc = vmsix_rd16(cfg + f->msi.off + PCI_MSI_FLAGS);
        unsigned mmc = (mc & PCI_MSI_FLAGS_QMASK) >> PCI_MSI_FLAGS_QMASK_SHIFT;

        e->msi_off = f->msi.off;
        e->addr64 = (mc & PCI_MSI_FLAGS_64BIT) != 0;
        e->per_vector_mask = (mc & PCI_MSI_FLAGS_MASKBIT) != 0;
        if (mmc > PCI_MSI_MMC_MAX) {
            e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN; /* a reserved encoding */
        } else {
            e->vectors = (uint8_t)(1u << mmc);
            if (e->vectors < 2)
                e->reasons |= VMSIX_ELIG_SINGLE_VECTOR;
        }
        /* MSI-X (12 bytes) takes MSI's place: a 32-bit MSI without mask
         * bits has 10, and the dword's padding after them must be in the
         * view too (in a whole config space it always is: capabilities
         * are dword-aligned) */
        if ((size_t)f->msi.off + PCI_MSIX_CAP_LEN > len)
            e->reasons |= VMSIX_ELIG_TRUNCATED;
        /* software masking holds a masked vector's messages itself */
        if (!e->per_vector_mask && masking == VMSIX_MASKING_FUNCTION)
            e->reasons |= VMSIX_ELIG_NO_PER_VECTOR_MASK;
    } else if (!flags) {
        /* only a complete chain proves that there is no MSI */
        e->reasons |= VMSIX_ELIG_NO_MSI;
    }

    if (vmsix_bar_free_slot(cfg, len, NULL, &slot) == 0)
        e->table_bar = (int8_t)slot;
    else
        e->reasons |= VMSIX_ELIG_NO_FREE_BAR;
}

int vmsix_msix_on_msi_check_masking(const uint8_t *cfg, size_t len, unsigned masking,
                                    struct vmsix_eligibility *out)
{
    struct found f;

    if (!cfg || !out || len < 64 || masking > VMSIX_MASKING_SOFTWARE)
        return -EINVAL;
    check(cfg, len, masking, out, &f);
    return out->reasons ? -ENOTSUP : 0;
}

int vmsix_msix_on_msi_check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *out)
{
    return vmsix_msix_on_msi_check_masking(cfg, len, VMSIX_MASKING_FUNCTION, out);
}

/* The table BAR as DESIGN 4.3 has it, placed by the BAR layout's
 * relocation (DESIGN 4.6 rule 8) like any relocated table: a free slot only, a
 * 32-bit non-prefetchable BAR of one "page" (the BAR size the options ask
 * for), the table at 0 and the PBA at half the BAR (PBA_HALF keeps the
 * guest view, and the device's saved states, as they have always been). */
static int place_table(const uint8_t *cfg, size_t len, struct vmsix_mom_layout *l)
{
    struct vmsix_bar_reloc_params rp;
    struct vmsix_bar_reloc r;

    memset(&rp, 0, sizeof(rp));
    rp.cfg = cfg;
    rp.len = len;
    rp.page_size = l->bar_size;
    rp.nvec = l->nvec;
    rp.flags = VMSIX_BAR_RELOC_FREE_ONLY | VMSIX_BAR_RELOC_MEM32 | VMSIX_BAR_RELOC_NO_PREFETCH |
               VMSIX_BAR_RELOC_PBA_HALF;
    rp.target = l->slot;
    rp.dev_table_bar = VMSIX_BAR_RELOC_NO_TABLE;
    if (vmsix_bar_layout_relocate(&rp, &r, NULL, 0, NULL, 0))
        return -ENOTSUP; /* the slot is not free, or not there */
    l->bar_size = (uint32_t)r.bar_size;
    l->table_off = (uint32_t)r.table_off;
    l->pba_off = (uint32_t)r.pba_off;
    return 0;
}

static bool bar_described(const struct vmsix_dev_bar *b)
{
    return b->size || b->passthrough;
}

/* The host's BAR layout against itself and the function's registers (where
 * they show a type, it must be the one described); *@taken: the slots it
 * takes (a 64-bit BAR two). */
static int check_bars(const uint8_t *cfg, size_t len, const struct vmsix_dev_bar *bars,
                      unsigned *taken)
{
    struct vmsix_bar raw[6];
    unsigned n, i;

    *taken = 0;
    if (vmsix_bar_decode(cfg, len, raw, &n))
        return -ENOTSUP;
    for (i = 0; i < 6; i++) {
        const struct vmsix_dev_bar *b = &bars[i];

        if (!bar_described(b))
            continue;
        if (i >= n)
            return -ENOTSUP;
        *taken |= 1u << i;
        if (b->passthrough) {
            if (raw[i].kind == VMSIX_BAR_MEM64) /* its upper half goes with it */
                *taken |= 1u << ++i;
            continue;
        }
        if (!vmsix_is_pow2(b->size))
            return -ENOTSUP;
        switch (b->kind) {
        case VMSIX_BAR_IO:
            if (b->prefetch || b->size < 4 || b->size > 256)
                return -ENOTSUP;
            break;
        case VMSIX_BAR_MEM32:
            if (b->size < 16 || b->size > MAX_BAR_SIZE)
                return -ENOTSUP;
            break;
        case VMSIX_BAR_MEM64:
            if (b->size < 16 || i + 1 >= n || bar_described(&bars[i + 1]))
                return -ENOTSUP;
            break;
        default:
            return -ENOTSUP;
        }
        if (raw[i].kind != VMSIX_BAR_NONE &&
            (raw[i].kind != b->kind || (b->kind != VMSIX_BAR_IO && raw[i].prefetch != b->prefetch)))
            return -ENOTSUP;
        if (b->kind == VMSIX_BAR_MEM64)
            *taken |= 1u << ++i;
    }
    if (!bars[VMSIX_DEV_ROM].passthrough && bars[VMSIX_DEV_ROM].size &&
        (!vmsix_is_pow2(bars[VMSIX_DEV_ROM].size) || bars[VMSIX_DEV_ROM].size < PCI_ROM_MIN_SIZE ||
         bars[VMSIX_DEV_ROM].size > MAX_BAR_SIZE))
        return -ENOTSUP;
    return 0;
}

/* The lowest slot free for the table: its register reads 0 and the host
 * described nothing there. */
static int free_table_slot(const uint8_t *cfg, size_t len, unsigned taken, uint8_t *slot)
{
    struct vmsix_bar raw[6];
    unsigned n, i;

    if (vmsix_bar_decode(cfg, len, raw, &n))
        return -ENOTSUP;
    for (i = 0; i < n; i++)
        if (raw[i].kind == VMSIX_BAR_NONE && !(taken & (1u << i))) {
            *slot = (uint8_t)i;
            return 0;
        }
    return -ENOTSUP;
}

/* The options against the function: slot, BAR size, vectors. */
static int resolve(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                   const struct vmsix_eligibility *e, struct vmsix_mom_layout *l)
{
    l->slot = (uint8_t)e->table_bar;
    l->bar_size = DEFAULT_BAR_SIZE;
    l->nvec = e->vectors;
    if (opt && opt->bar_size) {
        if (!vmsix_is_pow2(opt->bar_size) || opt->bar_size < DEFAULT_BAR_SIZE ||
            opt->bar_size > MAX_BAR_SIZE)
            return -ENOTSUP;
        l->bar_size = opt->bar_size;
    }
    if (opt && opt->nvec) {
        if (!vmsix_is_pow2(opt->nvec) || opt->nvec > e->vectors || opt->nvec < 2)
            return -ENOTSUP;
        l->nvec = opt->nvec;
    }
    if (opt) {
        unsigned taken;
        int rc = check_bars(cfg, len, opt->bars, &taken);
        if (rc)
            return rc;
        memcpy(l->bars, opt->bars, sizeof(l->bars));
        if (opt->table_bar_set) {
            if (opt->table_bar > MAX_SLOT || (taken & (1u << opt->table_bar)))
                return -ENOTSUP; /* (0xff would ask relocation for any slot) */
            l->slot = opt->table_bar;
        } else if ((rc = free_table_slot(cfg, len, taken, &l->slot)) != 0) {
            return rc;
        }
    }
    return place_table(cfg, len, l);
}

int vmsix_mom_plan(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                   unsigned masking, struct vmsix_eligibility *e, struct vmsix_mom_layout *l)
{
    struct found f;

    memset(l, 0, sizeof(*l));
    check(cfg, len, masking, e, &f);
    if (e->reasons)
        return -ENOTSUP;
    l->msi_off = f.msi.off;
    l->msi_len = f.msi.len;
    l->exp_off = f.exp.off;
    l->pm_off = f.pm.off; /* 8 bytes, inside the view: the walk listed it */
    l->af_off = f.af.off; /* 6 bytes, inside the view: check() said so */
    l->addr64 = e->addr64;
    return resolve(cfg, len, opt, e, l);
}

int vmsix_mom_apply(uint8_t *cfg, size_t len, const struct vmsix_mom_layout *l)
{
    uint8_t cap[PCI_MSIX_CAP_LEN];
    int rc;

    /* MSI-X: ID, (next kept), Message Control = N - 1, table and PBA
     * where the plan placed them in the slot */
    memset(cap, 0, sizeof(cap));
    cap[PCI_CAP_ID] = VMSIX_CAP_ID_MSIX;
    vmsix_wr16(cap + PCI_MSIX_FLAGS, (uint16_t)(l->nvec - 1u));
    vmsix_wr32(cap + PCI_MSIX_TABLE, l->table_off | l->slot);
    vmsix_wr32(cap + PCI_MSIX_PBA, l->pba_off | l->slot);
    rc = vmsix_capchain_replace(cfg, len, false, l->msi_off, cap, sizeof(cap));
    if (rc)
        return rc;
    /* the BARs at reset: the table's an unassigned 32-bit memory BAR, each
     * virtual one its type bits (address 0), a pass-through one as the
     * function has it, any other slot 0 */
    for (unsigned i = 0; i < 6; i++) {
        const struct vmsix_dev_bar *b = &l->bars[i];
        uint8_t *reg = cfg + PCI_BAR0 + PCI_BAR_SIZE * i;

        if (b->passthrough && i != l->slot) {
            if ((vmsix_rd32(reg) & (PCI_BAR_SPACE_IO | PCI_BAR_MEM_TYPE_MASK)) ==
                PCI_BAR_MEM_TYPE_64)
                i++; /* its upper half passes through too */
            continue;
        }
        vmsix_wr32(reg, b->size && i != l->slot ? vmsix_mom_bar_type_bits(b) : 0);
        if (b->size && b->kind == VMSIX_BAR_MEM64 && i != l->slot)
            vmsix_wr32(cfg + PCI_BAR0 + PCI_BAR_SIZE * ++i, 0);
    }
    if (!l->bars[VMSIX_DEV_ROM].passthrough)
        vmsix_wr32(cfg + PCI_ROM_ADDRESS, 0);
    return 0;
}

int vmsix_msix_on_msi_view_masking(const uint8_t *cfg, size_t len, unsigned masking,
                                   const struct vmsix_dev_options *opt, uint8_t *out,
                                   size_t out_len)
{
    struct vmsix_eligibility e;
    struct vmsix_mom_layout l;
    int rc;

    if (!cfg || !out || len < 64 || out_len > PCI_CFG_SPACE_EXP_SIZE || out_len < 64 ||
        masking > VMSIX_MASKING_SOFTWARE)
        return -EINVAL;
    /* the plan the device makes at init for the same masking */
    rc = vmsix_mom_plan(cfg, len, opt, masking, &e, &l);
    if (rc)
        return rc;
    /* the capability (MSI's length, or MSI-X's if longer) and the BAR
     * must lie inside @out: check before writing */
    if ((size_t)l.msi_off + (l.msi_len > PCI_MSIX_CAP_LEN ? l.msi_len : PCI_MSIX_CAP_LEN) >
            out_len ||
        PCI_BAR0 + PCI_BAR_SIZE * (l.slot + 1u) > out_len)
        return -ENOTSUP;
    memset(out, 0xff, out_len);
    memcpy(out, cfg, len < out_len ? len : out_len);
    /* cannot fail now: the plan refused overlapping capabilities, so the
     * MSI capability's room (its length rounded to a dword, up to the next
     * one) holds the 12 bytes of MSI-X */
    return vmsix_mom_apply(out, out_len, &l);
}

int vmsix_msix_on_msi_view(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                           uint8_t *out, size_t out_len)
{
    return vmsix_msix_on_msi_view_masking(cfg, len, VMSIX_MASKING_FUNCTION, opt, out, out_len);
}
