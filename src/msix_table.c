/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MSI-X table, PBA and Message Control of one function as a state
 * machine (DESIGN 4.2). Hooks tell the owner about every change of a
 * vector's effective state and about every message to send.
 */
#include <string.h>

#include <vmsix/msix_table.h>

#include "bytes.h"
#include "msix_table_priv.h"
#include "ops_copy.h"
#include "vmsix_errno.h"

/* Keeps cold paths out of the hot ones, so that the common table access
 * needs no stack frame. */
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
#define FIRE_FN_ON 0x1u
#define FIRE_ACTIVATING 0x2u
#define VCTRL_MASK 0x1u
#define KNOWN_FLAGS (VMSIX_MSIX_DEFER_UPDATE | VMSIX_MSIX_UNDEF_READS_ONES)

#define MSIX_MAGIC 0x6d736978u /* "msix": set last by a successful vmsix_msix_init() */

#define SAVE_MAGIC 0x58534d56u /* "VMSX" little-endian */
#define SAVE_VERSION 1u
#define SAVE_HDR 32u

/* One table entry as the guest sees it (16 bytes: the per-vector cost). */
struct entry {
    uint64_t addr; /* bits 1:0 always 0 */
    uint32_t data;
    uint32_t vctrl; /* bit 0 Mask; bits 31:1 stored as written */
};

struct vmsix_msix {
    uint32_t magic; /* MSIX_MAGIC; first, so that nothing else is read before it */
    uint16_t nvec;
    uint16_t ctrl; /* Message Control bits 15:14 */
    /* for fire(): FIRE_FN_ON (Enable and not Function Mask, derived from
     * ctrl), FIRE_ACTIVATING (activated() is calling vector_update); the
     * common case is exactly FIRE_FN_ON, one compare */
    uint8_t fire_state;
    uint32_t flags;
    uint64_t table_off, table_len;
    uint64_t pba_off, pba_len;
    struct vmsix_msix_ops ops;
    void *ctx;
    struct entry *ent;
    uint64_t *pba; /* pending bits, ceil(nvec / 64) qwords */
};

static size_t pba_qwords(unsigned nvec)
{
    return (nvec + 63u) / 64u;
}

size_t vmsix_msix_storage_size(uint16_t nvec)
{
    if (nvec == 0 || nvec > VMSIX_MSIX_MAX_VECTORS)
        return 0;
    return sizeof(struct vmsix_msix) + (size_t)nvec * sizeof(struct entry) +
           pba_qwords(nvec) * sizeof(uint64_t);
}

/* @m came from a successful vmsix_msix_init() (expected: keeps the
 * refusal out of the hot paths). */
static bool msix_ok(const struct vmsix_msix *m)
{
    return LIKELY(m && m->magic == MSIX_MAGIC);
}

static bool fn_active(const struct vmsix_msix *m)
{
    return (m->fire_state & FIRE_FN_ON) != 0;
}

static void set_ctrl(struct vmsix_msix *m, uint16_t ctrl)
{
    m->ctrl = ctrl & CTRL_RW;
    m->fire_state = (uint8_t)((m->fire_state & ~FIRE_FN_ON) |
                              ((ctrl & CTRL_RW) == VMSIX_MSIX_CTRL_ENABLE ? FIRE_FN_ON : 0));
}

static bool vec_active(const struct vmsix_msix *m, unsigned v)
{
    return fn_active(m) && !(m->ent[v].vctrl & VCTRL_MASK);
}

static bool pending_test(const struct vmsix_msix *m, unsigned v)
{
    return (m->pba[v / 64u] >> (v % 64u)) & 1u;
}

static void pending_set(struct vmsix_msix *m, unsigned v)
{
    m->pba[v / 64u] |= (uint64_t)1 << (v % 64u);
}

static void pending_clear(struct vmsix_msix *m, unsigned v)
{
    m->pba[v / 64u] &= ~((uint64_t)1 << (v % 64u));
}

static struct vmsix_msg msg_of(const struct vmsix_msix *m, unsigned v)
{
    struct vmsix_msg msg;

    msg.addr = m->ent[v].addr;
    msg.data = m->ent[v].data;
    return msg;
}

static void reset_state(struct vmsix_msix *m)
{
    unsigned v;

    set_ctrl(m, 0);
    for (v = 0; v < m->nvec; v++) {
        m->ent[v].addr = 0;
        m->ent[v].data = 0;
        m->ent[v].vctrl = VCTRL_MASK;
    }
    memset(m->pba, 0, pba_qwords(m->nvec) * sizeof(uint64_t));
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
    m->ent = (struct entry *)(m + 1);
    m->pba = (uint64_t *)(m->ent + m->nvec);
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
    const struct entry *e = &m->ent[rel / VMSIX_MSIX_ENTRY_SIZE];

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
    unsigned first = (unsigned)(rel * 8u), count, i;
    uint64_t val = m->pba[rel / 8u], ask = 0;

    if (size == 4)
        val = (uint32_t)(val >> (8u * (rel & 4u)));
    if (!m->ops.pending_poll || first >= m->nvec)
        return val;
    count = m->nvec - first < size * 8u ? m->nvec - first : size * 8u;
    for (i = 0; i < count; i++)
        if (!((val >> i) & 1u) && !vec_active(m, first + i))
            ask |= (uint64_t)1 << i;
    if (ask)
        val |= m->ops.pending_poll(m->ctx, (uint16_t)first, count) & ask;
    return val;
}

static COLD_PATH int mmio_read_slow(struct vmsix_msix *m, uint64_t off, unsigned size,
                                    uint64_t *val)
{
    if (!val || size == 0)
        return -EINVAL;
    if (!touches(off, size, m->table_off, m->table_len) &&
        !touches(off, size, m->pba_off, m->pba_len))
        return -ERANGE;
    *val = undef_value(m, size);
    return 0;
}

int vmsix_msix_mmio_read(struct vmsix_msix *m, uint64_t off, unsigned size, uint64_t *val)
{
    if (!msix_ok(m))
        return -EINVAL;
    if (val && well_formed(off, size, m->table_off, m->table_len)) {
        *val = table_read(m, off - m->table_off, size);
        return 0;
    }
    if (val && well_formed(off, size, m->pba_off, m->pba_len)) {
        *val = pba_read(m, off - m->pba_off, size);
        return 0;
    }
    return mmio_read_slow(m, off, size, val);
}

/* Vector @v became active: tell the owner, then send what was pending. */
static int activated(struct vmsix_msix *m, unsigned v)
{
    struct vmsix_msg msg = msg_of(m, v);
    uint8_t outer = m->fire_state & FIRE_ACTIVATING;
    int rc;

    /* a software pending bit and a message the device holds are one
     * pending state: the device sends its own once unmasked */
    if (pending_test(m, v) && m->ops.pending_poll &&
        (m->ops.pending_poll(m->ctx, (uint16_t)v, 1) & 1u))
        pending_clear(m, v);
    /* the owner may fire v from inside vector_update (its device sending
     * what it held when unmasked): that message is the pending one */
    m->fire_state |= FIRE_ACTIVATING;
    rc = m->ops.vector_update(m->ctx, (uint16_t)v, &msg, true);
    m->fire_state = (uint8_t)((m->fire_state & ~FIRE_ACTIVATING) | outer);
    if (pending_test(m, v)) {
        pending_clear(m, v);
        m->ops.deliver(m->ctx, (uint16_t)v, &msg);
    }
    return rc < 0 ? rc : 0;
}

static int deactivated(struct vmsix_msix *m, unsigned v)
{
    struct vmsix_msg msg = msg_of(m, v);
    int rc = m->ops.vector_update(m->ctx, (uint16_t)v, &msg, false);

    return rc < 0 ? rc : 0;
}

/* The message of entry @e changes to (addr, data): store it, and tell the
 * owner when the vector is active (unless the policy defers that). Callers
 * have checked that something differs: writes that change nothing are the
 * hot path and never get here. */
static COLD_PATH int msg_changed(struct vmsix_msix *m, struct entry *e, uint64_t addr,
                                 uint32_t data)
{
    unsigned v = (unsigned)(e - m->ent);

    e->addr = addr;
    e->data = data;
    if (vec_active(m, v) && !(m->flags & VMSIX_MSIX_DEFER_UPDATE)) {
        struct vmsix_msg msg = msg_of(m, v);
        int rc = m->ops.vector_update(m->ctx, (uint16_t)v, &msg, true);
        return rc < 0 ? rc : 0;
    }
    return 0;
}

/* The Mask bit of entry @e changes (the caller stored the new value). */
static COLD_PATH int mask_changed(struct vmsix_msix *m, struct entry *e)
{
    unsigned v = (unsigned)(e - m->ent);

    if (!fn_active(m))
        return 0;
    return (e->vctrl & VCTRL_MASK) ? deactivated(m, v) : activated(m, v);
}

static int set_vctrl(struct vmsix_msix *m, struct entry *e, uint32_t vctrl)
{
    uint32_t old = e->vctrl;

    e->vctrl = vctrl;
    return ((old ^ vctrl) & VCTRL_MASK) ? mask_changed(m, e) : 0;
}

static int set_addr(struct vmsix_msix *m, struct entry *e, uint64_t addr)
{
    addr &= ~(uint64_t)3;
    return addr == e->addr ? 0 : msg_changed(m, e, addr, e->data);
}

static int set_data(struct vmsix_msix *m, struct entry *e, uint32_t data)
{
    return data == e->data ? 0 : msg_changed(m, e, e->addr, data);
}

static COLD_PATH int mmio_write_slow(struct vmsix_msix *m, uint64_t off, unsigned size)
{
    if (size == 0)
        return -EINVAL;
    /* the PBA is read-only; undefined accesses are dropped */
    if (touches(off, size, m->table_off, m->table_len) ||
        touches(off, size, m->pba_off, m->pba_len))
        return 0;
    return -ERANGE;
}

static COLD_PATH int write_data_vctrl(struct vmsix_msix *m, struct entry *e, uint64_t val)
{
    /* data first, then Vector Control */
    int rc = set_data(m, e, (uint32_t)val);
    int rc2 = set_vctrl(m, e, (uint32_t)(val >> 32));

    return rc ? rc : rc2;
}

int vmsix_msix_mmio_write(struct vmsix_msix *m, uint64_t off, unsigned size, uint64_t val)
{
    struct entry *e;
    uint64_t rel;

    if (!msix_ok(m))
        return -EINVAL;
    if (!well_formed(off, size, m->table_off, m->table_len))
        return mmio_write_slow(m, off, size);
    rel = off - m->table_off;
    e = &m->ent[rel / VMSIX_MSIX_ENTRY_SIZE];
    if (size == 8)
        return (rel & 8u) ? write_data_vctrl(m, e, val) : set_addr(m, e, val);
    switch (rel & 12u) {
    case 0:
        return set_addr(m, e, (e->addr & 0xffffffff00000000ull) | (uint32_t)val);
    case 4:
        return set_addr(m, e, (e->addr & 0xffffffffull) | (val << 32));
    case 8:
        return set_data(m, e, (uint32_t)val);
    default:
        return set_vctrl(m, e, (uint32_t)val);
    }
}

uint16_t vmsix_msix_ctrl_read(const struct vmsix_msix *m)
{
    if (!msix_ok(m))
        return 0;
    return (uint16_t)(m->ctrl | (m->nvec - 1u));
}

/* Enable or Function Mask changed whether vectors can be active: every
 * individually unmasked vector changes state, in ascending order. */
static COLD_PATH int function_changed(struct vmsix_msix *m, bool now)
{
    unsigned v;
    int ret = 0;

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

int vmsix_msix_ctrl_write(struct vmsix_msix *m, uint16_t val)
{
    bool was;

    if (!msix_ok(m))
        return -EINVAL;
    was = fn_active(m);
    if (was == ((val & CTRL_RW) == VMSIX_MSIX_CTRL_ENABLE)) {
        m->ctrl = val & CTRL_RW; /* fire()'s state unchanged */
        return 0;
    }
    set_ctrl(m, val);
    return function_changed(m, !was);
}

/* fire() off the common case: the function masked or disabled, or a fire
 * from inside activated()'s vector_update. */
static COLD_PATH int fire_slow(struct vmsix_msix *m, uint16_t vec)
{
    if (vec_active(m, vec)) {
        struct vmsix_msg msg = msg_of(m, vec);
        /* a message sent satisfies the pending bit, which an active vector
         * has only while activated() runs: it must not send it again */
        pending_clear(m, vec);
        m->ops.deliver(m->ctx, vec, &msg);
        return 1;
    }
    pending_set(m, vec);
    return 0;
}

int vmsix_msix_fire(struct vmsix_msix *m, uint16_t vec)
{
    if (!msix_ok(m) || vec >= m->nvec)
        return -EINVAL;
    if (LIKELY(m->fire_state == FIRE_FN_ON)) {
        if (!(m->ent[vec].vctrl & VCTRL_MASK)) {
            struct vmsix_msg msg = msg_of(m, vec);
            m->ops.deliver(m->ctx, vec, &msg);
            return 1;
        }
        pending_set(m, vec);
        return 0;
    }
    return fire_slow(m, vec);
}

int vmsix_msix_pending(const struct vmsix_msix *m, uint16_t vec)
{
    if (!msix_ok(m) || vec >= m->nvec)
        return -EINVAL;
    return pending_test(m, vec);
}

int vmsix_msix_entry(const struct vmsix_msix *m, uint16_t vec, struct vmsix_msg *msg,
                     uint32_t *vector_ctrl)
{
    if (!msix_ok(m) || vec >= m->nvec)
        return -EINVAL;
    if (msg)
        *msg = msg_of(m, vec);
    if (vector_ctrl)
        *vector_ctrl = m->ent[vec].vctrl;
    return vec_active(m, vec);
}

void vmsix_msix_reset(struct vmsix_msix *m)
{
    unsigned v;

    if (!msix_ok(m))
        return;
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
    for (v = 0; v < m->nvec; v++)
        if (vec_active(m, v)) {
            int rc = deactivated(m, v);
            if (rc && !ret)
                ret = rc;
        }
    set_ctrl(m, vmsix_rd16(b + 10));
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
