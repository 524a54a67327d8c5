/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-msix-table: an MSI-X table object and the reference model of
 * tests/unit/test_msix_table.c (tests/common/msix_model.h) driven in
 * lockstep by a stream of operations.
 *
 * Input: 4 header bytes, then operations (missing bytes read as 0; at most
 * MAX_OPS operations).
 *   h0, h1  nvec = 1 + (le16 & 0x7ff)
 *   h2      bit 0: PBA before the table; bits 7:4 the first region's
 *           offset / 8; bits 3:1 the gap between the regions / 8
 *   h3      bit 0 VMSIX_MSIX_DEFER_UPDATE, bit 1 VMSIX_MSIX_UNDEF_READS_ONES,
 *           bit 2 a pending_poll hook
 * Each operation is one byte (mod 9) and its operands:
 *   0 MMIO write, 1 MMIO read: an offset (near an entry, near the PBA, any
 *     16-bit or any 64-bit one), a size (0..16, or 240..255) and a value;
 *   2 Message Control write (16 bits); 3 fire (a vector, sometimes
 *   out of range); 4 toggle the device's own pending bit of a vector;
 *   5 reset; 6 save + restore round trip (and a save into a short buffer);
 *   7 restore of a corrupted save (truncated, extended, or a burst of up to
 *   4 changed bytes: CRC-32 catches every burst of <= 32 bits);
 *   8 compare Message Control. Once SAVE_BUDGET bytes of save images
 *   were checked, 6 and 7 act as 8.
 *
 * Invariants (abort() on failure), after every operation (the whole state:
 * after every 32 operations and at the end when nvec > 256):
 * - every return code and every read value is the model's (size 0:
 *   -EINVAL, nothing read or changed; vector >= nvec: -EINVAL);
 * - the hook calls (vector_update, deliver, pending_poll) are the model's,
 *   call for call, in order, with the same vector (pending_poll: range),
 *   message and state; pending_poll's range lies in 1..64 vectors below
 *   nvec (its answer sets every bit past the range: they must not count);
 * - Message Control, every vector's entry, active state and pending bit
 *   are the model's;
 * - save: used == vmsix_msix_save_size(), -ENOSPC into a short buffer; a
 *   round trip re-reports every active vector (released, then reported)
 *   and a second save gives the same bytes;
 * - a corrupted restore returns -EINVAL, calls no hook and changes nothing
 *   (a save afterwards gives the bytes saved before).
 * Offsets within 512 of UINT64_MAX (accesses that would wrap) are moved
 * down: they are outside the model's domain.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/msix_table.h>

#include "oracle.h"
#include "fuzz_check.h"
#include "msix_model.h"

#define MAX_OPS 1024
#define SAVE_MAX (64 * 1024)
/* Save images checked per input, in bytes: beyond it, operations 6 and 7
 * compare Message Control instead. Every save of a 2048-vector table is a
 * 32-KiB CRC (three per round trip), and unbounded they took over half of
 * a long campaign's time without adding coverage. */
#define SAVE_BUDGET (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct evlog impl_log;
static struct model ref;
static struct vmsix_msix *mx;
static unsigned char save_a[SAVE_MAX], save_b[SAVE_MAX];
static size_t saved; /* bytes of save images this input, against SAVE_BUDGET */

static void h_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    (void)ctx;
    ev_add(&impl_log, EV_DELIVER, vec, msg->addr, msg->data, true);
}

static int h_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)ctx;
    ev_add(&impl_log, EV_UPDATE, vec, msg->addr, msg->data, active);
    return 0;
}

/* The device's bits of the range, and every bit past @count set: the
 * object must ignore them. */
static uint64_t h_poll(void *ctx, uint16_t first, unsigned count)
{
    (void)ctx;
    CHECK(count >= 1 && count <= 64);
    CHECK((unsigned)first + count <= ref.nvec);
    ev_add(&impl_log, EV_POLL, first, 0, count, false);
    return dev_pending_bits(first, count) | (count < 64 ? ~(uint64_t)0 << count : 0);
}

static const struct vmsix_msix_ops ops_poll = {sizeof(struct vmsix_msix_ops), h_deliver, h_update,
                                               h_poll};
static const struct vmsix_msix_ops ops_nopoll = {sizeof(struct vmsix_msix_ops), h_deliver, h_update,
                                                 NULL};

static VMSIX_ORACLE void logs_match(void)
{
    char why[256];

    CHECK(impl_log.overflow == 0);
    CHECK(ref.log.overflow == 0);
    if (ev_compare(&impl_log, &ref.log, why, sizeof(why))) {
        fprintf(stderr, "fuzz-msix-table: %s\n", why);
        CHECK(!"hook calls differ from the model");
    }
    impl_log.n = ref.log.n = 0;
}

static VMSIX_ORACLE void states_match(void)
{
    CHECK(vmsix_msix_ctrl_read(mx) == m_ctrl_read(&ref));
    int v = m_state_mismatch(&ref, mx);
    if (v >= 0)
        fprintf(stderr, "fuzz-msix-table: vector %d differs from the model\n", v);
    CHECK(v < 0);
}

/* restore from an exact-size heap copy, so that ASan sees any overread */
static int restore_exact(const unsigned char *buf, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    int rc;

    if (!copy)
        abort();
    if (len)
        memcpy(copy, buf, len);
    rc = vmsix_msix_restore(mx, copy, len);
    free(copy);
    return rc;
}

static size_t save_checked(unsigned char *buf)
{
    size_t used = 0, want = vmsix_msix_save_size(mx);

    CHECK(want > 0 && want <= SAVE_MAX);
    CHECK(vmsix_msix_save(mx, buf, SAVE_MAX, &used) == 0);
    CHECK(used == want);
    saved += used;
    return used;
}

static uint64_t pick_offset(struct fuzz_in *in)
{
    uint8_t sel = fuzz_get8(in);
    uint64_t plen = m_pba_len(&ref), off;

    switch (sel & 3) {
    case 0: /* a field of an entry, sometimes misaligned */
        off = ref.toff + 16 * (fuzz_get(in, 2) % ref.nvec) + 4 * ((sel >> 2) & 3);
        if (sel & 0x80)
            off += (sel >> 4) & 7;
        break;
    case 1: /* around the PBA */
        off = ref.poff + fuzz_get(in, 2) % (plen + 16);
        if ((sel & 0x80) && off >= 8)
            off -= 8;
        break;
    case 2: /* anywhere in the first 64 KiB */
        off = fuzz_get(in, 2);
        break;
    default: /* anywhere */
        off = fuzz_get(in, 8);
        if (off > UINT64_MAX - 512)
            off -= 512;
        break;
    }
    return off;
}

static unsigned pick_size(struct fuzz_in *in)
{
    uint8_t s = fuzz_get8(in);
    return s >= 240 ? s : s % 17u;
}

static void op_write(struct fuzz_in *in)
{
    uint64_t off = pick_offset(in);
    unsigned size = pick_size(in);
    uint64_t val = fuzz_get(in, 8);
    int a = vmsix_msix_mmio_write(mx, off, size, val);

    if (size == 0) {
        CHECK(a == -EINVAL);
        return;
    }
    CHECK(a == m_write(&ref, off, size, val));
}

static void op_read(struct fuzz_in *in)
{
    uint64_t off = pick_offset(in);
    unsigned size = pick_size(in);
    uint64_t a = 0x1111111111111111ull, b = 0x1111111111111111ull;
    int ra = vmsix_msix_mmio_read(mx, off, size, &a);

    if (size == 0) {
        CHECK(ra == -EINVAL);
        CHECK(a == 0x1111111111111111ull);
        return;
    }
    int rb = m_read(&ref, off, size, &b);
    if (ra != rb || a != b)
        fprintf(stderr, "fuzz-msix-table: read %#llx/%u: %d %#llx, model %d %#llx\n",
                (unsigned long long)off, size, ra, (unsigned long long)a, rb,
                (unsigned long long)b);
    CHECK(ra == rb);
    CHECK(a == b);
}

static void op_fire(struct fuzz_in *in)
{
    uint16_t raw = (uint16_t)fuzz_get(in, 2);

    if ((raw & 0x8000) && (raw & 0x7fff) >= ref.nvec) {
        CHECK(vmsix_msix_fire(mx, raw & 0x7fff) == -EINVAL);
        return;
    }
    unsigned v = raw % ref.nvec;
    CHECK(vmsix_msix_fire(mx, (uint16_t)v) == m_fire(&ref, v));
}

static void op_roundtrip(void)
{
    size_t used = save_checked(save_a), used2 = 0;

    CHECK(vmsix_msix_save(mx, save_b, used - 1, &used2) == -ENOSPC);
    CHECK(used2 == used);
    m_restore_same(&ref);
    CHECK(restore_exact(save_a, used) == 0);
    logs_match();
    CHECK(save_checked(save_b) == used);
    CHECK(memcmp(save_a, save_b, used) == 0);
}

static void op_corrupt(struct fuzz_in *in)
{
    size_t used = save_checked(save_a), len = used;
    uint8_t mode = fuzz_get8(in) % 3;

    memcpy(save_b, save_a, used);
    if (mode == 0) {
        len = fuzz_get(in, 2) % used;
    } else if (mode == 1) {
        len = used + 1 + fuzz_get8(in);
    } else {
        size_t pos = fuzz_get(in, 2) % used;
        unsigned width = 1 + fuzz_get8(in) % 4;
        bool changed = false;
        for (unsigned i = 0; i < width && pos + i < used; i++) {
            uint8_t x = fuzz_get8(in);
            save_b[pos + i] ^= x;
            changed |= x != 0;
        }
        if (!changed)
            save_b[pos] ^= 0x01;
    }
    CHECK(restore_exact(save_b, len) == -EINVAL);
    CHECK(impl_log.n == 0); /* no hook */
    CHECK(save_checked(save_b) == used);
    CHECK(memcmp(save_a, save_b, used) == 0); /* nothing changed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size, 0};
    unsigned nvec = 1 + (unsigned)(fuzz_get(&in, 2) & 0x7ff);
    uint8_t lay = fuzz_get8(&in), fl = fuzz_get8(&in);
    uint32_t first = 8u * (lay >> 4), gap = 8u * ((lay >> 1) & 7);
    uint32_t tlen = 16u * nvec, plen = 8u * ((nvec + 63) / 64), toff, poff;
    uint32_t flags = fl & (VMSIX_MSIX_DEFER_UPDATE | VMSIX_MSIX_UNDEF_READS_ONES);
    bool poll = (fl & 4) != 0;

    if (lay & 1) {
        poff = first;
        toff = poff + plen + gap;
    } else {
        toff = first;
        poff = toff + tlen + gap;
    }

    struct vmsix_msix_params p = {(uint16_t)nvec, toff, poff, flags};
    size_t need = vmsix_msix_storage_size((uint16_t)nvec);
    void *mem = malloc(need ? need : 1);
    CHECK(need > 0);
    if (!mem)
        abort();
    CHECK(vmsix_msix_init(mem, need, &p, poll ? &ops_poll : &ops_nopoll, NULL, &mx) == 0);
    m_init(&ref, nvec, toff, poff, flags, poll);
    memset(dev_pending, 0, sizeof(dev_pending));
    impl_log.n = impl_log.overflow = 0;
    saved = 0;
    states_match();

    for (unsigned i = 0; i < MAX_OPS && in.pos < in.n; i++) {
        unsigned op = fuzz_get8(&in) % 9;
        if ((op == 6 || op == 7) && saved >= SAVE_BUDGET)
            op = 8;
        switch (op) {
        case 0:
            op_write(&in);
            break;
        case 1:
            op_read(&in);
            break;
        case 2: {
            uint16_t c = (uint16_t)fuzz_get(&in, 2);
            CHECK(vmsix_msix_ctrl_write(mx, c) == 0);
            m_ctrl_write(&ref, c);
            break;
        }
        case 3:
            op_fire(&in);
            break;
        case 4: {
            unsigned v = (unsigned)(fuzz_get(&in, 2) % nvec);
            dev_pending[v] = !dev_pending[v];
            break;
        }
        case 5:
            vmsix_msix_reset(mx);
            m_reset(&ref);
            break;
        case 6:
            op_roundtrip();
            break;
        case 7:
            op_corrupt(&in);
            break;
        default:
            CHECK(vmsix_msix_ctrl_read(mx) == m_ctrl_read(&ref));
            break;
        }
        logs_match();
        /* the whole state: after every operation on small tables, every
         * 32 on large ones (speed) */
        if (nvec <= 256 || i % 32 == 0)
            states_match();
    }
    states_match();
    free(mem);
    return 0;
}
