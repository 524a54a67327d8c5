/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intel VT-d interrupt remapping (DESIGN 4.4): IRTE encode/decode, source
 * validation, remappable MSI composition, IEC invalidation descriptors, the
 * write protocol for 128-bit entries, the reference decoder and the remap
 * backend (DESIGN 4.5) over an irte_alloc pool.
 *
 * Table memory is accessed only through single-copy-atomic 64-bit loads and
 * stores (__atomic on uint64_t, inlined by gcc and clang on every target
 * vmsix supports) and, for 128-bit stores, lock cmpxchg16b in inline
 * assembly on x86-64 or the caller's store128 hook. gcc 12 compiles
 * __atomic on a 16-byte type to a libatomic call with or without -mcx16,
 * clang 14 only inlines it with -mcx16, so the builtins are not used for
 * that: the core must not reference libatomic.
 */
#include <string.h>

#include <vmsix/irte_alloc.h>
#include <vmsix/vtd.h>

#include "bits.h"
#include "irte_alloc_priv.h"
#include "vmsix_errno.h"

/* Low qword (bits 63:0). */
#define LO_P (1ull << 0)
#define LO_FPD (1ull << 1)
#define LO_DM (1ull << 2)
#define LO_RH (1ull << 3)
#define LO_TM (1ull << 4)
#define LO_DLM_SHIFT 5
#define LO_DLM_MASK (7ull << LO_DLM_SHIFT)
#define LO_AVAIL_SHIFT 8
#define LO_AVAIL_MASK (0xfull << LO_AVAIL_SHIFT)
#define LO_URG (1ull << 14)
#define LO_IM (1ull << 15)
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

/* Remappable MSI. */
#define MSI_BASE 0xfee00000u
#define MSI_BASE_MASK 0xfff00000u
#define MSI_REMAPPABLE (1u << 4)
#define MSI_SHV (1u << 3)
#define MSI_H15 (1u << 2)
#define MSI_HANDLE_SHIFT 5

#define UNIT_MAGIC 0x76746475u /* "vtdu" */

#if defined(__x86_64__) && defined(__GNUC__)
#define VTD_HAVE_CX16 1
#else
#define VTD_HAVE_CX16 0
#endif

struct vmsix_vtd_unit {
    uint32_t magic;
    uint32_t nentries;
    uint32_t flags;
    uint8_t mhmv;
    uint8_t order; /* log2(nentries) */
    uint64_t *table;
    struct vmsix_vtd_ops ops;
    void *ctx;
    /* remap backend */
    struct vmsix_irte_pool *pool;
    uint32_t remap_flags;
};

/* ---- pure helpers ------------------------------------------------------ */

static bool unit_ok(const struct vmsix_vtd_unit *u)
{
    return u && u->magic == UNIT_MAGIC;
}

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
        if (f->delivery != VMSIX_VTD_DLM_FIXED && f->delivery != VMSIX_VTD_DLM_LOWPRI)
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
    a = MSI_BASE | ((uint32_t)(handle & 0x7fffu) << MSI_HANDLE_SHIFT) | MSI_REMAPPABLE | MSI_SHV |
        ((handle & 0x8000u) ? MSI_H15 : 0);
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

/* ---- table access ------------------------------------------------------ */

static uint64_t *slot(const struct vmsix_vtd_unit *u, uint32_t index)
{
    return u->table + 2u * (size_t)index;
}

/* Table qwords are 8-byte aligned (the table is 4 KiB aligned); saying so
 * lets 32-bit targets, where uint64_t is only 4-byte aligned, inline the
 * 64-bit atomics instead of calling libatomic. */
typedef uint64_t vtd_q __attribute__((aligned(8)));

static uint64_t ld64(const uint64_t *p)
{
    return __atomic_load_n((const vtd_q *)p, __ATOMIC_ACQUIRE);
}

/* One single-copy-atomic 64-bit store, ordered after the previous ones. */
static void st64(uint64_t *p, uint64_t v)
{
    __atomic_store_n((vtd_q *)p, v, __ATOMIC_RELEASE);
}

static void flush(const struct vmsix_vtd_unit *u, const uint64_t *e)
{
    if (u->ops.flush)
        u->ops.flush(u->ctx, e, VMSIX_VTD_IRTE_SIZE);
}

static void lock(const struct vmsix_vtd_unit *u)
{
    if (u->ops.lock)
        u->ops.lock(u->ctx);
}

static void unlock(const struct vmsix_vtd_unit *u)
{
    if (u->ops.unlock)
        u->ops.unlock(u->ctx);
}

#if VTD_HAVE_CX16
struct q2 {
    uint64_t q[2];
};

/* lock cmpxchg16b until it succeeds: one 128-bit single-copy-atomic store.
 * Each failed attempt loads the current value into rdx:rax, so the next
 * one succeeds unless the entry changed meanwhile. @e is 16-byte aligned
 * (the table is 4 KiB aligned), as cmpxchg16b requires. */
static void cx16_store(uint64_t *e, uint64_t lo, uint64_t hi)
{
    uint64_t olo = ld64(&e[0]);
    uint64_t ohi = ld64(&e[1]);
    unsigned char ok;

    do {
        __asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
                             : "=q"(ok), "+m"(*(struct q2 *)e), "+a"(olo), "+d"(ohi)
                             : "b"(lo), "c"(hi)
                             : "memory", "cc");
    } while (!ok);
}
#endif

static bool have_store128(const struct vmsix_vtd_unit *u)
{
    return u->ops.store128 || (VTD_HAVE_CX16 && !(u->flags & VMSIX_VTD_NO_CX16));
}

static void store_atomic(const struct vmsix_vtd_unit *u, uint64_t *e, const uint64_t v[2])
{
    if (u->ops.store128) {
        u->ops.store128(u->ctx, e, v);
    } else {
#if VTD_HAVE_CX16
        cx16_store(e, v[0], v[1]);
#endif
    }
    flush(u, e);
}

/* High qword first, then the low qword that holds Present. */
static void store_ordered(const struct vmsix_vtd_unit *u, uint64_t *e, const uint64_t v[2])
{
    st64(&e[1], v[1]);
    flush(u, e);
    st64(&e[0], v[0]);
    flush(u, e);
}

/* Present = 0 first (one 64-bit store), then the rest. */
static void store_clear(const struct vmsix_vtd_unit *u, uint64_t *e)
{
    st64(&e[0], 0);
    flush(u, e);
    st64(&e[1], 0);
    flush(u, e);
}

/* ---- unit -------------------------------------------------------------- */

size_t vmsix_vtd_unit_storage_size(void)
{
    return sizeof(struct vmsix_vtd_unit);
}

int vmsix_vtd_unit_init(void *mem, size_t len, const struct vmsix_vtd_params *p,
                        const struct vmsix_vtd_ops *ops, void *ctx, struct vmsix_vtd_unit **out)
{
    const uint32_t known =
        VMSIX_VTD_X2APIC | VMSIX_VTD_POSTED | VMSIX_VTD_BLOCK_COMPAT | VMSIX_VTD_NO_CX16;
    struct vmsix_vtd_unit *u = mem;

    if (!mem || len < sizeof(*u) || ((uintptr_t)mem & 7u) || !p || !ops || !out)
        return -EINVAL;
    if (!p->table || ((uintptr_t)p->table & (VMSIX_VTD_TABLE_ALIGN - 1u)))
        return -EINVAL;
    if (!vmsix_is_pow2(p->nentries) || p->nentries < 2u || p->nentries > VMSIX_VTD_MAX_ENTRIES)
        return -EINVAL;
    if (p->mhmv > VMSIX_VTD_MAX_MHMV || (p->flags & ~known))
        return -EINVAL;
    if (!ops->invalidate || !ops->lock != !ops->unlock)
        return -EINVAL;
    memset(u, 0, sizeof(*u));
    u->nentries = p->nentries;
    u->order = (uint8_t)vmsix_log2_ceil(p->nentries);
    u->flags = p->flags;
    u->mhmv = p->mhmv;
    u->table = p->table;
    u->ops = *ops;
    u->ctx = ctx;
    u->magic = UNIT_MAGIC;
    *out = u;
    return 0;
}

/* The entry's fields are acceptable on this unit (beyond encode's rules). */
static int check_unit_fields(const struct vmsix_vtd_unit *u, const struct vmsix_vtd_irte *f)
{
    if (f->posted)
        return (u->flags & VMSIX_VTD_POSTED) ? 0 : -ENOTSUP;
    if (!(u->flags & VMSIX_VTD_X2APIC) && (f->dest & ~0x0000ff00u))
        return -EINVAL;
    return 0;
}

int vmsix_vtd_irte_write(struct vmsix_vtd_unit *u, uint32_t index, const struct vmsix_vtd_irte *f,
                         uint32_t flags)
{
    uint64_t v[2];
    uint64_t *e;
    bool old_present, old_posted;
    int rc;

    if (!unit_ok(u) || !f || !f->present || index >= u->nentries ||
        (flags & ~VMSIX_VTD_WR_QUIESCED))
        return -EINVAL;
    rc = vmsix_vtd_irte_encode(f, v);
    if (rc)
        return rc;
    rc = check_unit_fields(u, f);
    if (rc)
        return rc;

    lock(u);
    e = slot(u, index);
    {
        uint64_t old_lo = ld64(&e[0]);
        old_present = (old_lo & LO_P) != 0;
        old_posted = old_present && (old_lo & LO_IM);
    }
    if (f->posted || old_posted || (old_present && !(flags & VMSIX_VTD_WR_QUIESCED))) {
        if (!have_store128(u)) {
            rc = -ENOTSUP;
        } else {
            store_atomic(u, e, v);
        }
    } else {
        store_ordered(u, e, v);
    }
    unlock(u);
    return rc;
}

int vmsix_vtd_irte_clear(struct vmsix_vtd_unit *u, uint32_t index)
{
    if (!unit_ok(u) || index >= u->nentries)
        return -EINVAL;
    lock(u);
    store_clear(u, slot(u, index));
    unlock(u);
    return 0;
}

int vmsix_vtd_irte_read(const struct vmsix_vtd_unit *u, uint32_t index, uint64_t out[2])
{
    const uint64_t *e;

    if (!unit_ok(u) || !out || index >= u->nentries)
        return -EINVAL;
    e = slot(u, index);
    out[0] = ld64(&e[0]);
    out[1] = ld64(&e[1]);
    return 0;
}

/* Largest k <= MHMV with @index aligned to 2^k and 2^k <= @left. */
static unsigned chunk_order(const struct vmsix_vtd_unit *u, uint32_t index, uint32_t left)
{
    unsigned k = 0;

    while (k < u->mhmv && !(index & ((2u << k) - 1u)) && (2u << k) <= left)
        k++;
    return k;
}

static int invalidate_locked(struct vmsix_vtd_unit *u, uint32_t index, uint32_t count)
{
    uint32_t i = index, left = count;
    int rc = 0;

    while (left) {
        unsigned k = chunk_order(u, i, left);
        uint64_t d[2];

        (void)vmsix_vtd_iec_index(i, k, d); /* i < 65536, aligned to 2^k: cannot fail */
        rc = u->ops.invalidate(u->ctx, d);
        if (rc)
            break;
        i += 1u << k;
        left -= 1u << k;
    }
    if (!rc)
        return 0;
    if (rc > 0)
        rc = -EIO;
    for (i = 0; i < count; i++)
        store_clear(u, slot(u, index + i));
    return rc;
}

int vmsix_vtd_invalidate(struct vmsix_vtd_unit *u, uint32_t index, uint32_t count)
{
    int rc;

    if (!unit_ok(u) || count == 0 || index >= u->nentries || count > u->nentries - index)
        return -EINVAL;
    lock(u);
    rc = invalidate_locked(u, index, count);
    unlock(u);
    return rc;
}

/* ---- reference decoder ------------------------------------------------- */

static bool sid_matches(const struct vmsix_vtd_irte *f, uint16_t sid)
{
    static const uint16_t ignore[4] = {0x0, 0x4, 0x6, 0x7};

    switch (f->svt) {
    case VMSIX_VTD_SVT_NONE:
        return true;
    case VMSIX_VTD_SVT_RID:
        return ((f->sid ^ sid) & (uint16_t)~ignore[f->sq & 3u]) == 0;
    case VMSIX_VTD_SVT_BUS: {
        unsigned bus = sid >> 8;
        return bus >= (unsigned)(f->sid >> 8) && bus <= (unsigned)(f->sid & 0xffu);
    }
    default:
        return false;
    }
}

int vmsix_vtd_remap(const struct vmsix_vtd_unit *u, uint16_t sid, const struct vmsix_msg *m,
                    struct vmsix_vtd_result *out)
{
    uint64_t raw[2];
    uint32_t addr, handle, index;
    int rc;

    if (!unit_ok(u) || !m || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if ((m->addr >> 32) || ((uint32_t)m->addr & MSI_BASE_MASK) != MSI_BASE)
        return -EINVAL;
    addr = (uint32_t)m->addr;
    if (!(addr & MSI_REMAPPABLE)) {
        if (u->flags & VMSIX_VTD_BLOCK_COMPAT)
            return VMSIX_VTD_FAULT_COMPAT;
        out->compat = true;
        return 0;
    }
    if ((addr & 3u) || (m->data >> 16))
        return VMSIX_VTD_FAULT_RSVD_REQ;
    handle = ((addr >> MSI_HANDLE_SHIFT) & 0x7fffu) | ((addr & MSI_H15) ? 0x8000u : 0);
    index = handle + ((addr & MSI_SHV) ? (m->data & 0xffffu) : 0);
    if (index >= u->nentries)
        return VMSIX_VTD_FAULT_INDEX;
    out->index = index;
    raw[0] = ld64(&slot(u, index)[0]);
    raw[1] = ld64(&slot(u, index)[1]);
    rc = vmsix_vtd_irte_decode(raw, &out->irte);
    if (!out->irte.present)
        return VMSIX_VTD_FAULT_NOT_PRESENT;
    if (rc)
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (out->irte.posted && !(u->flags & VMSIX_VTD_POSTED))
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (!out->irte.posted && !(u->flags & VMSIX_VTD_X2APIC) && (out->irte.dest & ~0x0000ff00u))
        return VMSIX_VTD_FAULT_RSVD_IRTE;
    if (!sid_matches(&out->irte, sid))
        return VMSIX_VTD_FAULT_SID;
    if (!out->irte.posted)
        out->apic_id = (u->flags & VMSIX_VTD_X2APIC) ? out->irte.dest : out->irte.dest >> 8;
    return 0;
}

/* ---- remap backend ----------------------------------------------------- */

static bool block_ok(const struct vmsix_vtd_unit *u, const struct vmsix_remap_block *b)
{
    return b && b->priv == (uintptr_t)u && vmsix_is_pow2(b->count) && b->base < u->nentries &&
           b->count <= u->nentries - b->base;
}

static bool block_has_present(const struct vmsix_vtd_unit *u, uint32_t base, uint32_t count)
{
    uint32_t i;

    for (i = 0; i < count; i++)
        if (ld64(&slot(u, base + i)[0]) & LO_P)
            return true;
    return false;
}

static int be_caps(void *ctx, struct vmsix_remap_caps *c)
{
    const struct vmsix_vtd_unit *u = ctx;

    if (!unit_ok(u) || !c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    c->flags = (u->flags & VMSIX_VTD_POSTED) ? VMSIX_REMAP_CAP_POSTED : 0;
    c->nentries = u->nentries;
    c->max_order = u->order;
    if ((u->remap_flags & VMSIX_VTD_REMAP_STRICT_MHMV) && u->mhmv < c->max_order)
        c->max_order = u->mhmv;
    c->dest_bits = (u->flags & VMSIX_VTD_X2APIC) ? 32 : 8;
    c->vector_bits = 8;
    return 0;
}

static int be_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                      uint32_t align, struct vmsix_remap_block *blk)
{
    struct vmsix_vtd_unit *u = ctx;
    uint32_t n, base;
    int rc;

    if (!unit_ok(u) || !u->pool || !src || !blk)
        return -EINVAL;
    if (count == 0 || count > VMSIX_VTD_MAX_ENTRIES || align > VMSIX_VTD_MAX_ENTRIES ||
        (align && !vmsix_is_pow2(align)) || src->id > 0xffffu)
        return -EINVAL;
    if (src->kind == VMSIX_REMAP_SRC_BUS_RANGE) {
        if (src->bus_last < (src->id >> 8))
            return -EINVAL;
    } else if (src->kind != VMSIX_REMAP_SRC_RID) {
        return -EINVAL;
    }
    n = vmsix_roundup_pow2(count > align ? count : align);
    /* larger than 2^max_order (caps()): -ENOTSUP, as remap.h says */
    if (n > u->nentries || ((u->remap_flags & VMSIX_VTD_REMAP_STRICT_MHMV) && n > (1u << u->mhmv)))
        return -ENOTSUP;
    rc = vmsix_irte_alloc(u->pool, n, &base);
    if (rc)
        return rc;
    if (base >= u->nentries || n > u->nentries - base) {
        (void)vmsix_irte_free(u->pool, base, n);
        return -ERANGE;
    }
    if (block_has_present(u, base, n)) {
        (void)vmsix_irte_free(u->pool, base, n);
        return -EBUSY;
    }
    memset(blk, 0, sizeof(*blk));
    blk->base = base;
    blk->count = n;
    blk->src = *src;
    blk->priv = (uintptr_t)u;
    return 0;
}

static int be_release(void *ctx, struct vmsix_remap_block *blk)
{
    struct vmsix_vtd_unit *u = ctx;
    int rc;

    if (!unit_ok(u) || !u->pool || !block_ok(u, blk))
        return -EINVAL;
    if (block_has_present(u, blk->base, blk->count))
        return -EBUSY;
    rc = vmsix_irte_free(u->pool, blk->base, blk->count);
    if (rc)
        return rc;
    memset(blk, 0, sizeof(*blk));
    return 0;
}

/* The entry for target @t from source @s. */
static int build_irte(const struct vmsix_vtd_unit *u, const struct vmsix_remap_source *s,
                      const struct vmsix_remap_target *t, struct vmsix_vtd_irte *f)
{
    memset(f, 0, sizeof(*f));
    f->present = true;
    if (t->vector < 16u || t->vector > 255u)
        return -EINVAL;
    f->vector = (uint8_t)t->vector;
    if (t->posted) {
        if (t->dest || t->dest_logical || t->delivery || t->level || t->redir_hint ||
            (t->pd_addr & 63u))
            return -EINVAL;
        f->posted = true;
        f->pda = t->pd_addr;
        f->urgent = t->urgent;
    } else {
        if (t->pd_addr || t->urgent)
            return -EINVAL;
        if (t->delivery != VMSIX_REMAP_DLM_FIXED && t->delivery != VMSIX_REMAP_DLM_LOWPRI)
            return -EINVAL;
        if (vmsix_vtd_dest_place((u->flags & VMSIX_VTD_X2APIC) != 0, t->dest, &f->dest))
            return -EINVAL;
        f->dest_logical = t->dest_logical;
        f->redir_hint = t->redir_hint;
        f->level = t->level;
        f->delivery = t->delivery;
    }
    if (s->kind == VMSIX_REMAP_SRC_BUS_RANGE)
        return vmsix_vtd_sv_bus_range(f, (uint8_t)(s->id >> 8), s->bus_last);
    return vmsix_vtd_sv_rid(f, (uint16_t)s->id);
}

static int be_program(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                      const struct vmsix_remap_target *t, uint32_t flags)
{
    struct vmsix_vtd_unit *u = ctx;
    struct vmsix_vtd_irte f;
    int rc;

    if (!unit_ok(u) || !block_ok(u, blk) || k >= blk->count || !t ||
        (flags & ~VMSIX_REMAP_PROG_QUIESCED))
        return -EINVAL;
    rc = build_irte(u, &blk->src, t, &f);
    if (rc)
        return rc;
    return vmsix_vtd_irte_write(u, blk->base + k, &f,
                                (flags & VMSIX_REMAP_PROG_QUIESCED) ? VMSIX_VTD_WR_QUIESCED : 0);
}

static int be_clear(void *ctx, const struct vmsix_remap_block *blk, uint32_t k)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!unit_ok(u) || !block_ok(u, blk) || k >= blk->count)
        return -EINVAL;
    return vmsix_vtd_irte_clear(u, blk->base + k);
}

static int be_invalidate(void *ctx, const struct vmsix_remap_block *blk, uint32_t first, uint32_t n)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!unit_ok(u) || !block_ok(u, blk) || n == 0 || first >= blk->count || n > blk->count - first)
        return -EINVAL;
    return vmsix_vtd_invalidate(u, blk->base + first, n);
}

static int be_compose(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    struct vmsix_vtd_unit *u = ctx;

    if (!unit_ok(u) || !block_ok(u, blk) || !msg)
        return -EINVAL;
    vmsix_vtd_msi_compose((uint16_t)blk->base, msg);
    return 0;
}

static const struct vmsix_remap_ops vtd_remap_ops = {
    .caps = be_caps,
    .reserve = be_reserve,
    .release = be_release,
    .program = be_program,
    .clear = be_clear,
    .invalidate = be_invalidate,
    .compose = be_compose,
    .doorbell_map = NULL,
    .doorbell_unmap = NULL,
};

int vmsix_vtd_remap_init(struct vmsix_vtd_unit *u, struct vmsix_irte_pool *pool, uint32_t flags,
                         struct vmsix_remap *out)
{
    if (!unit_ok(u) || !vmsix_irte_pool_valid(pool) || !out ||
        (flags & ~VMSIX_VTD_REMAP_STRICT_MHMV))
        return -EINVAL;
    if (u->pool && u->pool != pool)
        return -EBUSY;
    u->pool = pool;
    u->remap_flags = flags;
    out->ops = &vtd_remap_ops;
    out->ctx = u;
    return 0;
}
