/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the pure msix_on_msi helpers (DESIGN 4.3, msix_on_msi.h):
 * vmsix_msix_on_msi_check() (every reason alone and in combination, every fact,
 * argument errors), vmsix_elig_reason_name(), and vmsix_msix_on_msi_view()
 * (the exact bytes of the guest view, options, refusals), and their
 * software-masking forms (vmsix_msix_on_msi_view_masking(): the same view,
 * and the device's own model, for a function without mask bits).
 *
 * Every call gets a heap copy of exactly the bytes of the view, so that a
 * read past the view is caught by ASan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>

#define CFG_MAX 4096

/* ---- building synthetic configuration spaces ---- */

static uint8_t cfg[CFG_MAX];

static void wr16(unsigned off, uint16_t v)
{
    cfg[off] = (uint8_t)v;
    cfg[off + 1] = (uint8_t)(v >> 8);
}

static void wr32(unsigned off, uint32_t v)
{
    wr16(off, (uint16_t)v);
    wr16(off + 2, (uint16_t)(v >> 16));
}

static uint32_t rd32(const uint8_t *b, unsigned off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static void bar_set(unsigned i, uint32_t v)
{
    wr32(0x10 + 4 * i, v);
}

/* A header of type @htype with the Capabilities List bit and an empty list. */
static void header(uint8_t htype)
{
    memset(cfg, 0, sizeof(cfg));
    wr16(0x00, 0x1234);
    wr16(0x02, 0x5678);
    wr16(0x04, 0x0006);
    wr16(0x06, 0x0010); /* Status: Capabilities List */
    cfg[0x0e] = htype;
}

/* The list head: 0x34 for header types 0 and 1, 0x14 for type 2. */
static void head(uint8_t off)
{
    cfg[(cfg[0x0e] & 0x7f) == 2 ? 0x14 : 0x34] = off;
}

static void cap(unsigned off, uint8_t id, uint8_t next)
{
    cfg[off] = id;
    cfg[off + 1] = next;
}

/* MSI with Multiple Message Capable @mmc (0..7). */
static void msi(unsigned off, uint8_t next, unsigned mmc, bool addr64, bool pvm)
{
    cap(off, VMSIX_CAP_ID_MSI, next);
    wr16(off + 2, (uint16_t)(mmc << 1 | (addr64 ? 0x80u : 0) | (pvm ? 0x100u : 0)));
    /* some non-zero register contents, so that zeroing them is visible */
    wr32(off + 4, 0xfee00000u);
    for (unsigned i = 8; i < 24; i++)
        cfg[off + i] = (uint8_t)(0xa0 + i);
}

static void msix(unsigned off, uint8_t next, unsigned nvec)
{
    cap(off, VMSIX_CAP_ID_MSIX, next);
    wr16(off + 2, (uint16_t)(nvec - 1));
    wr32(off + 4, 0x00002000u); /* BAR 0 */
    wr32(off + 8, 0x00003000u);
}

/* PM at 0x40 or another 8-byte capability. */
static void pm(unsigned off, uint8_t next)
{
    cap(off, VMSIX_CAP_ID_PM, next);
    wr16(off + 2, 0x0003);
}

/* A vendor-specific capability of @len bytes. */
static void vndr(unsigned off, uint8_t next, uint8_t len)
{
    cap(off, VMSIX_CAP_ID_VNDR, next);
    cfg[off + 2] = len;
}

/*
 * The reference eligible function: type 0, BAR0 a 32-bit memory BAR,
 * PM at 0x40 -> MSI at 0x50 (64-bit, per-vector mask, 8 vectors) ->
 * vendor-specific at 0x70 -> end.
 */
static void eligible_fn(void)
{
    header(0x00);
    bar_set(0, 0xfe000000u);
    head(0x40);
    pm(0x40, 0x50);
    msi(0x50, 0x70, 3, true, true);
    vndr(0x70, 0x00, 8);
}

/* vmsix_msix_on_msi_check() on an exact-size heap copy of cfg[0..len). */
static int check_len(size_t len, struct vmsix_eligibility *e)
{
    uint8_t *copy = malloc(len);
    int rc;

    assert_non_null(copy);
    memcpy(copy, cfg, len);
    memset(e, 0x5a, sizeof(*e));
    rc = vmsix_msix_on_msi_check(copy, len, e);
    /* the check never writes the configuration bytes */
    assert_memory_equal(copy, cfg, len);
    free(copy);
    return rc;
}

/* Check cfg[0..len): the return value follows the reasons. */
static struct vmsix_eligibility check(size_t len)
{
    struct vmsix_eligibility e;
    int rc = check_len(len, &e);

    assert_int_equal(rc, e.reasons ? -ENOTSUP : 0);
    assert_int_equal(e.reasons & ~VMSIX_ELIG_ALL, 0);
    return e;
}

/* ---- vmsix_elig_reason_name ---- */

static void test_reason_names(void **state)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {VMSIX_ELIG_NO_MSI, "no-msi"},
        {VMSIX_ELIG_HAS_MSIX, "has-msix"},
        {VMSIX_ELIG_SINGLE_VECTOR, "single-vector"},
        {VMSIX_ELIG_NO_PER_VECTOR_MASK, "no-per-vector-mask"},
        {VMSIX_ELIG_NO_FREE_BAR, "no-free-bar"},
        {VMSIX_ELIG_BRIDGE, "bridge"},
        {VMSIX_ELIG_MALFORMED_CHAIN, "malformed-chain"},
        {VMSIX_ELIG_TRUNCATED, "truncated"},
    };
    uint32_t all = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *n = vmsix_elig_reason_name(names[i].bit);
        assert_non_null(n);
        assert_string_equal(n, names[i].name);
        all |= names[i].bit;
    }
    assert_int_equal(all, VMSIX_ELIG_ALL);
    assert_null(vmsix_elig_reason_name(0));
    /* two bits at once, or a bit that is not a reason */
    assert_null(vmsix_elig_reason_name(VMSIX_ELIG_NO_MSI | VMSIX_ELIG_BRIDGE));
    assert_null(vmsix_elig_reason_name(VMSIX_ELIG_ALL));
    for (unsigned b = 8; b < 32; b++)
        assert_null(vmsix_elig_reason_name(1u << b));
    assert_null(vmsix_elig_reason_name(0xffffffffu));
}

/* ---- vmsix_msix_on_msi_check: arguments ---- */

static void test_check_args(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    eligible_fn();
    assert_int_equal(vmsix_msix_on_msi_check(NULL, 256, &e), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_check(cfg, 256, NULL), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_check(cfg, 0, &e), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_check(cfg, 63, &e), -EINVAL);
    assert_int_equal(check_len(64, &e), -ENOTSUP); /* 64 is accepted: truncated */
    assert_int_equal(check_len(256, &e), 0);
    assert_int_equal(check_len(4096, &e), 0);
}

/* ---- vmsix_msix_on_msi_check: the eligible function and its facts ---- */

static void test_check_eligible_facts(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    eligible_fn();
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.msi_off, 0x50);
    assert_int_equal(e.msix_off, 0);
    assert_int_equal(e.msix_vectors, 0);
    assert_int_equal(e.vectors, 8);
    assert_true(e.addr64);
    assert_true(e.per_vector_mask);
    assert_int_equal(e.table_bar, 1);

    /* every legal Multiple Message Capable and both address sizes */
    for (unsigned mmc = 1; mmc <= 5; mmc++) {
        for (int a64 = 0; a64 < 2; a64++) {
            eligible_fn();
            msi(0x50, 0x70, mmc, a64, true);
            e = check(256);
            assert_int_equal(e.reasons, 0);
            assert_int_equal(e.vectors, 1u << mmc);
            assert_int_equal(e.addr64, a64 != 0);
            assert_true(e.per_vector_mask);
            assert_int_equal(e.msi_off, 0x50);
        }
    }

    /* MSI as the only capability, at the top of the space (24 bytes fit) */
    header(0x00);
    head(0xe8);
    msi(0xe8, 0x00, 5, true, true);
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.msi_off, 0xe8);
    assert_int_equal(e.vectors, 32);
    assert_int_equal(e.table_bar, 0);

    /* the same in a 4096-byte view of a conventional function */
    e = check(4096);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.msi_off, 0xe8);

    /* the low two bits of a pointer are masked (DESIGN 4.1) */
    eligible_fn();
    head(0x43);
    cap(0x40, VMSIX_CAP_ID_PM, 0x52);
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.msi_off, 0x50);

    /* the multi-function bit is not the header type */
    eligible_fn();
    cfg[0x0e] = 0x80;
    e = check(256);
    assert_int_equal(e.reasons, 0);
}

static void test_check_msix_facts(void **state)
{
    static const unsigned sizes[] = {1, 2, 5, 64, 2048};
    struct vmsix_eligibility e;

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        eligible_fn();
        vndr(0x70, 0x90, 8);
        msix(0x90, 0x00, sizes[i]);
        e = check(256);
        assert_int_equal(e.reasons, VMSIX_ELIG_HAS_MSIX);
        assert_int_equal(e.msix_off, 0x90);
        assert_int_equal(e.msix_vectors, sizes[i]);
        /* the MSI facts are still reported */
        assert_int_equal(e.msi_off, 0x50);
        assert_int_equal(e.vectors, 8);
    }
    /* Table Size is bits 10:0: Enable and Function Mask are not counted */
    eligible_fn();
    vndr(0x70, 0x90, 8);
    msix(0x90, 0x00, 4);
    wr16(0x92, 0xc003);
    e = check(256);
    assert_int_equal(e.msix_vectors, 4);
}

/* ---- vmsix_msix_on_msi_check: every reason alone ---- */

static void test_check_no_msi(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* a list without MSI */
    eligible_fn();
    pm(0x40, 0x70);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_MSI);
    assert_int_equal(e.msi_off, 0);
    assert_int_equal(e.vectors, 0);
    assert_false(e.addr64);
    assert_false(e.per_vector_mask);
    assert_int_equal(e.table_bar, 1);

    /* no list at all (Status bit 4 clear), even with a head pointer */
    eligible_fn();
    wr16(0x06, 0x0000);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_MSI);
    assert_int_equal(e.msi_off, 0);

    /* an empty list */
    eligible_fn();
    head(0x00);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_MSI);

    /* a capability list in a 64-byte view that proves there is none */
    eligible_fn();
    wr16(0x06, 0x0000);
    e = check(64);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_MSI);
}

static void test_check_has_msix(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* MSI-X before MSI */
    eligible_fn();
    head(0x80);
    msix(0x80, 0x40, 16);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_HAS_MSIX);
    assert_int_equal(e.msix_off, 0x80);
    assert_int_equal(e.msix_vectors, 16);
    assert_int_equal(e.msi_off, 0x50);

    /* MSI-X and no MSI: both reasons */
    eligible_fn();
    pm(0x40, 0x80);
    msix(0x80, 0x00, 3);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_HAS_MSIX | VMSIX_ELIG_NO_MSI);
    assert_int_equal(e.msix_vectors, 3);
    assert_int_equal(e.msi_off, 0);
}

static void test_check_single_vector(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    eligible_fn();
    msi(0x50, 0x70, 0, true, true);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_SINGLE_VECTOR);
    assert_int_equal(e.vectors, 1);
    assert_int_equal(e.msi_off, 0x50);
    assert_true(e.per_vector_mask);

    /* Multiple Message Enable (bits 6:4) is not what the device can do */
    eligible_fn();
    msi(0x50, 0x70, 0, false, true);
    wr16(0x52, (uint16_t)(0x0100 | 0x0050 | 0x0001)); /* MME 5, Enable */
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_SINGLE_VECTOR);
    assert_int_equal(e.vectors, 1);
    eligible_fn();
    wr16(0x52, (uint16_t)(0x0180 | 0x0006 | 0x0071)); /* MMC 3, MME 7, Enable */
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.vectors, 8);
}

static void test_check_no_per_vector_mask(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    for (int a64 = 0; a64 < 2; a64++) {
        eligible_fn();
        msi(0x50, 0x70, 4, a64, false);
        e = check(256);
        assert_int_equal(e.reasons, VMSIX_ELIG_NO_PER_VECTOR_MASK);
        assert_int_equal(e.vectors, 16);
        assert_int_equal(e.addr64, a64 != 0);
        assert_false(e.per_vector_mask);
    }
}

static void test_check_no_free_bar(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* all six slots used: I/O, 32-bit memory, a 64-bit pair, 32-bit memory */
    eligible_fn();
    bar_set(0, 0x0000e001u);
    bar_set(1, 0xfe000000u);
    bar_set(2, 0xd000000cu);
    bar_set(3, 0x00000038u);
    bar_set(4, 0xfd000008u);
    bar_set(5, 0x0000e101u);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);
    assert_int_equal(e.table_bar, -1);
    assert_int_equal(e.vectors, 8);

    /* three 64-bit BARs whose upper halves read 0: no slot is free */
    eligible_fn();
    bar_set(0, 0xfe000004u);
    bar_set(2, 0xfd00000cu);
    bar_set(4, 0x00000004u); /* at address 0, but the type bits say 64-bit */
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);
    assert_int_equal(e.table_bar, -1);

    /* five 32-bit slots and a 64-bit BAR in slot 4 (upper half 0 in 5) */
    eligible_fn();
    for (unsigned i = 0; i < 4; i++)
        bar_set(i, 0xf0000000u + 0x100000u * i);
    bar_set(4, 0xe0000004u);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);

    /* a 64-bit BAR in the last slot is bad, not free; reserved types too */
    eligible_fn();
    for (unsigned i = 0; i < 5; i++)
        bar_set(i, 0xf0000000u + 0x100000u * i);
    bar_set(5, 0xe0000004u);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);
    bar_set(5, 0xe0000002u); /* type 01: below 1 MiB, reserved */
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);
    bar_set(5, 0xe0000006u); /* type 11: reserved */
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_FREE_BAR);
    bar_set(5, 0x00000000u); /* and now slot 5 is free */
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.table_bar, 5);

    /* the upper half of a 64-bit BAR that reads 0 is never the table slot */
    eligible_fn();
    bar_set(0, 0x80000004u);
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.table_bar, 2);
    bar_set(2, 0x0000c001u);
    e = check(256);
    assert_int_equal(e.table_bar, 3);

    /* a 64-bit BAR above 4 GiB whose lower half address bits read 0 */
    eligible_fn();
    bar_set(0, 0x0000000cu);
    bar_set(1, 0x00000010u);
    e = check(256);
    assert_int_equal(e.reasons, 0);
    assert_int_equal(e.table_bar, 2);

    /* the lowest free slot is chosen */
    eligible_fn();
    bar_set(0, 0);
    e = check(256);
    assert_int_equal(e.table_bar, 0);
    bar_set(0, 0xfe000000u);
    bar_set(1, 0x0000e001u);
    bar_set(3, 0xfd000000u);
    e = check(256);
    assert_int_equal(e.table_bar, 2);
}

static void test_check_bridge(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* type 1 (PCI-to-PCI), both BAR slots free */
    eligible_fn();
    bar_set(0, 0);
    cfg[0x0e] = 0x01;
    wr32(0x18, 0x00020100u); /* bus numbers */
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE);
    assert_int_equal(e.msi_off, 0x50);
    assert_int_equal(e.vectors, 8);
    cfg[0x0e] = 0x81;
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE);

    /* type 2 (CardBus): the list head is at 0x14, one BAR slot */
    header(0x02);
    head(0x80);
    msi(0x80, 0x00, 2, false, true);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE);
    assert_int_equal(e.msi_off, 0x80);
    assert_int_equal(e.vectors, 4);
    cfg[0x0e] = 0x82;
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE);

    /* a type 1 bridge with both BARs used: also no free slot (slot 2 is
     * not a BAR of a bridge) */
    eligible_fn();
    cfg[0x0e] = 0x01;
    bar_set(0, 0xfe000000u);
    bar_set(1, 0xfd000000u);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE | VMSIX_ELIG_NO_FREE_BAR);

    /* type 3 does not exist: no list, no BARs, not a bridge */
    eligible_fn();
    cfg[0x0e] = 0x03;
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_MSI | VMSIX_ELIG_NO_FREE_BAR);

    /* header type 0 with a bridge class: a host bridge (the X58 ESI port
     * in tree-asus-p6t6 has MSI with 2 vectors and per-vector masking) */
    eligible_fn();
    cfg[0x0b] = 0x06;
    cfg[0x0a] = 0x00;
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_BRIDGE);
    cfg[0x0b] = 0x02; /* a network controller is not */
    e = check(256);
    assert_int_equal(e.reasons, 0);

    /* header type 0 with a PCI Express port type that is a bridge */
    static const struct {
        uint8_t type;
        bool bridge;
    } ports[] = {{0x0, false}, {0x1, false}, {0x4, true}, {0x5, true}, {0x6, true},
                 {0x7, true},  {0x8, true},  {0x9, false}, {0xa, false}};
    for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        eligible_fn();
        cap(0x70, 0x10, 0x00); /* PCI Express v2 instead of the vendor capability */
        wr16(0x72, (uint16_t)(0x0002 | (ports[i].type << 4)));
        e = check(256);
        assert_int_equal(e.reasons, ports[i].bridge ? VMSIX_ELIG_BRIDGE : 0);
    }
}

static void test_check_malformed(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* a loop after MSI: the facts are known, the chain is not well formed */
    eligible_fn();
    vndr(0x70, 0x40, 8);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msi_off, 0x50);
    assert_int_equal(e.vectors, 8);
    assert_int_equal(e.table_bar, 1);

    /* a loop before MSI: nothing is claimed about MSI, and not "no-msi" */
    eligible_fn();
    pm(0x40, 0x40);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msi_off, 0);

    /* a pointer below 0x40, at the head or in the list */
    eligible_fn();
    head(0x3c);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
    eligible_fn();
    pm(0x40, 0x20);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msi_off, 0);

    /* reserved Multiple Message Capable encodings 6 and 7 */
    for (unsigned mmc = 6; mmc <= 7; mmc++) {
        eligible_fn();
        msi(0x50, 0x70, mmc, true, true);
        e = check(256);
        assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
        assert_int_equal(e.msi_off, 0x50);
        assert_true(e.per_vector_mask);
        /* the reserved encoding is not reported as a valid count */
        assert_true(e.vectors == 0);
    }

    /* the extended list of a PCI Express function loops */
    eligible_fn();
    vndr(0x70, 0x80, 8);
    cap(0x80, VMSIX_CAP_ID_EXP, 0x00);
    wr16(0x82, 0x0002);       /* version 2, endpoint: 60 bytes */
    wr32(0x100, 0x14010001u); /* AER v1, next 0x140 */
    wr32(0x140, 0x1001000bu); /* vendor-specific v1, next 0x100: a loop */
    e = check(4096);
    assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msi_off, 0x50);
    /* the same function in a 256-byte view has no extended list */
    e = check(256);
    assert_int_equal(e.reasons, 0);
    /* well formed */
    wr32(0x140, 0x0001000bu);
    e = check(4096);
    assert_int_equal(e.reasons, 0);
}

/* Capabilities whose bytes overlap (by their known lengths, in address
 * order) are a malformed chain: a guest write to one would reach the other
 * (issue 14, defect 4). Touching is fine. */
static void test_check_overlapping(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* PCI Express (v2: 60 bytes) at 0x40 whose next is MSI at 0x44, inside
     * it: Device Control (0x48) would be the MSI address */
    header(0x00);
    bar_set(0, 0xfe000000u);
    head(0x40);
    cap(0x40, VMSIX_CAP_ID_EXP, 0x44);
    wr16(0x42, 0x0002);
    msi(0x44, 0x00, 3, true, true);
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    /* the same in the other order: MSI (24 bytes) at 0x50, PM at 0x60 */
    eligible_fn();
    msi(0x50, 0x60, 3, true, true);
    pm(0x60, 0x00);
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    /* two other capabilities overlapping, MSI apart: still malformed */
    eligible_fn();
    pm(0x40, 0x44);
    vndr(0x44, 0x50, 8);
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    /* a 10-byte MSI and the next capability at the next dword: fine (not
     * eligible for want of masking, but well formed) */
    eligible_fn();
    msi(0x50, 0x5c, 3, false, false);
    vndr(0x5c, 0x00, 4);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_NO_PER_VECTOR_MASK);
    msi(0x50, 0x5c, 3, false, true); /* 20 bytes: now over 0x5c */
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    eligible_fn();
    msi(0x50, 0x64, 3, true, false); /* 14 bytes: 0x50..0x5d */
    pm(0x40, 0x50);
    vndr(0x64, 0x00, 4);
    wr16(0x52, (uint16_t)(3 << 1 | 0x80 | 0x100)); /* 24 bytes: 0x50..0x67 */
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    wr16(0x52, (uint16_t)(3 << 1 | 0x100)); /* 20 bytes: 0x50..0x63, touching */
    e = check(256);
    assert_int_equal(e.reasons, 0);
}

/* A second MSI or MSI-X capability is a malformed chain: it would stay
 * visible and pass through to the function (issue 14, defect 5). */
static void test_check_duplicates(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    eligible_fn();
    vndr(0x70, 0x80, 8);
    msi(0x80, 0x00, 3, true, true);
    e = check(256);
    assert_true(e.reasons & VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msi_off, 0x50); /* the first one, as parse lists it */
    eligible_fn();
    vndr(0x70, 0x80, 8);
    msix(0x80, 0x90, 8);
    msix(0x90, 0x00, 8);
    e = check(256);
    assert_int_equal(e.reasons, VMSIX_ELIG_HAS_MSIX | VMSIX_ELIG_MALFORMED_CHAIN);
    assert_int_equal(e.msix_off, 0x80);
}

/* ---- what the check calls eligible, init and the view serve ---- */

static uint8_t fn_bytes[CFG_MAX];
static size_t fn_len;

/* The function behind the hooks: its bytes, readable up to its view. */
static int agree_cfg_read(void *ctx, uint16_t off, unsigned size, uint32_t *val)
{
    uint32_t v = 0;

    (void)ctx;
    if (off + size > fn_len || off % size)
        return -EIO;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)fn_bytes[off + i] << (8 * i);
    *val = v;
    return 0;
}
static int agree_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    (void)ctx;
    (void)off;
    (void)size;
    (void)val;
    return 0;
}
static int agree_translate(void *ctx, uint16_t vec, const struct vmsix_msg *g,
                           struct vmsix_remap_target *t)
{
    (void)ctx;
    (void)vec;
    (void)g;
    (void)t;
    return -EPERM;
}
static void agree_inject(void *ctx, uint16_t vec, const struct vmsix_msg *g)
{
    (void)ctx;
    (void)vec;
    (void)g;
}
static int agree_caps(void *ctx, struct vmsix_remap_caps *c)
{
    (void)ctx;
    memset(c, 0, sizeof(*c));
    c->flags = VMSIX_REMAP_CAP_LIVE_SWITCH; /* software masking may use it */
    c->nentries = 256;
    c->max_order = 5;
    c->dest_bits = 8;
    c->vector_bits = 8;
    return 0;
}
static int agree_divert(void *ctx, uint16_t vec, struct vmsix_remap_target *t)
{
    (void)ctx;
    (void)vec;
    (void)t;
    fail_msg("divert at init");
    return -EIO;
}
/* The other operations are never called at init: each fails. */
static int agree_reserve(void *ctx, const struct vmsix_remap_source *src, uint32_t count,
                         uint32_t align, struct vmsix_remap_block *blk)
{
    (void)ctx, (void)src, (void)count, (void)align, (void)blk;
    fail_msg("reserve at init");
    return -EIO;
}
static int agree_release(void *ctx, struct vmsix_remap_block *blk)
{
    (void)ctx, (void)blk;
    fail_msg("release at init");
    return -EIO;
}
static int agree_program(void *ctx, const struct vmsix_remap_block *blk, uint32_t k,
                         const struct vmsix_remap_target *t, uint32_t flags)
{
    (void)ctx, (void)blk, (void)k, (void)t, (void)flags;
    fail_msg("program at init");
    return -EIO;
}
static int agree_clear(void *ctx, const struct vmsix_remap_block *blk, uint32_t k)
{
    (void)ctx, (void)blk, (void)k;
    fail_msg("clear at init");
    return -EIO;
}
static int agree_invalidate(void *ctx, const struct vmsix_remap_block *blk, uint32_t first,
                            uint32_t n)
{
    (void)ctx, (void)blk, (void)first, (void)n;
    fail_msg("invalidate at init");
    return -EIO;
}
static int agree_compose(void *ctx, const struct vmsix_remap_block *blk, struct vmsix_msg *msg)
{
    (void)ctx, (void)blk, (void)msg;
    fail_msg("compose at init");
    return -EIO;
}

/* A backend that can hold 32 vectors; init calls only caps(). */
static struct vmsix_remap_ops agree_be_ops;
static const struct vmsix_dev_ops agree_ops = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = agree_cfg_read,
    .cfg_write = agree_cfg_write,
    .translate = agree_translate,
    .inject = agree_inject,
};
/* The same with the divert hook: software masking for a function without
 * mask bits. */
static const struct vmsix_dev_ops agree_ops_divert = {
    .size = sizeof(struct vmsix_dev_ops),
    .cfg_read = agree_cfg_read,
    .cfg_write = agree_cfg_write,
    .translate = agree_translate,
    .inject = agree_inject,
    .divert = agree_divert,
};

/* A device on the first @len bytes of cfg (at most CFG_MAX) and a backend
 * that can hold 32 vectors, with @ops. Returns vmsix_dev_init()'s result. */
static int agree_init(size_t len, const struct vmsix_dev_ops *ops, struct vmsix_dev **d)
{
    static unsigned char mem[65536] __attribute__((aligned(8)));
    static struct vmsix_remap be;
    struct vmsix_dev_params dp;

    memcpy(fn_bytes, cfg, len > CFG_MAX ? CFG_MAX : len);
    fn_len = len > CFG_MAX ? CFG_MAX : len;
    agree_be_ops = (struct vmsix_remap_ops){.size = sizeof(struct vmsix_remap_ops),
                                            .caps = agree_caps,
                                            .reserve = agree_reserve,
                                            .release = agree_release,
                                            .program = agree_program,
                                            .clear = agree_clear,
                                            .invalidate = agree_invalidate,
                                            .compose = agree_compose};
    be.ops = &agree_be_ops;
    be.ctx = NULL;
    memset(&dp, 0, sizeof(dp));
    dp.backend = &be;
    dp.src.id = 0x0100;
    return vmsix_dev_init(mem, sizeof(mem), &dp, ops, NULL, d);
}

/* The guest view with software masking agrees with the software check, is
 * the view with the function's mask bits whenever that exists too, and is
 * the register model a device with the divert hook builds (its shadow,
 * byte for byte). Returns eligible with software masking. */
static bool check_agrees_software(size_t len, const uint8_t *function_view)
{
    struct vmsix_eligibility e;
    struct vmsix_dev *d;
    size_t out_len = len > CFG_MAX ? CFG_MAX : len;
    uint8_t *in = malloc(len), *out = malloc(out_len);
    int rc;

    assert_true(in && out);
    memcpy(in, cfg, len);
    memset(out, 0xa5, out_len);
    rc = vmsix_msix_on_msi_check_masking(in, len, VMSIX_MASKING_SOFTWARE, &e);
    if (rc) {
        assert_int_equal(rc, -ENOTSUP);
        assert_null(function_view); /* software masking accepts a superset */
        assert_int_equal(
            vmsix_msix_on_msi_view_masking(in, len, VMSIX_MASKING_SOFTWARE, NULL, out, out_len),
            -ENOTSUP);
        for (size_t i = 0; i < out_len; i++)
            assert_int_equal(out[i], 0xa5); /* nothing written */
        free(in);
        free(out);
        return false;
    }
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(in, len, VMSIX_MASKING_SOFTWARE, NULL, out, out_len), 0);
    if (function_view)
        assert_memory_equal(out, function_view, out_len);
    rc = agree_init(len, &agree_ops_divert, &d);
    if (rc)
        fail_msg("eligible with software masking (MSI at %#x, %u vectors, mask bits %d, slot "
                 "%d), but init with the divert hook: %d",
                 e.msi_off, e.vectors, e.per_vector_mask, e.table_bar, rc);
    for (size_t o = 0; o + 4 <= out_len; o += 4) {
        uint32_t v = 0;
        assert_int_equal(vmsix_cfg_peek(vmsix_dev_cfgspace(d), (uint16_t)o, 4, &v), 0);
        if (v != rd32(out, (unsigned)o))
            fail_msg("the device's model holds %#x at %#zx, the view %#x", v, o,
                     rd32(out, (unsigned)o));
    }
    assert_int_equal(vmsix_dev_teardown(d), 0);
    free(in);
    free(out);
    return true;
}

/* Functions eligible with software masking, counted by check_agrees(). */
static unsigned sw_eligible;

/* For @len bytes of cfg: when the check calls them eligible, the guest view
 * with default options and a device (working hooks) are made; when not,
 * the view refuses with -ENOTSUP and writes nothing. The same for software
 * masking (check_agrees_software()). Returns eligible. */
static bool check_agrees(size_t len)
{
    struct vmsix_eligibility e;
    struct vmsix_dev *d;
    uint8_t *in = malloc(len), *out = malloc(len > CFG_MAX ? CFG_MAX : len);
    size_t out_len = len > CFG_MAX ? CFG_MAX : len;
    int rc;

    assert_true(in && out);
    memcpy(in, cfg, len);
    memset(out, 0xa5, out_len);
    rc = vmsix_msix_on_msi_check(in, len, &e);
    if (rc) {
        assert_int_equal(rc, -ENOTSUP);
        assert_int_equal(vmsix_msix_on_msi_view(in, len, NULL, out, out_len), -ENOTSUP);
        for (size_t i = 0; i < out_len; i++)
            assert_int_equal(out[i], 0xa5); /* nothing written */
        assert_int_equal(
            vmsix_msix_on_msi_view_masking(in, len, VMSIX_MASKING_FUNCTION, NULL, out, out_len),
            -ENOTSUP);
        sw_eligible += check_agrees_software(len, NULL);
        free(in);
        free(out);
        return false;
    }
    assert_int_equal(vmsix_msix_on_msi_view(in, len, NULL, out, out_len), 0);
    sw_eligible += check_agrees_software(len, out);
    rc = agree_init(len, &agree_ops, &d);
    if (rc)
        fail_msg("eligible (MSI at %#x, %u vectors, slot %d), but init: %d", e.msi_off, e.vectors,
                 e.table_bar, rc);
    assert_int_equal(vmsix_dev_teardown(d), 0);
    free(in);
    free(out);
    return true;
}

/* A random function in cfg from the generator @r: a chain of up to 6
 * capabilities vmsix knows at random dword offsets, so that overlaps, a
 * second MSI and MSI at the end of the list space come up. */
static void random_chain(uint64_t *r)
{
    header((uint8_t)((*r >> 7) % 8 == 0 ? 1 : 0));
    *r = *r * 6364136223846793005ull + 1442695040888963407ull;
    bar_set(0, (*r >> 20) & 1 ? 0xfe000000u : 0);
    unsigned ncap = 1 + (unsigned)(*r >> 33) % 6, prev = 0;
    for (unsigned k = 0; k < ncap; k++) {
        *r = *r * 6364136223846793005ull + 1442695040888963407ull;
        unsigned off = 0x40 + 4 * (unsigned)((*r >> 24) % 48);
        unsigned kind = (unsigned)(*r >> 40) % 6;
        if (prev)
            cfg[prev + 1] = (uint8_t)off;
        else
            head((uint8_t)off);
        switch (kind) {
        case 0:
        case 1:
            msi(off, 0, 1 + (unsigned)(*r >> 50) % 5, (*r >> 55) & 1, (*r >> 56) & 1 || kind);
            break;
        case 2:
            pm(off, 0);
            break;
        case 3:
            cap(off, VMSIX_CAP_ID_EXP, 0);
            wr16(off + 2, (uint16_t)(0x0002 | ((*r >> 57) & 1 ? 0x0090 : 0)));
            break;
        case 4:
            vndr(off, 0, 8);
            break;
        default:
            msix(off, 0, 4);
            break;
        }
        cfg[off + 1] = 0;
        prev = off;
    }
}

/* The check is exact (issue 14, defect 6): every function it calls eligible
 * initializes and has a guest view, over random chains built from the
 * capabilities vmsix knows and the corner cases that made them disagree
 * (overlaps, a second MSI, MSI at the end of the list space). */
static void test_check_agrees_with_init(void **state)
{
    static const size_t lens[] = {64, 256, 4096};
    uint64_t r = 0x9e3779b97f4a7c15ull;
    unsigned eligible = 0, n = 0;

    (void)state;
    for (unsigned iter = 0; iter < 20000; iter++) {
        random_chain(&r);
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            eligible += check_agrees(lens[l]);
            n++;
        }
    }
    print_message("check agrees with init and view: %u views, %u eligible, %u with software "
                  "masking\n",
                  n, eligible, sw_eligible);
    assert_true(eligible > 500);
    assert_true(sw_eligible > eligible + 100); /* the chains without mask bits */
}

/* The check and the view agree on a view of any length, not only the 64,
 * 256 and 4096 bytes a device reads (a caller may pass what it has): for
 * every cut of random chains from 64 to 264 bytes and both ways of
 * masking, the view exists exactly when the check says eligible, and a
 * refusal writes nothing. (fuzz-capchain found a cut inside a 32-bit
 * MSI's padding that the sweep at three lengths missed.) */
static void test_check_agrees_with_view_any_length(void **state)
{
    static const unsigned maskings[] = {VMSIX_MASKING_FUNCTION, VMSIX_MASKING_SOFTWARE};
    uint64_t r = 0x2545f4914f6cdd1dull;
    unsigned eligible = 0, n = 0;

    (void)state;
    for (unsigned iter = 0; iter < 1000; iter++) {
        random_chain(&r);
        for (size_t len = 64; len <= 264; len++) {
            uint8_t *in = malloc(len), *out = malloc(len); /* exact: ASan sees overreads */
            assert_true(in && out);
            memcpy(in, cfg, len);
            for (size_t m = 0; m < sizeof(maskings) / sizeof(maskings[0]); m++) {
                struct vmsix_eligibility e;
                int rc = vmsix_msix_on_msi_check_masking(in, len, maskings[m], &e);
                int vrc;

                memset(out, 0xa5, len);
                vrc = vmsix_msix_on_msi_view_masking(in, len, maskings[m], NULL, out, len);
                if ((rc == 0) != (vrc == 0))
                    fail_msg("masking %u, %zu bytes (MSI at %#x, reasons %#x): check %d, view %d",
                             maskings[m], len, e.msi_off, e.reasons, rc, vrc);
                if (vrc)
                    for (size_t i = 0; i < len; i++)
                        assert_int_equal(out[i], 0xa5);
                eligible += rc == 0;
                n++;
            }
            free(in);
            free(out);
        }
    }
    print_message("check agrees with the view: %u views, %u eligible\n", n, eligible);
    assert_true(eligible > 1000);
}

static void test_check_truncated(void **state)
{
    struct vmsix_eligibility e;

    (void)state;
    /* a 64-byte view (what a non-root reader gets) with a list past it */
    eligible_fn();
    e = check(64);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED);
    assert_false(e.reasons & VMSIX_ELIG_NO_MSI);
    assert_int_equal(e.msi_off, 0);
    assert_int_equal(e.table_bar, 1); /* the BARs are in the view */

    /* MSI is in the view, the rest of the list is not */
    eligible_fn();
    msi(0x50, 0xa0, 3, true, true);
    e = check(0x80);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED);
    assert_int_equal(e.msi_off, 0x50);
    assert_int_equal(e.vectors, 8);

    /* MSI's known length runs past the view: not listed, not "no-msi" */
    header(0x00);
    head(0x70);
    msi(0x70, 0x00, 3, true, true); /* 24 bytes: 0x70..0x87 */
    e = check(0x80);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED);
    assert_int_equal(e.msi_off, 0);
    e = check(0x88);
    assert_int_equal(e.reasons, 0);

    /* MSI-X takes 12 bytes where MSI was; a 32-bit MSI without mask bits
     * has 10 (ID, next, Message Control, Address, Data), the 2 after it
     * are its dword's padding. A view cut after the 10 bytes does not
     * hold the MSI-X capability: truncated for software masking (the one
     * that accepts such a function), and the view refuses without writing
     * (a fuzz-capchain finding). Cut after the padding: eligible. */
    header(0x00);
    head(0x50);
    msi(0x50, 0x00, 2, false, false);
    assert_int_equal(check_agrees(0x5a), false);
    assert_int_equal(vmsix_msix_on_msi_check_masking(cfg, 0x5a, VMSIX_MASKING_SOFTWARE, &e),
                     -ENOTSUP);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED);
    assert_int_equal(e.msi_off, 0x50); /* the MSI capability itself is in the view */
    assert_int_equal(vmsix_msix_on_msi_check_masking(cfg, 0x5b, VMSIX_MASKING_SOFTWARE, &e),
                     -ENOTSUP);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED);
    /* (a device reads 64, 256 or 4096 bytes: no check_agrees() here) */
    assert_int_equal(vmsix_msix_on_msi_check_masking(cfg, 0x5c, VMSIX_MASKING_SOFTWARE, &e), 0);
    uint8_t view[0x5c];
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(cfg, 0x5c, VMSIX_MASKING_SOFTWARE, NULL, view, 0x5c), 0);
    assert_int_equal(view[0x50], VMSIX_CAP_ID_MSIX);
    assert_int_equal(rd32(view, 0x58), 0x00000800u); /* PBA: BIR 0 at 0x800 */
    /* the same MSI at the end of the standard space: its padding is
     * inside, so a 256-byte view is eligible */
    header(0x00);
    head(0xf4);
    msi(0xf4, 0x00, 2, false, false);
    assert_int_equal(vmsix_msix_on_msi_check_masking(cfg, 256, VMSIX_MASKING_SOFTWARE, &e), 0);
    assert_int_equal(check_agrees(256), false);

    /* truncated with other reasons it can prove */
    eligible_fn();
    cfg[0x0e] = 0x01;
    bar_set(1, 0xfd000000u);
    e = check(64);
    assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED | VMSIX_ELIG_BRIDGE | VMSIX_ELIG_NO_FREE_BAR);
}

/* ---- vmsix_msix_on_msi_check: combinations ---- */

/* Build a function from independent feature bits and expect exactly them. */
static void test_check_combinations(void **state)
{
    unsigned combos = 0;

    (void)state;
    for (uint32_t want = 0; want <= VMSIX_ELIG_BRIDGE * 2 - 1; want++) {
        bool has_msi = !(want & VMSIX_ELIG_NO_MSI);
        uint8_t last = 0x40;
        struct vmsix_eligibility e;

        /* single-vector and no-per-vector-mask only exist with MSI */
        if (!has_msi && (want & (VMSIX_ELIG_SINGLE_VECTOR | VMSIX_ELIG_NO_PER_VECTOR_MASK)))
            continue;
        header((want & VMSIX_ELIG_BRIDGE) ? 0x01 : 0x00);
        head(0x40);
        pm(0x40, 0x00);
        if (has_msi) {
            cap(0x40, VMSIX_CAP_ID_PM, 0x50);
            msi(0x50, 0x00, (want & VMSIX_ELIG_SINGLE_VECTOR) ? 0 : 2,
                (want & VMSIX_ELIG_HAS_MSIX) != 0, !(want & VMSIX_ELIG_NO_PER_VECTOR_MASK));
            last = 0x50;
        }
        if (want & VMSIX_ELIG_HAS_MSIX) {
            cfg[last + 1] = 0xb0;
            msix(0xb0, 0x00, 8);
        }
        if (want & VMSIX_ELIG_NO_FREE_BAR) {
            for (unsigned i = 0; i < 6; i++)
                bar_set(i, 0xf0000000u + 0x100000u * i);
        }
        e = check(256);
        assert_int_equal(e.reasons, want);
        assert_int_equal(e.msi_off, has_msi ? 0x50 : 0);
        assert_int_equal(e.msix_off, (want & VMSIX_ELIG_HAS_MSIX) ? 0xb0 : 0);
        assert_int_equal(e.table_bar, (want & VMSIX_ELIG_NO_FREE_BAR) ? -1 : 0);

        /* the same function cut to 64 bytes: truncated, never no-msi, and
         * the reasons the header proves stay */
        e = check(64);
        assert_int_equal(e.reasons, VMSIX_ELIG_TRUNCATED |
                                        (want & (VMSIX_ELIG_BRIDGE | VMSIX_ELIG_NO_FREE_BAR)));

        /* the same function with a loop at its end: malformed, never
         * no-msi, the reasons found before the loop stay */
        cfg[(want & VMSIX_ELIG_HAS_MSIX) ? 0xb1 : last + 1] = 0x40;
        e = check(256);
        assert_int_equal(e.reasons, VMSIX_ELIG_MALFORMED_CHAIN | (want & ~VMSIX_ELIG_NO_MSI));
        combos++;
    }
    assert_int_equal(combos, 40);
}

/* ---- vmsix_msix_on_msi_view ---- */

/* Not a masking: virt_how() calls vmsix_msix_on_msi_view() itself. */
#define PLAIN_VIEW 100u

/* vmsix_msix_on_msi_view() (@masking PLAIN_VIEW) or
 * vmsix_msix_on_msi_view_masking() on exact-size heap buffers. */
static int virt_how(unsigned masking, size_t len, const struct vmsix_dev_options *opt,
                    uint8_t *out, size_t out_len)
{
    uint8_t *in = malloc(len), *o = malloc(out_len);
    int rc;

    assert_non_null(in);
    assert_non_null(o);
    memcpy(in, cfg, len);
    memset(o, 0x3c, out_len);
    rc = masking == PLAIN_VIEW ? vmsix_msix_on_msi_view(in, len, opt, o, out_len)
                               : vmsix_msix_on_msi_view_masking(in, len, masking, opt, o, out_len);
    assert_memory_equal(in, cfg, len); /* the input is not written */
    memcpy(out, o, out_len);
    free(in);
    free(o);
    return rc;
}

static int virt(size_t len, const struct vmsix_dev_options *opt, uint8_t *out, size_t out_len)
{
    return virt_how(PLAIN_VIEW, len, opt, out, out_len);
}

/*
 * The guest view of cfg[0..len) must be cfg with exactly these changes:
 * the MSI capability at @msi_off (@msi_len bytes) becomes MSI-X (ID 0x11,
 * next kept, Message Control N-1, table at 0 in @bar, PBA at
 * @bar_size/2 in @bar), the rest of it reads 0, and BAR @bar reads 0.
 */
static void expect_view(const uint8_t *out, size_t len, size_t out_len, unsigned msi_off,
                        unsigned msi_len, unsigned nvec, unsigned bar, uint32_t bar_size)
{
    uint8_t want[CFG_MAX];

    assert_true(out_len <= CFG_MAX);
    memset(want, 0xff, sizeof(want));
    memcpy(want, cfg, len < out_len ? len : out_len);
    want[msi_off] = 0x11;
    /* want[msi_off + 1]: the next pointer, kept */
    want[msi_off + 2] = (uint8_t)(nvec - 1);
    want[msi_off + 3] = (uint8_t)((nvec - 1) >> 8);
    want[msi_off + 4] = (uint8_t)bar;
    want[msi_off + 5] = want[msi_off + 6] = want[msi_off + 7] = 0;
    want[msi_off + 8] = (uint8_t)((bar_size / 2) | bar);
    want[msi_off + 9] = (uint8_t)((bar_size / 2) >> 8);
    want[msi_off + 10] = (uint8_t)((bar_size / 2) >> 16);
    want[msi_off + 11] = (uint8_t)((bar_size / 2) >> 24);
    memset(want + msi_off + 12, 0, msi_len - 12);
    /* every BAR and the ROM are virtual: the table's an unassigned 32-bit
     * memory BAR, and one the host did not describe (none here) reads 0 */
    memset(want + 0x10, 0, 24);
    memset(want + 0x30, 0, 4);
    assert_memory_equal(out, want, out_len);

    /* and the capability at msi_off is what lspci would call MSI-X */
    assert_int_equal(out[msi_off], 0x11);
    assert_int_equal(rd32(out, msi_off + 4), bar);
    assert_int_equal(rd32(out, msi_off + 8), bar_size / 2 | bar);
}

static void test_virtual_32bit(void **state)
{
    uint8_t out[CFG_MAX];

    (void)state;
    /* 32-bit MSI with per-vector mask: 20 bytes at 0x50 */
    eligible_fn();
    msi(0x50, 0x70, 3, false, true);
    assert_int_equal(virt(256, NULL, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 20, 8, 1, 4096);
    assert_int_equal(out[0x51], 0x70);
    assert_int_equal(out[0x52], 0x07);
    assert_int_equal(out[0x53], 0x00);
    assert_int_equal(rd32(out, 0x58), 0x00000801u);
    for (unsigned i = 0x5c; i < 0x64; i++)
        assert_int_equal(out[i], 0);
    assert_int_equal(out[0x64], cfg[0x64]);

    /* zeroed options are the defaults */
    struct vmsix_dev_options zero;
    memset(&zero, 0, sizeof(zero));
    assert_int_equal(virt(256, &zero, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 20, 8, 1, 4096);

    /* 2 and 32 vectors, a 64 KiB BAR */
    for (unsigned mmc = 1; mmc <= 5; mmc++) {
        struct vmsix_dev_options o = {.bar_size = 65536};
        eligible_fn();
        msi(0x50, 0x70, mmc, false, true);
        assert_int_equal(virt(256, &o, out, 256), 0);
        expect_view(out, 256, 256, 0x50, 20, 1u << mmc, 1, 65536);
        assert_int_equal(rd32(out, 0x58), 0x00008001u);
    }
}

static void test_virtual_64bit(void **state)
{
    uint8_t out[CFG_MAX];
    struct vmsix_dev_options o;

    (void)state;
    /* 64-bit MSI with per-vector mask: 24 bytes at 0x50; BAR0 is 64-bit with
     * an upper half of 0, so the table goes to slot 2 */
    eligible_fn();
    bar_set(0, 0x80000004u);
    assert_int_equal(virt(256, NULL, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 8, 2, 4096);
    /* BAR0 not described by the host: it reads 0 (virtual BARs never show
     * the function's host addresses) */
    assert_int_equal(rd32(out, 0x10), 0);
    assert_int_equal(rd32(out, 0x14), 0);
    /* described: its type bits, address 0 */
    memset(&o, 0, sizeof(o));
    o.bars[0].size = 0x1000;
    o.bars[0].kind = VMSIX_BAR_MEM64;
    assert_int_equal(virt(256, &o, out, 256), 0);
    assert_int_equal(rd32(out, 0x10), 0x00000004u);
    assert_int_equal(rd32(out, 0x14), 0);
    assert_int_equal(rd32(out, 0x18), 0); /* the table BAR, unassigned */
    /* described as what the function's register says it is not: refused */
    o.bars[0].kind = VMSIX_BAR_MEM32;
    assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    assert_int_equal(virt(256, NULL, out, 256), 0);
    for (unsigned i = 0x5c; i < 0x68; i++)
        assert_int_equal(out[i], 0);

    /* fewer vectors */
    memset(&o, 0, sizeof(o));
    o.nvec = 4;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 4, 2, 4096);
    o.nvec = 2;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 2, 2, 4096);
    o.nvec = 8;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 8, 2, 4096);

    /* another free slot, a larger BAR, all options at once */
    memset(&o, 0, sizeof(o));
    o.table_bar_set = true;
    o.table_bar = 5;
    o.bar_size = 1u << 20;
    o.nvec = 4;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 4, 5, 1u << 20);
    assert_int_equal(rd32(out, 0x58), 0x00080005u);
    o.bar_size = 0x80000000u;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 4, 5, 0x80000000u);

    /* MSI last in the list (next 0), 32 vectors, at the top of the space */
    header(0x00);
    bar_set(0, 0x0000e001u);
    head(0x40);
    pm(0x40, 0xe8);
    msi(0xe8, 0x00, 5, true, true);
    assert_int_equal(virt(256, NULL, out, 256), 0);
    expect_view(out, 256, 256, 0xe8, 24, 32, 1, 4096);
    assert_int_equal(out[0xe9], 0x00);
    assert_int_equal(out[0xea], 0x1f);
}

static void test_virtual_lengths(void **state)
{
    uint8_t out[CFG_MAX];
    struct vmsix_capchain *ch = malloc(sizeof(*ch));
    struct vmsix_eligibility e;

    (void)state;
    assert_non_null(ch);
    /* a PCI Express function with extended capabilities, 4096 bytes */
    eligible_fn();
    vndr(0x70, 0x80, 8);
    cap(0x80, VMSIX_CAP_ID_EXP, 0x00);
    wr16(0x82, 0x0002);
    wr32(0x100, 0x14010001u);
    wr32(0x140, 0x0001000bu);
    for (unsigned i = 0x200; i < CFG_MAX; i++)
        cfg[i] = (uint8_t)(i * 7);
    assert_int_equal(virt(4096, NULL, out, 4096), 0);
    expect_view(out, 4096, 4096, 0x50, 24, 8, 1, 4096);

    /* the guest view parses as the same chain with MSI-X in place of MSI */
    assert_int_equal(vmsix_capchain_parse(out, 4096, ch), 0);
    assert_int_equal(ch->n, 6);
    assert_int_equal(ch->cap[1].off, 0x50);
    assert_int_equal(ch->cap[1].id, VMSIX_CAP_ID_MSIX);
    assert_int_equal(ch->cap[1].len, 12);
    assert_int_equal(vmsix_capchain_find(ch, false, VMSIX_CAP_ID_MSI, NULL), -ENOENT);
    assert_int_equal(ch->cap[2].off, 0x70);
    assert_int_equal(ch->cap[4].off, 0x100);
    assert_int_equal(ch->cap[5].off, 0x140);
    /* and it is an MSI-X function now */
    assert_int_equal(vmsix_msix_on_msi_check(out, 4096, &e), -ENOTSUP);
    assert_int_equal(e.reasons, VMSIX_ELIG_HAS_MSIX | VMSIX_ELIG_NO_MSI);
    assert_int_equal(e.msix_off, 0x50);
    assert_int_equal(e.msix_vectors, 8);

    /* a 256-byte view into a 4096-byte output: the rest reads 0xff */
    assert_int_equal(virt(256, NULL, out, 4096), 0);
    expect_view(out, 256, 4096, 0x50, 24, 8, 1, 4096);
    for (unsigned i = 256; i < CFG_MAX; i++)
        assert_int_equal(out[i], 0xff);

    /* a 4096-byte view into a 256-byte output */
    assert_int_equal(virt(4096, NULL, out, 256), 0);
    expect_view(out, 4096, 256, 0x50, 24, 8, 1, 4096);

    /* an output too short to hold the capability is an error, and nothing
     * is written past it */
    assert_true(virt(256, NULL, out, 64) < 0);
    free(ch);
}

static void test_virtual_refused(void **state)
{
    uint8_t out[CFG_MAX];
    struct vmsix_dev_options o;

    (void)state;
    /* functions that are not eligible */
    eligible_fn();
    pm(0x40, 0x70); /* no MSI */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    vndr(0x70, 0x90, 8);
    msix(0x90, 0x00, 4); /* MSI-X */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 0, true, true); /* one vector */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 3, true, false); /* no per-vector mask */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    for (unsigned i = 0; i < 6; i++)
        bar_set(i, 0xf0000000u + 0x100000u * i); /* no free BAR */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    cfg[0x0e] = 0x01; /* bridge */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    vndr(0x70, 0x40, 8); /* loop */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 6, true, true); /* reserved MMC */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    eligible_fn();
    assert_int_equal(virt(64, NULL, out, 256), -ENOTSUP); /* truncated */

    /* options that do not fit */
    eligible_fn(); /* 8 vectors, BAR0 used, slots 1-5 free */
    static const uint32_t bad_sizes[] = {16,   2048,   4095,        4097,
                                         6144, 0x3000, 0x80000001u, 0xffffffffu};
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        memset(&o, 0, sizeof(o));
        o.bar_size = bad_sizes[i];
        assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    }
    static const uint8_t bad_nvec[] = {3, 5, 6, 7, 12, 16, 32, 64, 255};
    for (size_t i = 0; i < sizeof(bad_nvec) / sizeof(bad_nvec[0]); i++) {
        memset(&o, 0, sizeof(o));
        o.nvec = bad_nvec[i];
        assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    }
    memset(&o, 0, sizeof(o));
    o.table_bar_set = true;
    o.table_bar = 0; /* used */
    assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    o.table_bar = 6; /* not a slot */
    assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    o.table_bar = 255;
    assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    bar_set(0, 0x80000004u);
    o.table_bar = 1; /* the upper half of a 64-bit BAR */
    assert_int_equal(virt(256, &o, out, 256), -ENOTSUP);
    o.table_bar = 3; /* free */
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 8, 3, 4096);
    /* table_bar is ignored unless table_bar_set */
    o.table_bar_set = false;
    o.table_bar = 0;
    assert_int_equal(virt(256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 24, 8, 2, 4096);
}

static int virt_m(unsigned masking, size_t len, uint8_t *out, size_t out_len)
{
    return virt_how(masking, len, NULL, out, out_len);
}

/* The view with software masking: the same view for a function with mask
 * bits; for one without, its shorter capability (10 or 14 bytes) becomes
 * MSI-X in place, where the view with the function's mask bits refuses
 * and writes nothing; every other reason still refuses. */
static void test_virtual_software_masking(void **state)
{
    uint8_t out[CFG_MAX], want[CFG_MAX];
    struct vmsix_dev_options o;

    (void)state;
    eligible_fn(); /* 64-bit, 8 vectors, mask bits */
    assert_int_equal(virt(256, NULL, want, 256), 0);
    assert_int_equal(virt_m(VMSIX_MASKING_FUNCTION, 256, out, 256), 0);
    assert_memory_equal(out, want, 256);
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), 0);
    assert_memory_equal(out, want, 256);

    /* 64-bit without mask bits: 14 bytes at 0x50, then 0x5e..0x5f of the
     * capability's room */
    eligible_fn();
    msi(0x50, 0x70, 4, true, false);
    assert_int_equal(virt_m(VMSIX_MASKING_FUNCTION, 256, out, 256), -ENOTSUP);
    for (unsigned i = 0; i < 256; i++)
        assert_int_equal(out[i], 0x3c); /* nothing written */
    assert_int_equal(virt(256, NULL, out, 256), -ENOTSUP);
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 14, 16, 1, 4096);
    assert_int_equal(out[0x51], 0x70);
    assert_int_equal(rd32(out, 0x5c) & 0xffffu, 0); /* the old data register */
    /* 4096 bytes: the same capability, the extended space as it is */
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 4096, out, 4096), 0);
    expect_view(out, 4096, 4096, 0x50, 14, 16, 1, 4096);

    /* 32-bit without mask bits: 10 bytes at 0x50; MSI-X's 12 fill the room
     * up to the next dword */
    eligible_fn();
    msi(0x50, 0x70, 1, false, false);
    assert_int_equal(virt_m(VMSIX_MASKING_FUNCTION, 256, out, 256), -ENOTSUP);
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 12, 2, 1, 4096);

    /* the options apply as for vmsix_msix_on_msi_view() */
    eligible_fn();
    msi(0x50, 0x70, 5, true, false);
    memset(&o, 0, sizeof(o));
    o.nvec = 4;
    o.bar_size = 65536;
    o.table_bar_set = true;
    o.table_bar = 3;
    assert_int_equal(virt_how(VMSIX_MASKING_SOFTWARE, 256, &o, out, 256), 0);
    expect_view(out, 256, 256, 0x50, 14, 4, 3, 65536);
    o.nvec = 64; /* more than the function's 32 */
    assert_int_equal(virt_how(VMSIX_MASKING_SOFTWARE, 256, &o, out, 256), -ENOTSUP);

    /* every other reason still refuses, without mask bits too */
    eligible_fn();
    msi(0x50, 0x70, 0, true, false); /* one vector */
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 3, true, false);
    for (unsigned i = 0; i < 6; i++)
        bar_set(i, 0xf0000000u + 0x100000u * i); /* no free BAR */
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 3, true, false);
    cfg[0x0e] = 0x01; /* bridge */
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), -ENOTSUP);
    eligible_fn();
    msi(0x50, 0x70, 3, true, false);
    vndr(0x70, 0x90, 8);
    msix(0x90, 0x00, 4); /* MSI-X */
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 256, out, 256), -ENOTSUP);
    assert_int_equal(virt_m(VMSIX_MASKING_SOFTWARE, 64, out, 256), -ENOTSUP); /* truncated */

    /* arguments */
    eligible_fn();
    assert_int_equal(virt_m(2, 256, out, 256), -EINVAL);
    assert_int_equal(virt_m(~0u, 256, out, 256), -EINVAL);
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(NULL, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 256), -EINVAL);
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(cfg, 256, VMSIX_MASKING_SOFTWARE, NULL, NULL, 256), -EINVAL);
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(cfg, 63, VMSIX_MASKING_SOFTWARE, NULL, out, 256), -EINVAL);
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(cfg, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 4097), -EINVAL);
    assert_int_equal(
        vmsix_msix_on_msi_view_masking(cfg, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 63), -EINVAL);
}

static void test_virtual_args(void **state)
{
    uint8_t out[CFG_MAX];

    (void)state;
    eligible_fn();
    assert_int_equal(vmsix_msix_on_msi_view(NULL, 256, NULL, out, 256), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 256, NULL, NULL, 256), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 63, NULL, out, 256), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 0, NULL, out, 256), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 256, NULL, out, 4097), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 256, NULL, out, 63), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 256, NULL, out, 0), -EINVAL);
    assert_int_equal(vmsix_msix_on_msi_view(cfg, 256, NULL, out, 256), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_check_args),
        cmocka_unit_test(test_check_eligible_facts),
        cmocka_unit_test(test_check_msix_facts),
        cmocka_unit_test(test_check_no_msi),
        cmocka_unit_test(test_check_has_msix),
        cmocka_unit_test(test_check_single_vector),
        cmocka_unit_test(test_check_no_per_vector_mask),
        cmocka_unit_test(test_check_no_free_bar),
        cmocka_unit_test(test_check_bridge),
        cmocka_unit_test(test_check_malformed),
        cmocka_unit_test(test_check_overlapping),
        cmocka_unit_test(test_check_duplicates),
        cmocka_unit_test(test_check_agrees_with_init),
        cmocka_unit_test(test_check_agrees_with_view_any_length),
        cmocka_unit_test(test_check_truncated),
        cmocka_unit_test(test_check_combinations),
        cmocka_unit_test(test_virtual_32bit),
        cmocka_unit_test(test_virtual_64bit),
        cmocka_unit_test(test_virtual_lengths),
        cmocka_unit_test(test_virtual_refused),
        cmocka_unit_test(test_virtual_software_masking),
        cmocka_unit_test(test_virtual_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
