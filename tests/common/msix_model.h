/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference model of the MSI-X table state machine (DESIGN 4.2), shared
 * by tests/unit/test_msix_table.c and tests/fuzz/fuzz_msix_table.c: raw
 * table bytes, and hook events derived by diffing every vector's effective
 * state before and after each step. It is written with a different
 * structure from src/msix_table.c on purpose; the implementation must match
 * it call for call.
 *
 * Header-only (static functions): include it in one translation unit of
 * each test program. Offsets near UINT64_MAX are outside its domain (its
 * byte-by-byte region checks would wrap).
 */
#ifndef VMSIX_TESTS_MSIX_MODEL_H
#define VMSIX_TESTS_MSIX_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vmsix/msix_table.h>

/* ---- events, recorded from the implementation's hooks and produced by the model ---- */

enum ev_kind { EV_UPDATE, EV_DELIVER, EV_POLL };

/* A pending_poll(first, count) is recorded as vec = first, data = count. */
struct ev {
    uint8_t kind;
    uint16_t vec;
    uint64_t addr;
    uint32_t data;
    bool active;
};

#include "oracle.h"
#define EV_MAX 8192

struct evlog {
    struct ev e[EV_MAX];
    unsigned n;
    unsigned overflow;
};

static inline void ev_add(struct evlog *l, uint8_t kind, uint16_t vec, uint64_t addr, uint32_t data,
                          bool active)
{
    if (l->n < EV_MAX)
        l->e[l->n++] = (struct ev){kind, vec, addr, data, active};
    else
        l->overflow++;
}

/* The device's own pending bits, consulted by pending_poll (both sides). */
static bool dev_pending[VMSIX_MSIX_MAX_VECTORS];

/* The device's pending bits of vectors [first, first + count), bit i for
 * vector first + i (what a pending_poll hook answers). */
static inline uint64_t dev_pending_bits(unsigned first, unsigned count)
{
    uint64_t bits = 0;
    for (unsigned i = 0; i < count && first + i < VMSIX_MSIX_MAX_VECTORS; i++)
        bits |= (uint64_t)dev_pending[first + i] << i;
    return bits;
}

/* ---- the reference model ---- */

struct model {
    unsigned nvec;
    uint64_t toff, poff;
    uint32_t flags;
    bool poll;
    bool enable, fmask;
    uint8_t tbl[VMSIX_MSIX_MAX_VECTORS * 16]; /* the table as raw little-endian bytes */
    bool pend[VMSIX_MSIX_MAX_VECTORS];
    struct evlog log;
};

static inline uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t m_addr(const struct model *md, unsigned v)
{
    return le(&md->tbl[16 * v], 8);
}

static inline uint32_t m_data(const struct model *md, unsigned v)
{
    return (uint32_t)le(&md->tbl[16 * v + 8], 4);
}

static inline uint32_t m_vctrl(const struct model *md, unsigned v)
{
    return (uint32_t)le(&md->tbl[16 * v + 12], 4);
}

static inline bool m_active(const struct model *md, unsigned v)
{
    return md->enable && !md->fmask && !(m_vctrl(md, v) & 1);
}

static inline VMSIX_ORACLE void m_reset_state(struct model *md)
{
    md->enable = md->fmask = false;
    memset(md->tbl, 0, sizeof(md->tbl));
    for (unsigned v = 0; v < md->nvec; v++)
        md->tbl[16 * v + 12] = 1;
    memset(md->pend, 0, sizeof(md->pend));
}

static inline void m_init(struct model *md, unsigned nvec, uint64_t toff, uint64_t poff,
                          uint32_t flags, bool poll)
{
    memset(md, 0, sizeof(*md));
    md->nvec = nvec;
    md->toff = toff;
    md->poff = poff;
    md->flags = flags;
    md->poll = poll;
    m_reset_state(md);
}

/* A snapshot of every vector's effective state, for diffing. */
struct snap {
    bool active[VMSIX_MSIX_MAX_VECTORS];
    uint64_t addr[VMSIX_MSIX_MAX_VECTORS];
    uint32_t data[VMSIX_MSIX_MAX_VECTORS];
};

static struct snap snap_before;

static inline VMSIX_ORACLE void m_snap(const struct model *md, struct snap *s)
{
    for (unsigned v = 0; v < md->nvec; v++) {
        s->active[v] = m_active(md, v);
        s->addr[v] = m_addr(md, v);
        s->data[v] = m_data(md, v);
    }
}

/* The rules, stated once: after a step, every vector whose active state
 * changed is reported (and sends what was pending if it became active);
 * an active vector whose message changed is reported unless deferred. */
static inline VMSIX_ORACLE void m_after_step(struct model *md, const struct snap *b)
{
    for (unsigned v = 0; v < md->nvec; v++) {
        bool now = m_active(md, v);
        if (now != b->active[v]) {
            /* becoming active with a software pending bit: asks the device
             * whether it holds one too (then the device sends it) */
            if (now && md->pend[v] && md->poll) {
                ev_add(&md->log, EV_POLL, (uint16_t)v, 0, 1, false);
                if (dev_pending[v])
                    md->pend[v] = false;
            }
            ev_add(&md->log, EV_UPDATE, (uint16_t)v, m_addr(md, v), m_data(md, v), now);
            if (now && md->pend[v]) {
                md->pend[v] = false;
                ev_add(&md->log, EV_DELIVER, (uint16_t)v, m_addr(md, v), m_data(md, v), true);
            }
        } else if (now && !(md->flags & VMSIX_MSIX_DEFER_UPDATE) &&
                   (m_addr(md, v) != b->addr[v] || m_data(md, v) != b->data[v])) {
            ev_add(&md->log, EV_UPDATE, (uint16_t)v, m_addr(md, v), m_data(md, v), true);
        }
    }
}

/* One dword store into the table bytes, as one step. */
static inline void m_store_dword(struct model *md, uint64_t rel, uint32_t val)
{
    if ((rel & 15) == 0)
        val &= ~3u; /* address bits 1:0 read 0 */
    m_snap(md, &snap_before);
    put_le(&md->tbl[rel], 4, val);
    m_after_step(md, &snap_before);
}

static inline bool in_region(uint64_t off, unsigned size, uint64_t lo, uint64_t len)
{
    /* byte by byte: obviously correct, if slow */
    for (unsigned i = 0; i < size; i++)
        if (off + i >= lo && off + i < lo + len)
            return true;
    return false;
}

static inline bool whole_aligned(uint64_t off, unsigned size, uint64_t lo, uint64_t len)
{
    return (size == 4 || size == 8) && off % size == 0 && off >= lo && off + size <= lo + len;
}

static inline uint64_t m_pba_len(const struct model *md)
{
    return 8 * ((md->nvec + 63) / 64);
}

static inline int m_read(struct model *md, uint64_t off, unsigned size, uint64_t *val)
{
    uint64_t tlen = 16ull * md->nvec, plen = m_pba_len(md);

    if (whole_aligned(off, size, md->toff, tlen)) {
        *val = le(&md->tbl[off - md->toff], size);
        return 0;
    }
    if (whole_aligned(off, size, md->poff, plen)) {
        uint64_t v = 0, ask = 0;
        unsigned first = (unsigned)(off - md->poff) * 8, count = 0;
        for (unsigned b = 0; b < size * 8; b++) {
            unsigned vec = first + b;
            if (vec >= md->nvec)
                break;
            count++;
            if (md->pend[vec])
                v |= (uint64_t)1 << b;
            else if (!m_active(md, vec))
                ask |= (uint64_t)1 << b; /* the device's bit decides */
        }
        /* one question for the whole read, and only when a bit depends on it */
        if (ask && md->poll) {
            ev_add(&md->log, EV_POLL, (uint16_t)first, 0, count, false);
            v |= dev_pending_bits(first, count) & ask;
        }
        *val = v;
        return 0;
    }
    if (!in_region(off, size, md->toff, tlen) && !in_region(off, size, md->poff, plen))
        return -ERANGE;
    *val = 0;
    if (md->flags & VMSIX_MSIX_UNDEF_READS_ONES)
        *val = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    return 0;
}

static inline int m_write(struct model *md, uint64_t off, unsigned size, uint64_t val)
{
    uint64_t tlen = 16ull * md->nvec, plen = m_pba_len(md);

    if (whole_aligned(off, size, md->toff, tlen)) {
        uint64_t rel = off - md->toff;
        if (size == 4) {
            m_store_dword(md, rel, (uint32_t)val);
        } else if ((rel & 15) == 0) {
            /* one change of the 64-bit address */
            m_snap(md, &snap_before);
            put_le(&md->tbl[rel], 8, val & ~3ull);
            m_after_step(md, &snap_before);
        } else {
            /* data, then Vector Control */
            m_store_dword(md, rel, (uint32_t)val);
            m_store_dword(md, rel + 4, (uint32_t)(val >> 32));
        }
        return 0;
    }
    if (in_region(off, size, md->toff, tlen) || in_region(off, size, md->poff, plen))
        return 0;
    return -ERANGE;
}

static inline void m_ctrl_write(struct model *md, uint16_t val)
{
    m_snap(md, &snap_before);
    md->enable = val & 0x8000;
    md->fmask = val & 0x4000;
    m_after_step(md, &snap_before);
}

static inline uint16_t m_ctrl_read(const struct model *md)
{
    return (uint16_t)((md->enable ? 0x8000 : 0) | (md->fmask ? 0x4000 : 0) | (md->nvec - 1));
}

static inline int m_fire(struct model *md, unsigned v)
{
    if (m_active(md, v)) {
        ev_add(&md->log, EV_DELIVER, (uint16_t)v, m_addr(md, v), m_data(md, v), true);
        return 1;
    }
    md->pend[v] = true;
    return 0;
}

static inline void m_reset(struct model *md)
{
    for (unsigned v = 0; v < md->nvec; v++)
        if (m_active(md, v))
            ev_add(&md->log, EV_UPDATE, (uint16_t)v, m_addr(md, v), m_data(md, v), false);
    m_reset_state(md);
}

/* The model's side of a restore of the object's own saved state: every
 * active vector is released, then re-reported. */
static inline void m_restore_same(struct model *md)
{
    for (unsigned v = 0; v < md->nvec; v++)
        if (m_active(md, v))
            ev_add(&md->log, EV_UPDATE, (uint16_t)v, m_addr(md, v), m_data(md, v), false);
    for (unsigned v = 0; v < md->nvec; v++)
        if (m_active(md, v))
            ev_add(&md->log, EV_UPDATE, (uint16_t)v, m_addr(md, v), m_data(md, v), true);
}

/* ---- comparison with the implementation ---- */

/* 0 when the implementation's hook calls @impl are the model's @want, call
 * for call; else -1 with the first difference described in @why. */
static inline VMSIX_ORACLE int ev_compare(const struct evlog *impl, const struct evlog *want,
                                          char *why, size_t len)
{
    if (impl->n != want->n) {
        snprintf(why, len, "%u hook calls, model %u", impl->n, want->n);
        return -1;
    }
    for (unsigned i = 0; i < impl->n; i++) {
        const struct ev *a = &impl->e[i], *b = &want->e[i];
        if (a->kind != b->kind || a->vec != b->vec || a->addr != b->addr || a->data != b->data ||
            a->active != b->active) {
            snprintf(why, len,
                     "call %u: kind %u vec %u msg %#llx/%#x act %d; model kind %u vec %u "
                     "msg %#llx/%#x act %d",
                     i, a->kind, a->vec, (unsigned long long)a->addr, a->data, a->active, b->kind,
                     b->vec, (unsigned long long)b->addr, b->data, b->active);
            return -1;
        }
    }
    return 0;
}

/* The first vector whose entry, active state or pending bit differs
 * between @mx and the model, or -1 (Message Control is not compared). */
static inline VMSIX_ORACLE int m_state_mismatch(const struct model *md, const struct vmsix_msix *mx)
{
    for (unsigned v = 0; v < md->nvec; v++) {
        struct vmsix_msg msg;
        uint32_t vc;
        int act = vmsix_msix_entry(mx, (uint16_t)v, &msg, &vc);
        if (msg.addr != m_addr(md, v) || msg.data != m_data(md, v) || vc != m_vctrl(md, v) ||
            act != (int)m_active(md, v) || vmsix_msix_pending(mx, (uint16_t)v) != (int)md->pend[v])
            return (int)v;
    }
    return -1;
}

#endif
