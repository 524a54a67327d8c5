/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSI-X on multi-message MSI (DESIGN 4.3): the eligibility check and the
 * guest view of a function's configuration space.
 */
#include <string.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>

#include "bytes.h"
#include "vmsix_errno.h"

#define MSI_CTRL_64BIT 0x0080u
#define MSI_CTRL_PVM 0x0100u
#define MSIX_CAP_LEN 12u
#define DEFAULT_BAR_SIZE 4096u

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

static int check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *e)
{
    struct vmsix_cap msi, msix;
    unsigned flags = 0, slot;
    bool have_msi, have_msix;
    uint8_t htype;

    memset(e, 0, sizeof(*e));
    e->table_bar = -1;
    htype = cfg[0x0e] & 0x7fu;
    if (htype == 1 || htype == 2)
        e->reasons |= VMSIX_ELIG_BRIDGE;

    /* two walks of the same chain, in small constant stack space */
    have_msi = vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_MSI, &msi, &flags) == 0;
    have_msix = vmsix_capchain_lookup(cfg, len, false, VMSIX_CAP_ID_MSIX, &msix, NULL) == 0;
    if (flags & VMSIX_CHAIN_TRUNCATED)
        e->reasons |= VMSIX_ELIG_TRUNCATED;
    else if (flags)
        e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN;

    if (have_msix) {
        e->msix_off = msix.off;
        e->msix_vectors = (uint16_t)((vmsix_rd16(cfg + msix.off + 2) & 0x7ffu) + 1u);
        e->reasons |= VMSIX_ELIG_HAS_MSIX;
    }
    if (have_msi) {
        unsigned mc = vmsix_rd16(cfg + msi.off + 2);
        unsigned mmc = (mc >> 1) & 7u;
        e->msi_off = msi.off;
        e->addr64 = (mc & MSI_CTRL_64BIT) != 0;
        e->per_vector_mask = (mc & MSI_CTRL_PVM) != 0;
        if (mmc > 5) {
            e->reasons |= VMSIX_ELIG_MALFORMED_CHAIN; /* a reserved encoding */
        } else {
            e->vectors = (uint8_t)(1u << mmc);
            if (e->vectors < 2)
                e->reasons |= VMSIX_ELIG_SINGLE_VECTOR;
        }
        if (!e->per_vector_mask)
            e->reasons |= VMSIX_ELIG_NO_PER_VECTOR_MASK;
    } else if (!flags) {
        /* only a complete chain proves that there is no MSI */
        e->reasons |= VMSIX_ELIG_NO_MSI;
    }

    if (vmsix_bar_free_slot(cfg, len, NULL, &slot) == 0)
        e->table_bar = (int8_t)slot;
    else
        e->reasons |= VMSIX_ELIG_NO_FREE_BAR;
    return e->reasons ? -ENOTSUP : 0;
}

int vmsix_dev_check(const uint8_t *cfg, size_t len, struct vmsix_eligibility *out)
{
    if (!cfg || !out || len < 64)
        return -EINVAL;
    return check(cfg, len, out);
}

static bool is_pow2(uint32_t v)
{
    return v && !(v & (v - 1u));
}

/* Resolve the options against the function: slot, BAR size, vectors. */
static int resolve(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                   const struct vmsix_eligibility *e, unsigned *slot, uint32_t *bar_size,
                   unsigned *nvec)
{
    struct vmsix_bar bars[6];
    unsigned n;

    *slot = (unsigned)e->table_bar;
    *bar_size = DEFAULT_BAR_SIZE;
    *nvec = e->vectors;
    if (!opt)
        return 0;
    if (opt->bar_size) {
        if (!is_pow2(opt->bar_size) || opt->bar_size < DEFAULT_BAR_SIZE ||
            opt->bar_size > 0x80000000u)
            return -ENOTSUP;
        *bar_size = opt->bar_size;
    }
    if (opt->nvec) {
        if (!is_pow2(opt->nvec) || opt->nvec > e->vectors || opt->nvec < 2)
            return -ENOTSUP;
        *nvec = opt->nvec;
    }
    if (opt->table_bar_set) {
        if (vmsix_bar_decode(cfg, len, bars, &n) || opt->table_bar >= n ||
            bars[opt->table_bar].kind != VMSIX_BAR_NONE)
            return -ENOTSUP;
        *slot = opt->table_bar;
    }
    return 0;
}

int vmsix_dev_virtual_cfg(const uint8_t *cfg, size_t len, const struct vmsix_dev_options *opt,
                          uint8_t *out, size_t out_len)
{
    struct vmsix_eligibility e;
    struct vmsix_cap msi;
    uint8_t cap[MSIX_CAP_LEN];
    unsigned slot, nvec;
    uint32_t bar_size;
    int rc;

    if (!cfg || !out || len < 64 || out_len > 4096 || out_len < 64)
        return -EINVAL;
    if (check(cfg, len, &e))
        return -ENOTSUP;
    rc = resolve(cfg, len, opt, &e, &slot, &bar_size, &nvec);
    if (rc)
        return rc;
    memset(out, 0xff, out_len);
    memcpy(out, cfg, len < out_len ? len : out_len);
    if (vmsix_capchain_lookup(out, out_len, false, VMSIX_CAP_ID_MSI, &msi, NULL))
        return -ENOTSUP; /* the view is too short for the capability */

    /* MSI-X: ID, (next kept), Message Control = N - 1, table at 0 in the
     * slot, PBA at half the BAR */
    memset(cap, 0, sizeof(cap));
    cap[0] = VMSIX_CAP_ID_MSIX;
    cap[2] = (uint8_t)(nvec - 1u);
    vmsix_wr32(cap + 4, slot);
    vmsix_wr32(cap + 8, (bar_size / 2u) | slot);
    rc = vmsix_capchain_replace(out, out_len, false, msi.off, cap, sizeof(cap));
    if (rc)
        return rc;
    vmsix_wr32(out + 0x10 + 4u * slot, 0); /* an unassigned 32-bit memory BAR */
    return 0;
}
