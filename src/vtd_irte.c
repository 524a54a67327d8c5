/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intel VT-d interrupt remapping, the codec (DESIGN 4.4): the bits of an
 * IRTE of either format to and from its fields, the destination field for
 * an APIC ID, source validation, the remappable MSI for a handle and the
 * IEC invalidation descriptors. Pure functions: no unit, no table memory,
 * no hook.
 */
#include <string.h>

#include <vmsix/vtd.h>

#include "vmsix_errno.h"
#include "vtd_priv.h"

/* Low qword (bits 63:0); Present and IRTE Mode are in vtd_priv.h. */
#define LO_FPD (1ull << 1)
#define LO_DM (1ull << 2)
#define LO_RH (1ull << 3)
#define LO_TM (1ull << 4)
#define LO_DLM_SHIFT 5
#define LO_DLM_MASK (7ull << LO_DLM_SHIFT)
#define LO_AVAIL_SHIFT 8
#define LO_AVAIL_MASK (0xfull << LO_AVAIL_SHIFT)
#define LO_URG (1ull << 14)
#define LO_VEC_SHIFT 16
#define LO_DST_SHIFT 32
#define LO_PDAL_SHIFT 38       /* bits 63:38 = pda[31:6] */
#define PDAL_MASK 0x3ffffffull /* 26 bits */

/* High qword (bits 127:64). */
#define HI_SQ_SHIFT 16
#define HI_SVT_SHIFT 18
#define HI_PDAH_SHIFT 32

/* Reserved bits per format. */
#define RSVD_REMAP_LO 0x00000000ff007000ull /* 31:24, 14:12 */
#define RSVD_REMAP_HI 0xfffffffffff00000ull /* 127:84 */
#define RSVD_POST_LO 0x0000003fff0030fcull  /* 37:24, 13:12, 7:2 */
#define RSVD_POST_HI 0x00000000fff00000ull  /* 95:84 */

/* IEC descriptor. */
#define IEC_TYPE 0x4ull
#define IEC_G_INDEX (1ull << 4)
#define IEC_IM_SHIFT 27
#define IEC_IIDX_SHIFT 32

/* ---- encode / decode --------------------------------------------------- */

static int check_common(const struct vmsix_vtd_irte *f)
{
    if (f->avail > 15u || f->sq > 3u || f->svt > 2u)
        return -EINVAL;
    if (f->present && f->svt == VMSIX_VTD_SVT_NONE)
        return -EINVAL;
    return 0;
}

int vmsix_vtd_irte_encode(const struct vmsix_vtd_irte *f, uint64_t out[2])
{
    uint64_t lo, hi;

    if (!f || !out || check_common(f))
        return -EINVAL;
    lo = (f->present ? LO_P : 0) | (f->fpd ? LO_FPD : 0) | ((uint64_t)f->avail << LO_AVAIL_SHIFT) |
         ((uint64_t)f->vector << LO_VEC_SHIFT);
    hi = (uint64_t)f->sid | ((uint64_t)f->sq << HI_SQ_SHIFT) | ((uint64_t)f->svt << HI_SVT_SHIFT);
    if (f->posted) {
        if ((f->pda & 63u) || f->dest || f->dest_logical || f->redir_hint || f->level ||
            f->delivery)
            return -EINVAL;
        lo |= LO_IM | (f->urgent ? LO_URG : 0) | (((f->pda >> 6) & PDAL_MASK) << LO_PDAL_SHIFT);
        hi |= (f->pda >> 32) << HI_PDAH_SHIFT;
    } else {
        if (f->urgent || f->pda)
            return -EINVAL;
        /* remap.h's delivery modes are the x86 encoding that bits 7:5 hold as they are */
        if (f->delivery != VMSIX_REMAP_DLM_FIXED && f->delivery != VMSIX_REMAP_DLM_LOWPRI)
            return -EINVAL;
        lo |= (f->dest_logical ? LO_DM : 0) | (f->redir_hint ? LO_RH : 0) | (f->level ? LO_TM : 0) |
              ((uint64_t)f->delivery << LO_DLM_SHIFT) | ((uint64_t)f->dest << LO_DST_SHIFT);
    }
    out[0] = lo;
    out[1] = hi;
    return 0;
}

int vmsix_vtd_irte_decode(const uint64_t in[2], struct vmsix_vtd_irte *f)
{
    uint64_t lo, hi;
    bool bad;

    if (!in || !f)
        return -EINVAL;
    lo = in[0];
    hi = in[1];
    memset(f, 0, sizeof(*f));
    f->present = lo & LO_P;
    f->fpd = (lo & LO_FPD) != 0;
    f->posted = (lo & LO_IM) != 0;
    f->avail = (uint8_t)((lo & LO_AVAIL_MASK) >> LO_AVAIL_SHIFT);
    f->vector = (uint8_t)(lo >> LO_VEC_SHIFT);
    f->sid = (uint16_t)hi;
    f->sq = (uint8_t)((hi >> HI_SQ_SHIFT) & 3u);
    f->svt = (uint8_t)((hi >> HI_SVT_SHIFT) & 3u);
    if (f->posted) {
        f->urgent = (lo & LO_URG) != 0;
        f->pda = (((lo >> LO_PDAL_SHIFT) & PDAL_MASK) << 6) | ((hi >> HI_PDAH_SHIFT) << 32);
        bad = (lo & RSVD_POST_LO) || (hi & RSVD_POST_HI);
    } else {
        f->dest_logical = (lo & LO_DM) != 0;
        f->redir_hint = (lo & LO_RH) != 0;
        f->level = (lo & LO_TM) != 0;
        f->delivery = (uint8_t)((lo & LO_DLM_MASK) >> LO_DLM_SHIFT);
        f->dest = (uint32_t)(lo >> LO_DST_SHIFT);
        bad = (lo & RSVD_REMAP_LO) || (hi & RSVD_REMAP_HI);
    }
    if (f->svt == 3u)
        bad = true;
    return bad ? -EBADMSG : 0;
}

int vmsix_vtd_dest_place(bool x2apic, uint32_t apic_id, uint32_t *field)
{
    if (!field || (!x2apic && apic_id > 0xffu))
        return -EINVAL;
    *field = x2apic ? apic_id : apic_id << 8;
    return 0;
}

int vmsix_vtd_sv_rid(struct vmsix_vtd_irte *f, uint16_t rid)
{
    if (!f)
        return -EINVAL;
    f->svt = VMSIX_VTD_SVT_RID;
    f->sq = VMSIX_VTD_SQ_ALL;
    f->sid = rid;
    return 0;
}

int vmsix_vtd_sv_bus_range(struct vmsix_vtd_irte *f, uint8_t first, uint8_t last)
{
    if (!f || first > last)
        return -EINVAL;
    f->svt = VMSIX_VTD_SVT_BUS;
    f->sq = VMSIX_VTD_SQ_ALL;
    f->sid = (uint16_t)(first << 8 | last);
    return 0;
}

void vmsix_vtd_msi_compose(uint16_t handle, struct vmsix_msg *out)
{
    uint32_t a;

    if (!out)
        return;
    a = MSI_BASE | ((uint32_t)(handle & MSI_HANDLE_LOW) << MSI_HANDLE_SHIFT) | MSI_REMAPPABLE |
        MSI_SHV | ((handle & MSI_HANDLE_15) ? MSI_H15 : 0);
    out->addr = a;
    out->data = 0;
}

int vmsix_vtd_iec_index(uint32_t index, unsigned im, uint64_t out[2])
{
    if (!out || im > 16u || index > 0xffffu || (index & ((1u << im) - 1u)))
        return -EINVAL;
    out[0] = IEC_TYPE | IEC_G_INDEX | ((uint64_t)im << IEC_IM_SHIFT) |
             ((uint64_t)index << IEC_IIDX_SHIFT);
    out[1] = 0;
    return 0;
}

void vmsix_vtd_iec_global(uint64_t out[2])
{
    if (!out)
        return;
    out[0] = IEC_TYPE;
    out[1] = 0;
}
