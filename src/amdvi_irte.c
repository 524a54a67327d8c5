/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AMD-Vi interrupt remapping, the codec (DESIGN 4.5): the bits of a 32-bit
 * or 128-bit IRTE to and from its fields, the interrupt qword of a device
 * table entry, the INVALIDATE_INTERRUPT_TABLE and COMPLETION_WAIT commands
 * and the remapped MSI for a table index. Pure functions: no unit, no table
 * memory, no hook.
 */
#include <string.h>

#include <vmsix/amdvi.h>

#include "amdvi_priv.h"
#include "vmsix_errno.h"

/* Bits 7:0 of both formats (RemapEn and GuestMode are in amdvi_priv.h). */
#define E_SUP_IOPF (1u << 1)
#define E_INT_TYPE_SHIFT 2
#define E_INT_TYPE_MASK (7u << E_INT_TYPE_SHIFT)
#define E_RQ_EOI (1u << 5)
#define E_DM (1u << 6)
#define E_GA_LOG_INTR (1u << 2) /* vAPIC view */
#define E_IS_RUN (1u << 6)      /* vAPIC view */

/* 32-bit format. */
#define E32_DEST_SHIFT 8
#define E32_VEC_SHIFT 16
#define E32_RSVD 0xff000080u /* 31:24, 7 */

/* 128-bit format: low qword. */
#define LO_DEST_SHIFT 8 /* Destination[23:0] in 31:8 */
#define LO_DEST_MASK 0xffffffu
#define LO_GA_TAG_SHIFT 32
#define LO_RSVD_VAPIC 0x38ull /* 5:3 */
/* high qword */
#define HI_VEC_MASK 0xffull
#define HI_DEST_HI_SHIFT 56                   /* Destination[31:24] in 63:56 */
#define HI_GA_ROOT_MASK 0x000ffffffffff000ull /* 51:12 = ga_root[51:12] */
#define HI_RSVD_REMAP 0x00ffffffffffff00ull   /* 55:8 */
#define HI_RSVD_VAPIC 0x00f0000000000f00ull   /* 55:52, 11:8 */

/* DTE qword 2. */
#define DTE_IV (1ull << 0)
#define DTE_LEN_SHIFT 1
#define DTE_LEN_MASK (0xfull << DTE_LEN_SHIFT)
#define DTE_IG (1ull << 5)
#define DTE_ROOT_MASK 0x000fffffffffffc0ull /* 51:6 */
#define DTE_INIT_PASS (1ull << 56)
#define DTE_EINT_PASS (1ull << 57)
#define DTE_NMI_PASS (1ull << 58)
#define DTE_INTCTL_SHIFT 60
#define DTE_LINT0_PASS (1ull << 62)
#define DTE_LINT1_PASS (1ull << 63)
#define DTE_RSVD 0x08f0000000000000ull /* 59, 55:52 */
#define DTE_MAX_LEN 11u                /* 2048 entries; 12..15 are reserved */

/* Commands. */
#define CMD_OP_SHIFT 60
#define CW_ADDR_MASK 0x000ffffffffffff8ull /* 51:3 */

#define ADDR_LIMIT (1ull << 52)

/* ---- IRTE -------------------------------------------------------------- */

/* Bits 6:0 of the remapped view, both formats. */
static uint32_t low_bits_remap(const struct vmsix_amdvi_irte *f)
{
    return (f->remap_en ? AMDVI_REMAP_EN : 0) | (f->sup_iopf ? E_SUP_IOPF : 0) |
           ((uint32_t)f->int_type << E_INT_TYPE_SHIFT) | (f->rq_eoi ? E_RQ_EOI : 0) |
           (f->dm ? E_DM : 0);
}

static void fill_low_bits(uint32_t v, bool vapic, struct vmsix_amdvi_irte *f)
{
    f->remap_en = (v & AMDVI_REMAP_EN) != 0;
    f->sup_iopf = (v & E_SUP_IOPF) != 0;
    if (vapic) {
        f->guest_mode = true;
        f->ga_log_intr = (v & E_GA_LOG_INTR) != 0;
        f->is_run = (v & E_IS_RUN) != 0;
    } else {
        f->int_type = (uint8_t)((v & E_INT_TYPE_MASK) >> E_INT_TYPE_SHIFT);
        f->rq_eoi = (v & E_RQ_EOI) != 0;
        f->dm = (v & E_DM) != 0;
    }
}

/* remap.h's delivery modes are the encoding IntType holds as it is */
static bool int_type_ok(uint8_t t)
{
    return t == VMSIX_AMDVI_INT_FIXED || t == VMSIX_AMDVI_INT_ARBITRATED;
}

int vmsix_amdvi_irte32_encode(const struct vmsix_amdvi_irte *f, uint32_t *out)
{
    if (!f || !out || !int_type_ok(f->int_type) || f->dest > 0xffu || f->guest_mode || f->ga_tag ||
        f->ga_log_intr || f->is_run || f->ga_root)
        return -EINVAL;
    *out = low_bits_remap(f) | (f->dest << E32_DEST_SHIFT) | ((uint32_t)f->vector << E32_VEC_SHIFT);
    return 0;
}

int vmsix_amdvi_irte32_decode(uint32_t in, struct vmsix_amdvi_irte *f)
{
    if (!f)
        return -EINVAL;
    memset(f, 0, sizeof(*f));
    fill_low_bits(in, false, f);
    f->dest = (in >> E32_DEST_SHIFT) & 0xffu;
    f->vector = (uint8_t)(in >> E32_VEC_SHIFT);
    return (in & E32_RSVD) ? -EBADMSG : 0;
}

int vmsix_amdvi_irte128_encode(const struct vmsix_amdvi_irte *f, uint64_t out[2])
{
    uint64_t lo, hi;

    if (!f || !out)
        return -EINVAL;
    if (f->guest_mode) {
        if (f->int_type || f->rq_eoi || f->dm || (f->ga_root & 0xfffu) || f->ga_root >= ADDR_LIMIT)
            return -EINVAL;
        lo = (f->remap_en ? AMDVI_REMAP_EN : 0) | (f->sup_iopf ? E_SUP_IOPF : 0) |
             (f->ga_log_intr ? E_GA_LOG_INTR : 0) | (f->is_run ? E_IS_RUN : 0) | AMDVI_GUEST_MODE;
        hi = f->ga_root;
    } else {
        if (!int_type_ok(f->int_type) || f->ga_log_intr || f->is_run || f->ga_root)
            return -EINVAL;
        lo = low_bits_remap(f);
        hi = 0;
    }
    lo |= ((uint64_t)(f->dest & LO_DEST_MASK) << LO_DEST_SHIFT) |
          ((uint64_t)f->ga_tag << LO_GA_TAG_SHIFT);
    hi |= f->vector | ((uint64_t)(f->dest >> 24) << HI_DEST_HI_SHIFT);
    out[0] = lo;
    out[1] = hi;
    return 0;
}

int vmsix_amdvi_irte128_decode(const uint64_t in[2], struct vmsix_amdvi_irte *f)
{
    uint64_t lo, hi;
    bool vapic, bad;

    if (!in || !f)
        return -EINVAL;
    lo = in[0];
    hi = in[1];
    memset(f, 0, sizeof(*f));
    vapic = (lo & AMDVI_GUEST_MODE) != 0;
    fill_low_bits((uint32_t)lo, vapic, f);
    f->dest = (uint32_t)((lo >> LO_DEST_SHIFT) & LO_DEST_MASK) | (uint32_t)(hi >> HI_DEST_HI_SHIFT)
                                                                     << 24;
    f->ga_tag = (uint32_t)(lo >> LO_GA_TAG_SHIFT);
    f->vector = (uint8_t)(hi & HI_VEC_MASK);
    if (vapic) {
        f->ga_root = hi & HI_GA_ROOT_MASK;
        bad = (lo & LO_RSVD_VAPIC) || (hi & HI_RSVD_VAPIC);
    } else {
        bad = (hi & HI_RSVD_REMAP) != 0;
    }
    return bad ? -EBADMSG : 0;
}

/* ---- DTE --------------------------------------------------------------- */

int vmsix_amdvi_dte_intr_encode(const struct vmsix_amdvi_dte_intr *f, uint64_t *q2)
{
    if (!f || !q2 || f->int_tab_len > DTE_MAX_LEN || f->int_ctl > VMSIX_AMDVI_INTCTL_REMAP ||
        (f->root & (VMSIX_AMDVI_TABLE_ALIGN - 1u)) || f->root >= ADDR_LIMIT)
        return -EINVAL;
    *q2 = (f->iv ? DTE_IV : 0) | ((uint64_t)f->int_tab_len << DTE_LEN_SHIFT) |
          (f->ig ? DTE_IG : 0) | f->root | (f->init_pass ? DTE_INIT_PASS : 0) |
          (f->eint_pass ? DTE_EINT_PASS : 0) | (f->nmi_pass ? DTE_NMI_PASS : 0) |
          ((uint64_t)f->int_ctl << DTE_INTCTL_SHIFT) | (f->lint0_pass ? DTE_LINT0_PASS : 0) |
          (f->lint1_pass ? DTE_LINT1_PASS : 0);
    return 0;
}

int vmsix_amdvi_dte_intr_decode(uint64_t q2, struct vmsix_amdvi_dte_intr *f)
{
    if (!f)
        return -EINVAL;
    memset(f, 0, sizeof(*f));
    f->iv = (q2 & DTE_IV) != 0;
    f->int_tab_len = (uint8_t)((q2 & DTE_LEN_MASK) >> DTE_LEN_SHIFT);
    f->ig = (q2 & DTE_IG) != 0;
    f->root = q2 & DTE_ROOT_MASK;
    f->init_pass = (q2 & DTE_INIT_PASS) != 0;
    f->eint_pass = (q2 & DTE_EINT_PASS) != 0;
    f->nmi_pass = (q2 & DTE_NMI_PASS) != 0;
    f->int_ctl = (uint8_t)((q2 >> DTE_INTCTL_SHIFT) & 3u);
    f->lint0_pass = (q2 & DTE_LINT0_PASS) != 0;
    f->lint1_pass = (q2 & DTE_LINT1_PASS) != 0;
    if (f->int_tab_len > DTE_MAX_LEN || f->int_ctl > VMSIX_AMDVI_INTCTL_REMAP || (q2 & DTE_RSVD) ||
        (f->root & (VMSIX_AMDVI_TABLE_ALIGN - 1u)))
        return -EBADMSG;
    return 0;
}

/* ---- commands and the MSI ---------------------------------------------- */

void vmsix_amdvi_cmd_inv_int_table(uint16_t devid, uint64_t out[2])
{
    if (!out)
        return;
    out[0] = devid | ((uint64_t)VMSIX_AMDVI_CMD_INV_INT_TABLE << CMD_OP_SHIFT);
    out[1] = 0;
}

int vmsix_amdvi_cmd_completion_wait(uint32_t flags, uint64_t store_addr, uint64_t data,
                                    uint64_t out[2])
{
    const uint32_t known = VMSIX_AMDVI_CW_STORE | VMSIX_AMDVI_CW_INT;

    if (!out || (flags & ~known))
        return -EINVAL;
    if ((flags & VMSIX_AMDVI_CW_STORE) ? (store_addr & ~CW_ADDR_MASK) != 0 : (store_addr || data))
        return -EINVAL;
    /* S and I are bits 0 and 1, as the flags */
    out[0] = flags | store_addr | ((uint64_t)VMSIX_AMDVI_CMD_COMPLETION_WAIT << CMD_OP_SHIFT);
    out[1] = data;
    return 0;
}

int vmsix_amdvi_msi_compose(uint32_t index, uint32_t flags, struct vmsix_msg *out)
{
    bool idx2k = (flags & VMSIX_AMDVI_2K) != 0;

    if (!out || index >= (idx2k ? VMSIX_AMDVI_MAX_ENTRIES : 512u))
        return -EINVAL;
    out->addr = VMSIX_AMDVI_MSI_ADDR | (idx2k ? VMSIX_AMDVI_MSI_DM : 0);
    out->data = index;
    return 0;
}
