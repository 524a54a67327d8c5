/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-capchain: the input is a configuration-space view of any length
 * (capped at 8192 bytes, so views past 4096 are covered too).
 *
 * Invariants (abort() on failure):
 * - parse returns 0 or -EBADMSG (flags 0 iff 0), -EINVAL for < 64 bytes;
 *   every listed capability lies inside the view (and inside 0x40..0xFF for
 *   a standard one), standard ones first, no offset listed twice;
 * - lookup agrees with parse + find (result, capability, flags);
 * - hide of a listed capability returns 0; a re-parse no longer lists it
 *   (except the first extended one, with ID 0) and has no LOOP that the
 *   original did not have; hide of an unlisted offset is -ENOENT and
 *   changes nothing;
 * - replace with bytes from the input returns 0 iff they fit in the room
 *   (else -ENOSPC, view unchanged); on 0 the new bytes are in place, the
 *   rest of the old capability is zeroed up to the next listed one, the
 *   next pointer is kept and nothing else changed;
 * - insert of a small vendor capability either fails with the view
 *   unchanged, or succeeds and a re-parse (well formed) lists it there;
 * - MSI-X on MSI's check: an eligible view has a well-formed chain with one
 *   MSI, no MSI-X and no two standard capabilities overlapping, and a guest
 *   view with MSI-X where MSI was; a refused one gets no view and nothing
 *   is written; the same with software masking, which accepts every view
 *   the function's mask bits accept, with the same guest view.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmsix/capchain.h>
#include <vmsix/msix_on_msi.h>

#include "oracle.h"
#include "fuzz_check.h"

#define MAX_INPUT 8192
#define MAX_EDITED 32 /* capabilities edited per input (a spread of them) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmsix_capchain chain, again;

static VMSIX_ORACLE void check_shape(const struct vmsix_capchain *c, size_t len)
{
    size_t view = len > 4096 ? 4096 : len;
    unsigned ext = 0;

    CHECK(c->n <= VMSIX_CAPCHAIN_MAX);
    for (unsigned k = 0; k < c->n; k++) {
        const struct vmsix_cap *cap = &c->cap[k];
        CHECK((size_t)cap->off + cap->len <= view);
        CHECK(cap->len >= (cap->ext ? 4 : 2));
        CHECK(cap->off % 4 == 0);
        if (cap->ext) {
            CHECK(cap->off >= 0x100);
            ext++;
        } else {
            CHECK(cap->off >= 0x40 && cap->off + cap->len <= 0x100);
            CHECK(cap->ver == 0 && cap->id <= 0xff);
            CHECK(ext == 0); /* standard first */
        }
        for (unsigned j = 0; j < k; j++)
            CHECK(c->cap[j].off != cap->off);
    }
}

static VMSIX_ORACLE bool listed(const struct vmsix_capchain *c, bool ext, uint16_t off,
                                struct vmsix_cap *out)
{
    for (unsigned j = 0; j < c->n; j++) {
        if (c->cap[j].off == off && c->cap[j].ext == ext) {
            if (out)
                *out = c->cap[j];
            return true;
        }
    }
    return false;
}

static VMSIX_ORACLE void check_lookup(const uint8_t *b, size_t len, bool ext, uint16_t id)
{
    struct vmsix_cap a, f;
    unsigned fl = 0xdead;
    int ra = vmsix_capchain_lookup(b, len, ext, id, &a, &fl);
    int rf = vmsix_capchain_find(&chain, ext, id, &f);

    CHECK(ra == rf);
    CHECK(fl == chain.flags);
    if (ra == 0)
        CHECK(memcmp(&a, &f, sizeof(a)) == 0);
    else
        CHECK(ra == -ENOENT);
}

static uint8_t in_byte(const uint8_t *data, size_t size, size_t i)
{
    return data[i % size];
}

static void edit_one(const uint8_t *b, uint8_t *copy, size_t len, const struct vmsix_cap *c,
                     const uint8_t *data, size_t size, unsigned k)
{
    unsigned hdr = c->ext ? 4 : 2;
    int rc;

    /* hide */
    memcpy(copy, b, len);
    CHECK(vmsix_capchain_hide(copy, len, c->ext, c->off) == 0);
    rc = vmsix_capchain_parse(copy, len, &again);
    CHECK(rc == 0 || rc == -EBADMSG);
    check_shape(&again, len);
    if (!(chain.flags & VMSIX_CHAIN_LOOP))
        CHECK(!(again.flags & VMSIX_CHAIN_LOOP));
    struct vmsix_cap h;
    if (listed(&again, c->ext, c->off, &h))
        CHECK(c->ext && c->off == 0x100 && h.id == 0);

    /* replace with bytes from the input */
    uint8_t body[80];
    size_t seed = (size_t)k * 31 + c->off;
    size_t bl = hdr + in_byte(data, size, seed) % 72;
    for (size_t i = 0; i < bl; i++)
        body[i] = in_byte(data, size, seed + 1 + i);
    memcpy(copy, b, len);
    rc = vmsix_capchain_replace(copy, len, c->ext, c->off, body, bl);
    /* The room (src/capchain.c cap_room()): the old length rounded up to a
     * dword, never into the next higher listed capability of the kind, nor
     * past its space or the view. NOTE: capchain.h says "-ENOSPC when
     * @cap_len exceeds the old length" and "bytes past @cap_len are zeroed";
     * the code deliberately differs for overlapping capabilities and for
     * lengths that are not a multiple of 4 (see tests/fuzz/README.md). */
    size_t view = len > 4096 ? 4096 : len;
    size_t limit = (c->ext ? view : 0x100) - c->off;
    for (unsigned j = 0; j < chain.n; j++)
        if (chain.cap[j].ext == c->ext && chain.cap[j].off > c->off &&
            (size_t)(chain.cap[j].off - c->off) < limit)
            limit = chain.cap[j].off - c->off;
    if (view - c->off < limit)
        limit = view - c->off;
    size_t room = ((size_t)c->len + 3) & ~(size_t)3;
    if (limit < room)
        room = limit;
    size_t zero_end = c->len < room ? c->len : room;
    if (bl > room) {
        CHECK(rc == -ENOSPC);
        CHECK(memcmp(copy, b, len) == 0);
    } else {
        size_t end = c->off + (bl > zero_end ? bl : zero_end);
        CHECK(rc == 0);
        CHECK(memcmp(copy, b, c->off) == 0);
        CHECK(memcmp(copy + end, b + end, len - end) == 0);
        CHECK(memcmp(copy + c->off + hdr, body + hdr, bl - hdr) == 0);
        for (size_t i = bl; i < zero_end; i++)
            CHECK(copy[c->off + i] == 0);
        if (c->ext) {
            uint32_t oh, nh, ch;
            memcpy(&oh, b + c->off, 4);
            memcpy(&nh, body, 4);
            memcpy(&ch, copy + c->off, 4);
            /* ID and version from the new bytes, next pointer kept */
            CHECK((ch & 0xfffffu) == (nh & 0xfffffu));
            CHECK((ch >> 20) == (oh >> 20));
        } else {
            CHECK(copy[c->off] == body[0]);
            CHECK(copy[c->off + 1] == b[c->off + 1]);
        }
    }
}

/* MSI-X on MSI's eligibility of the view (issue 14, defects 4-6): what the
 * check calls eligible has a well-formed chain with one MSI, no MSI-X and
 * no two standard capabilities overlapping by their lengths, and a guest
 * view; what it refuses gets no view, and nothing is written. */
static VMSIX_ORACLE void check_eligibility(const uint8_t *b, uint8_t *out, size_t len,
                                           unsigned masking)
{
    size_t out_len = len > 4096 ? 4096 : len;
    struct vmsix_eligibility e;
    unsigned n_msi = 0, n_msix = 0;
    int rc = masking == VMSIX_MASKING_FUNCTION
                 ? vmsix_msix_on_msi_check(b, len, &e)
                 : vmsix_msix_on_msi_check_masking(b, len, masking, &e);

    CHECK(rc == 0 || rc == -ENOTSUP);
    memset(out, 0xa5, out_len);
    if (rc) {
        CHECK(vmsix_msix_on_msi_view_masking(b, len, masking, NULL, out, out_len) == -ENOTSUP);
        for (size_t i = 0; i < out_len; i++)
            CHECK(out[i] == 0xa5);
        return;
    }
    CHECK(chain.flags == 0);
    for (unsigned k = 0; k < chain.n; k++) {
        const struct vmsix_cap *c = &chain.cap[k];
        if (c->ext)
            continue;
        n_msi += c->id == VMSIX_CAP_ID_MSI;
        n_msix += c->id == VMSIX_CAP_ID_MSIX;
        for (unsigned j = 0; j < chain.n; j++) {
            const struct vmsix_cap *o = &chain.cap[j];
            if (j != k && !o->ext)
                CHECK(c->off + c->len <= o->off || o->off + o->len <= c->off);
        }
    }
    CHECK(n_msi == 1 && n_msix == 0);
    CHECK(vmsix_msix_on_msi_view_masking(b, len, masking, NULL, out, out_len) == 0);
    CHECK(vmsix_capchain_parse(out, out_len, &again) == 0);
    CHECK(vmsix_capchain_find(&again, false, VMSIX_CAP_ID_MSI, NULL) == -ENOENT);
    struct vmsix_cap x;
    CHECK(vmsix_capchain_find(&again, false, VMSIX_CAP_ID_MSIX, &x) == 0 && x.off == e.msi_off);
}

/* Software masking accepts every function the mask bits accept, with the
 * same guest view (vmsix_msix_on_msi_view() is the FUNCTION form). */
static VMSIX_ORACLE void check_same_view(const uint8_t *b, uint8_t *out, size_t len)
{
    size_t out_len = len > 4096 ? 4096 : len;
    static uint8_t first[4096];

    if (vmsix_msix_on_msi_view(b, len, NULL, first, out_len) != 0)
        return;
    CHECK(vmsix_msix_on_msi_view_masking(b, len, VMSIX_MASKING_SOFTWARE, NULL, out, out_len) == 0);
    CHECK(memcmp(first, out, out_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = size > MAX_INPUT ? MAX_INPUT : size;
    uint8_t *b, *copy;
    int rc;

    /* exact-size heap buffers: ASan sees any access past the view */
    b = calloc(len ? len : 1, 1);
    copy = malloc(len ? len : 1);
    if (!b || !copy)
        abort();
    if (len)
        memcpy(b, data, len);

    rc = vmsix_capchain_parse(b, len, &chain);
    if (len < 64) {
        CHECK(rc == -EINVAL);
        CHECK(vmsix_capchain_lookup(b, len, false, VMSIX_CAP_ID_MSI, NULL, NULL) == -EINVAL);
        goto out;
    }
    CHECK(rc == 0 || rc == -EBADMSG);
    CHECK((rc == 0) == (chain.flags == 0));
    CHECK(rc == 0 || chain.fault_at != 0 || (chain.flags & ~VMSIX_CHAIN_EXT) != 0);
    check_shape(&chain, len);
    /* parse does not write to the view */
    CHECK(memcmp(b, data, len) == 0);

    /* lookup == parse + find, for every listed ID and a few others */
    unsigned lstep = chain.n > 32 ? (chain.n + 31) / 32 : 1; /* lookup walks the chain */
    for (unsigned k = 0; k < chain.n; k += lstep)
        check_lookup(b, len, chain.cap[k].ext, chain.cap[k].id);
    static const uint16_t ids[] = {0x01, 0x05, 0x10, 0x11, 0x0001, 0x000b, 0x0019, 0};
    for (unsigned q = 0; q < sizeof(ids) / sizeof(ids[0]); q++)
        check_lookup(b, len, q >= 4, ids[q]);
    check_lookup(b, len, false, b[len - 1]);
    check_lookup(b, len, true, (uint16_t)(b[len - 2] | (b[len - 1] << 8)));

    check_eligibility(b, copy, len, VMSIX_MASKING_FUNCTION);
    check_eligibility(b, copy, len, VMSIX_MASKING_SOFTWARE);
    check_same_view(b, copy, len);

    /* hide / replace a spread of the listed capabilities */
    unsigned step = chain.n > MAX_EDITED ? (chain.n + MAX_EDITED - 1) / MAX_EDITED : 1;
    for (unsigned k = 0; k < chain.n; k += step)
        edit_one(b, copy, len, &chain.cap[k], data, len, k);

    /* hide of an offset that is not listed: -ENOENT, nothing changed */
    for (unsigned q = 0; q < 2; q++) {
        bool ext = q == 1;
        uint16_t off = (uint16_t)((b[len / 2] | (b[len / 3] << 8)) & 0xfff);
        if (listed(&chain, ext, off, NULL))
            continue;
        memcpy(copy, b, len);
        rc = vmsix_capchain_hide(copy, len, ext, off);
        CHECK(rc == -ENOENT || rc == -EINVAL);
        CHECK(memcmp(copy, b, len) == 0);
    }

    /* insert a small vendor capability */
    for (unsigned q = 0; q < 2; q++) {
        bool ext = q == 1;
        static const uint8_t vndr_std[12] = {VMSIX_CAP_ID_VNDR, 0, 12, 0xaa};
        static const uint8_t vndr_ext[16] = {VMSIX_ECAP_ID_VNDR, 0, 0x01, 0, 0x01, 0, 0x10, 0};
        uint8_t sel = b[(len * 3) / 4];
        uint16_t off = (sel & 1) ? 0 : (uint16_t)((b[len - 3] | (sel << 7)) & 0xffc);
        uint16_t want = off;
        memcpy(copy, b, len);
        rc = vmsix_capchain_insert(copy, len, ext, ext ? vndr_ext : vndr_std, ext ? 16 : 12, &off);
        CHECK(rc == 0 || rc == -ENOSPC || rc == -EBADMSG || rc == -ENOTSUP || rc == -EINVAL);
        if (rc == 0) {
            struct vmsix_cap got;
            CHECK(want == 0 || off == want);
            CHECK(off % 4 == 0);
            CHECK(vmsix_capchain_parse(copy, len, &again) == 0);
            check_shape(&again, len);
            CHECK(listed(&again, ext, off, &got));
            CHECK(got.id == (ext ? VMSIX_ECAP_ID_VNDR : VMSIX_CAP_ID_VNDR));
            /* everything listed before is still listed */
            for (unsigned k = 0; k < chain.n; k++)
                CHECK(listed(&again, chain.cap[k].ext, chain.cap[k].off, NULL));
        } else {
            CHECK(memcmp(copy, b, len) == 0);
            if (rc == -EBADMSG)
                CHECK(chain.flags != 0);
        }
    }
out:
    free(b);
    free(copy);
    return 0;
}
