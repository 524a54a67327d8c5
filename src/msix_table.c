/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MSI-X table, PBA and Message Control of one function as a state
 * machine (DESIGN 4.2). Hooks tell the owner about every change of a
 * vector's effective state and about every message to send.
 *
 * Every call is written top-down, except vmsix_msix_fire(), which a device
 * calls for each interrupt and is kept short on purpose: it tests one bit
 * per vector, "live" (active, and its activation reported), kept exactly
 * in step with the table, and hands deliver a pointer to the message
 * where the table stores it. The table accesses sit behind a VM exit.
 */
#include <string.h>

#include <vmsix/msix_table.h>

#include "bytes.h"
#include "msix_table_priv.h"
#include "ops_copy.h"
#include "vmsix_errno.h"

/* For vmsix_msix_fire() only: its rare paths out of line. */
#if defined(__GNUC__)
#define COLD_PATH __attribute__((noinline, cold))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define COLD_PATH
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

#define CTRL_RW (VMSIX_MSIX_CTRL_ENABLE | VMSIX_MSIX_CTRL_FMASK)
#define VCTRL_MASK 0x1u
#define KNOWN_FLAGS (VMSIX_MSIX_DEFER_UPDATE | VMSIX_MSIX_UNDEF_READS_ONES)
#define NO_VEC 0xffffu /* no vector is being activated */

#define MSIX_MAGIC 0x6d736978u /* "msix": set last by a successful vmsix_msix_init() */

#define SAVE_MAGIC 0x58534d56u /* "VMSX" little-endian */
#define SAVE_VERSION 1u
#define SAVE_HDR 32u

/* Qwords of one bit per vector: the PBA's, and the live bits'. */
static size_t pba_qwords(unsigned nvec)
{
    return (nvec + 63u) / 64u;
}

size_t vmsix_msix_storage_size(uint16_t nvec)
{
    if (nvec == 0 || nvec > VMSIX_MSIX_MAX_VECTORS)
        return 0;
    return VMSIX_MSIX_STORAGE_SIZE(nvec);
}

/* @m came from a successful vmsix_msix_init(). */
static bool msix_ok(const struct vmsix_msix *m)
{
    return m && m->magic == MSIX_MAGIC;
}

/* Enable set and Function Mask clear: vectors can be active. */
static bool fn_active(const struct vmsix_msix *m)
{
    return m->ctrl == VMSIX_MSIX_CTRL_ENABLE;
}

static bool vec_active(const struct vmsix_msix *m, unsigned v)
{
    return fn_active(m) && !(m->ent[v].vctrl & VCTRL_MASK);
}

/* Bit @v of the bitmap at @map. */
static bool bit_test(const uint64_t *map, size_t v)
{
    return (map[v / 64u] >> (v % 64u)) & 1u;
}

static void bit_set(uint64_t *map, size_t v)
{
    map[v / 64u] |= (uint64_t)1 << (v % 64u);
}

static void bit_clear(uint64_t *map, size_t v)
{
    map[v / 64u] &= ~((uint64_t)1 << (v % 64u));
}

/* No vector is live (before the deactivations of a whole-function change,
 * so that a fire from inside one of them pends every vector alike). */
static void live_clear_all(struct vmsix_msix *m)
{
    memset(m->live, 0, pba_qwords(m->nvec) * sizeof(uint64_t));
}

static void reset_state(struct vmsix_msix *m)
{
    unsigned v;

    m->ctrl = 0;
    m->activating = NO_VEC;
    for (v = 0; v < m->nvec; v++) {
        m->ent[v].addr = 0;
        m->ent[v].data = 0;
        m->ent[v].vctrl = VCTRL_MASK;
    }
    memset(m->pba, 0, pba_qwords(m->nvec) * sizeof(uint64_t));
    live_clear_all(m);
}

int vmsix_msix_init(void *mem, size_t len, const struct vmsix_msix_params *p,
                    const struct vmsix_msix_ops *ops, void *ctx, struct vmsix_msix **out)
{
    struct vmsix_msix *m = mem;
    struct vmsix_msix_ops o;
    size_t need;
    uint64_t tlen, plen;
    int rc;

    if (!mem || !p || !ops || !out || ((uintptr_t)mem & 7u))
        return -EINVAL;
    /* into a local first: a refused size writes nothing */
    rc = vmsix_ops_copy(&o, sizeof(o), ops, VMSIX_MSIX_OPS_SIZE_V1);
    if (rc)
        return rc;
    need = vmsix_msix_storage_size(p->nvec);
    if (need == 0 || len < need || !o.deliver || !o.vector_update)
        return -EINVAL;
    if ((p->table_off & 7u) || (p->pba_off & 7u) || (p->flags & ~KNOWN_FLAGS))
        return -EINVAL;
    tlen = (uint64_t)p->nvec * VMSIX_MSIX_ENTRY_SIZE;
    plen = pba_qwords(p->nvec) * 8u;
    if (p->table_off + tlen > 0x100000000ull || p->pba_off + plen > 0x100000000ull)
        return -EINVAL;
    if (p->table_off < p->pba_off + plen && p->pba_off < p->table_off + tlen)
        return -EINVAL;

    memset(m, 0, need);
    m->nvec = p->nvec;
    m->flags = p->flags;
    m->table_off = p->table_off;
    m->table_len = tlen;
    m->pba_off = p->pba_off;
    m->pba_len = plen;
    m->ops = o;
    m->ctx = ctx;
    m->pba = m->live + pba_qwords(m->nvec);
    m->ent = (union msix_entry *)(m->pba + pba_qwords(m->nvec));
    reset_state(m);
    m->magic = MSIX_MAGIC;
    *out = m;
    return 0;
}

/* Does [off, off + size) share a byte with [lo, lo + len)? */
static bool touches(uint64_t off, unsigned size, uint64_t lo, uint64_t len)
{
    if (off >= lo)
        return off - lo < len;
    return lo - off < size;
}

/* A naturally aligned 4- or 8-byte access wholly inside [lo, lo + len)
 * (lo is 8-byte aligned and len a multiple of 8, so the start decides;
 * an offset below lo wraps to a huge difference). */
static bool well_formed(uint64_t off, unsigned size, uint64_t lo, uint64_t len)
{
    return (size == 4 || size == 8) && !(off & (size - 1u)) && off - lo < len;
}

static uint64_t undef_value(const struct vmsix_msix *m, unsigned size)
{
    if (!(m->flags & VMSIX_MSIX_UNDEF_READS_ONES))
        return 0;
    return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8u * size)) - 1u;
}

static uint64_t table_read(const struct vmsix_msix *m, uint64_t rel, unsigned size)
{
    const union msix_entry *e = &m->ent[rel / VMSIX_MSIX_ENTRY_SIZE];

    switch ((rel & 15u) | (size == 8 ? 0x10u : 0)) {
    case 0x00:
        return (uint32_t)e->addr;
    case 0x04:
        return e->addr >> 32;
    case 0x08:
        return e->data;
    case 0x0c:
        return e->vctrl;
    case 0x10:
        return e->addr;
    default: /* 0x18: data and Vector Control */
        return e->data | ((uint64_t)e->vctrl << 32);
    }
}

/* The PBA bits a read of @size bytes at @rel returns: the software bits,
 * and, for effectively masked vectors without one, the device's own
 * (asked once for the whole range the read covers, and only then). */
static uint64_t pba_read(struct vmsix_msix *m, uint64_t rel, unsigned size)
{
    unsigned first = (unsigned)(rel * 8u), count;
    uint64_t val = m->pba[rel / 8u], live = m->live[rel / 8u], ask;

    if (size == 4) {
        val = (uint32_t)(val >> (8u * (rel & 4u)));
        live = (uint32_t)(live >> (8u * (rel & 4u)));
    }
    if (!m->ops.pending_poll || first >= m->nvec)
        return val;
    count = m->nvec - first < size * 8u ? m->nvec - first : size * 8u;
    /* effectively masked (outside the hooks: not live), no software bit */
    ask = ~(val | live) & (count < 64u ? ((uint64_t)1 << count) - 1u : ~(uint64_t)0);
    if (ask)
        val |= m->ops.pending_poll(m->ctx, (uint16_t)first, count) & ask;
    return val;
}

int vmsix_msix_mmio_read(struct vmsix_msix *m, uint64_t off, unsigned size, uint64_t *val)
{
    if (!msix_ok(m) || !val || size == 0)
        return -EINVAL;
    if (well_formed(off, size, m->table_off, m->table_len))
        *val = table_read(m, off - m->table_off, size);
    else if (well_formed(off, size, m->pba_off, m->pba_len))
        *val = pba_read(m, off - m->pba_off, size);
    else if (touches(off, size, m->table_off, m->table_len) ||
             touches(off, size, m->pba_off, m->pba_len))
        *val = undef_value(m, size); /* undefined: misaligned, odd size, straddling */
    else
        return -ERANGE;
    return 0;
}

/* Vector @v became active: report it, then send what was pending. */
static int activated(struct vmsix_msix *m, unsigned v)
{
    const struct vmsix_msg *msg = &m->ent[v].msg;
    int rc;

    /* a software pending bit and a message the device holds are one
     * pending state: the device sends its own once unmasked */
    if (bit_test(m->pba, v) && m->ops.pending_poll &&
        (m->ops.pending_poll(m->ctx, (uint16_t)v, 1) & 1u))
        bit_clear(m->pba, v);
    /* the owner may fire v from inside vector_update (its device sending
     * what it held when unmasked): that message is the pending one */
    m->activating = (uint16_t)v;
    rc = m->ops.vector_update(m->ctx, (uint16_t)v, msg, true);
    m->activating = NO_VEC;
    bit_set(m->live, v);
    if (bit_test(m->pba, v)) {
        bit_clear(m->pba, v);
        m->ops.deliver(m->ctx, (uint16_t)v, msg);
    }
    return rc < 0 ? rc : 0;
}

/* Vector @v became inactive: no longer live, then reported. */
static int deactivated(struct vmsix_msix *m, unsigned v)
{
    int rc;

    bit_clear(m->live, v);
    rc = m->ops.vector_update(m->ctx, (uint16_t)v, &m->ent[v].msg, false);
    return rc < 0 ? rc : 0;
}

/* The message of entry @e changes to (addr, data): store it, and tell the
 * owner when the vector is active (unless the policy defers that). Callers
 * have checked that something differs. */
static int msg_changed(struct vmsix_msix *m, union msix_entry *e, uint64_t addr, uint32_t data)
{
    unsigned v = (unsigned)(e - m->ent);
    int rc;

    e->addr = addr;
    e->data = data;
    if (!vec_active(m, v) || (m->flags & VMSIX_MSIX_DEFER_UPDATE))
        return 0;
    rc = m->ops.vector_update(m->ctx, (uint16_t)v, &e->msg, true);
    return rc < 0 ? rc : 0;
}

static int set_addr(struct vmsix_msix *m, union msix_entry *e, uint64_t addr)
{
    addr &= ~(uint64_t)3;
    return addr == e->addr ? 0 : msg_changed(m, e, addr, e->data);
}

static int set_data(struct vmsix_msix *m, union msix_entry *e, uint32_t data)
{
    return data == e->data ? 0 : msg_changed(m, e, e->addr, data);
}

/* Store Vector Control; a change of its Mask bit while the function is
 * active changes the vector's state. */
static int set_vctrl(struct vmsix_msix *m, union msix_entry *e, uint32_t vctrl)
{
    uint32_t old = e->vctrl;
    unsigned v = (unsigned)(e - m->ent);

    e->vctrl = vctrl;
    if (!((old ^ vctrl) & VCTRL_MASK) || !fn_active(m))
        return 0;
    return (vctrl & VCTRL_MASK) ? deactivated(m, v) : activated(m, v);
}

int vmsix_msix_mmio_write(struct vmsix_msix *m, uint64_t off, unsigned size, uint64_t val)
{
    union msix_entry *e;
    uint64_t rel;
    int rc, rc2;

    if (!msix_ok(m) || size == 0)
        return -EINVAL;
    if (!well_formed(off, size, m->table_off, m->table_len)) {
        /* the PBA is read-only; undefined accesses are dropped */
        if (touches(off, size, m->table_off, m->table_len) ||
            touches(off, size, m->pba_off, m->pba_len))
            return 0;
        return -ERANGE;
    }
    rel = off - m->table_off;
    e = &m->ent[rel / VMSIX_MSIX_ENTRY_SIZE];
    switch ((rel & 12u) | (size == 8 ? 0x10u : 0)) {
    case 0x00:
        return set_addr(m, e, (e->addr & 0xffffffff00000000ull) | (uint32_t)val);
    case 0x04:
        return set_addr(m, e, (e->addr & 0xffffffffull) | (val << 32));
    case 0x08:
        return set_data(m, e, (uint32_t)val);
    case 0x0c:
        return set_vctrl(m, e, (uint32_t)val);
    case 0x10: /* one change of the 64-bit address */
        return set_addr(m, e, val);
    default: /* 0x18: the data first, then Vector Control */
        rc = set_data(m, e, (uint32_t)val);
        rc2 = set_vctrl(m, e, (uint32_t)(val >> 32));
        return rc ? rc : rc2;
    }
}

uint16_t vmsix_msix_ctrl_read(const struct vmsix_msix *m)
{
    if (!msix_ok(m))
        return 0;
    return (uint16_t)(m->ctrl | (m->nvec - 1u));
}

int vmsix_msix_ctrl_write(struct vmsix_msix *m, uint16_t val)
{
    bool was, now;
    unsigned v;
    int ret = 0;

    if (!msix_ok(m))
        return -EINVAL;
    was = fn_active(m);
    m->ctrl = val & CTRL_RW;
    now = fn_active(m);
    if (was == now)
        return 0;
    /* every individually unmasked vector changes state, in ascending order */
    if (!now)
        live_clear_all(m);
    for (v = 0; v < m->nvec; v++) {
        int rc;
        if (m->ent[v].vctrl & VCTRL_MASK)
            continue;
        rc = now ? activated(m, v) : deactivated(m, v);
        if (rc && !ret)
            ret = rc;
    }
    return ret;
}

/* Out of line, so that the refusals add no work to the accepted calls. */
static COLD_PATH int fire_refused(void)
{
    return -EINVAL;
}

/* A fire of the vector whose activation's vector_update is running: the
 * message it sends is the pending one, not to be sent again after it. */
static COLD_PATH int fire_activating(struct vmsix_msix *m, uint16_t vec)
{
    bit_clear(m->pba, vec);
    m->ops.deliver(m->ctx, vec, &m->ent[vec].msg);
    return 1;
}

/* A live vector is sent at once, with the message where the table keeps
 * it; any other is pended, except the one being activated. The bit tests
 * are written out: through bit_test() gcc 12 spends an instruction more
 * on every call (tests/bench/callsite.py measures it). */
int vmsix_msix_fire(struct vmsix_msix *m, uint16_t vec)
{
    size_t v = vec;

    if (UNLIKELY(!msix_ok(m) || v >= m->nvec))
        return fire_refused();
    if (LIKELY((m->live[v / 64u] >> (v % 64u)) & 1u)) {
        m->ops.deliver(m->ctx, vec, &m->ent[v].msg);
        return 1;
    }
    if (UNLIKELY(vec == m->activating))
        return fire_activating(m, vec);
    m->pba[v / 64u] |= (uint64_t)1 << (v % 64u);
    return 0;
}

int vmsix_msix_pending(const struct vmsix_msix *m, uint16_t vec)
{
    if (!msix_ok(m) || vec >= m->nvec)
        return -EINVAL;
    return bit_test(m->pba, vec);
}

int vmsix_msix_entry(const struct vmsix_msix *m, uint16_t vec, struct vmsix_msg *msg,
                     uint32_t *vector_ctrl)
{
    if (!msix_ok(m) || vec >= m->nvec)
        return -EINVAL;
    if (msg) {
        msg->addr = m->ent[vec].addr;
        msg->data = m->ent[vec].data;
    }
    if (vector_ctrl)
        *vector_ctrl = m->ent[vec].vctrl;
    return vec_active(m, vec);
}

void vmsix_msix_reset(struct vmsix_msix *m)
{
    unsigned v;

    if (!msix_ok(m))
        return;
    live_clear_all(m);
    for (v = 0; v < m->nvec; v++)
        if (vec_active(m, v))
            (void)deactivated(m, v);
    reset_state(m);
}

/* ---- save / restore ---- */

size_t vmsix_msix_save_size(const struct vmsix_msix *m)
{
    if (!msix_ok(m))
        return 0;
    return SAVE_HDR + (size_t)m->nvec * VMSIX_MSIX_ENTRY_SIZE + pba_qwords(m->nvec) * 8u + 4u;
}

int vmsix_msix_save(const struct vmsix_msix *m, void *buf, size_t len, size_t *used)
{
    uint8_t *b = buf, *p;
    size_t need;
    unsigned v, q;

    if (!msix_ok(m) || !used || (!buf && len))
        return -EINVAL;
    need = vmsix_msix_save_size(m);
    *used = need;
    if (len < need)
        return -ENOSPC;
    memset(b, 0, SAVE_HDR);
    vmsix_wr32(b + 0, SAVE_MAGIC);
    vmsix_wr16(b + 4, SAVE_VERSION);
    vmsix_wr16(b + 6, SAVE_HDR);
    vmsix_wr16(b + 8, m->nvec);
    vmsix_wr16(b + 10, m->ctrl);
    vmsix_wr32(b + 12, m->flags);
    vmsix_wr32(b + 16, (uint32_t)m->table_off);
    vmsix_wr32(b + 20, (uint32_t)m->pba_off);
    vmsix_wr16(b + 24, VMSIX_MSIX_ENTRY_SIZE);
    p = b + SAVE_HDR;
    for (v = 0; v < m->nvec; v++, p += VMSIX_MSIX_ENTRY_SIZE) {
        vmsix_wr64(p, m->ent[v].addr);
        vmsix_wr32(p + 8, m->ent[v].data);
        vmsix_wr32(p + 12, m->ent[v].vctrl);
    }
    for (q = 0; q < pba_qwords(m->nvec); q++, p += 8)
        vmsix_wr64(p, m->pba[q]);
    vmsix_wr32(p, vmsix_crc32(b, need - 4u));
    return 0;
}

/* Is the saved buffer consistent with @m and with itself? */
static bool restore_valid(const struct vmsix_msix *m, const uint8_t *b, size_t len)
{
    const uint8_t *ents = b + SAVE_HDR, *pba = ents + (size_t)m->nvec * VMSIX_MSIX_ENTRY_SIZE;
    uint16_t ctrl;
    unsigned v;

    if (len != vmsix_msix_save_size(m))
        return false;
    if (vmsix_rd32(b) != SAVE_MAGIC || vmsix_rd16(b + 4) != SAVE_VERSION ||
        vmsix_rd16(b + 6) != SAVE_HDR || vmsix_rd16(b + 24) != VMSIX_MSIX_ENTRY_SIZE ||
        vmsix_rd16(b + 26) != 0 || vmsix_rd32(b + 28) != 0)
        return false;
    if (vmsix_rd16(b + 8) != m->nvec || vmsix_rd32(b + 12) != m->flags ||
        vmsix_rd32(b + 16) != (uint32_t)m->table_off || vmsix_rd32(b + 20) != (uint32_t)m->pba_off)
        return false;
    if (vmsix_crc32(b, len - 4u) != vmsix_rd32(b + len - 4u))
        return false;
    ctrl = vmsix_rd16(b + 10);
    if (ctrl & ~CTRL_RW)
        return false;
    for (v = 0; v < m->nvec; v++) {
        const uint8_t *e = ents + (size_t)v * VMSIX_MSIX_ENTRY_SIZE;
        bool pend = (vmsix_rd64(pba + (v / 64u) * 8u) >> (v % 64u)) & 1u;
        bool active =
            (ctrl & CTRL_RW) == VMSIX_MSIX_CTRL_ENABLE && !(vmsix_rd32(e + 12) & VCTRL_MASK);
        if (vmsix_rd64(e) & 3u)
            return false;
        /* a pending bit on an active vector would have been sent already */
        if (pend && active)
            return false;
    }
    if (m->nvec % 64u) {
        uint64_t last = vmsix_rd64(pba + (pba_qwords(m->nvec) - 1u) * 8u);
        if (last >> (m->nvec % 64u))
            return false;
    }
    return true;
}

int vmsix_msix_restore(struct vmsix_msix *m, const void *buf, size_t len)
{
    const uint8_t *b = buf, *p;
    unsigned v, q;
    int ret = 0;

    if (!msix_ok(m) || !buf || !restore_valid(m, b, len))
        return -EINVAL;
    live_clear_all(m);
    for (v = 0; v < m->nvec; v++)
        if (vec_active(m, v)) {
            int rc = deactivated(m, v);
            if (rc && !ret)
                ret = rc;
        }
    m->ctrl = vmsix_rd16(b + 10) & CTRL_RW;
    p = b + SAVE_HDR;
    for (v = 0; v < m->nvec; v++, p += VMSIX_MSIX_ENTRY_SIZE) {
        m->ent[v].addr = vmsix_rd64(p);
        m->ent[v].data = vmsix_rd32(p + 8);
        m->ent[v].vctrl = vmsix_rd32(p + 12);
    }
    for (q = 0; q < pba_qwords(m->nvec); q++, p += 8)
        m->pba[q] = vmsix_rd64(p);
    for (v = 0; v < m->nvec; v++)
        if (vec_active(m, v)) {
            int rc = activated(m, v);
            if (rc && !ret)
                ret = rc;
        }
    return ret;
}

bool vmsix_msix_restore_valid(const struct vmsix_msix *m, const void *buf, size_t len)
{
    return msix_ok(m) && buf && restore_valid(m, buf, len);
}
