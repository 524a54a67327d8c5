/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of capchain: every rule of DESIGN 4.1 (walk, lengths, faults,
 * hide, replace, insert), each on a hand-built configuration space. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/capchain.h>

#include "xorshift.h"

static uint8_t cfg[4096];
static struct vmsix_capchain chain;

/* An endpoint (header type 0) with Status bit 4 set and no capability. */
static void reset_cfg(void)
{
    memset(cfg, 0, sizeof(cfg));
    cfg[0x00] = 0x86;
    cfg[0x01] = 0x80;
    cfg[0x06] = 0x10;
}

static void std_cap(unsigned off, uint8_t id, uint8_t next)
{
    cfg[off] = id;
    cfg[off + 1] = next;
}

static void ext_cap(unsigned off, uint16_t id, uint8_t ver, uint16_t next)
{
    uint32_t h = id | ((uint32_t)ver << 16) | ((uint32_t)next << 20);
    memcpy(&cfg[off], &h, 4); /* the tests run on little-endian hosts */
}

/* PCIe endpoint: PCIe capability v2 at 0x40 heading the list. */
static void pcie_cfg(void)
{
    reset_cfg();
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x10, 0x00);
    cfg[0x42] = 0x02;
}

static int setup(void **state)
{
    (void)state;
    reset_cfg();
    memset(&chain, 0xa5, sizeof(chain));
    return 0;
}

static void expect_cap(unsigned i, unsigned off, unsigned id, unsigned len, bool ext)
{
    assert_true(i < chain.n);
    assert_int_equal(chain.cap[i].off, off);
    assert_int_equal(chain.cap[i].id, id);
    assert_int_equal(chain.cap[i].len, len);
    assert_int_equal(chain.cap[i].ext, ext);
}

/* ---- arguments and views ---- */

static void test_parse_bad_args(void **state)
{
    (void)state;
    assert_int_equal(vmsix_capchain_parse(NULL, 256, &chain), -EINVAL);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, NULL), -EINVAL);
    assert_int_equal(vmsix_capchain_parse(cfg, 63, &chain), -EINVAL);
    assert_int_equal(vmsix_capchain_parse(cfg, 0, &chain), -EINVAL);
    assert_int_equal(vmsix_capchain_parse(cfg, 64, &chain), 0);
    assert_int_equal(chain.n, 0);
}

/* A non-root reader sees 64 bytes: a list that starts past them is truncated. */
static void test_parse_64_byte_view(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 64, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED);
    assert_int_equal(chain.fault_at, 0x34);
    assert_int_equal(chain.n, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x01, 8, false);
}

/* ---- rule 1: the standard list ---- */

static void test_status_bit4_gates_list(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0);
    cfg[0x06] = 0x00;
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 0);
    cfg[0x06] = 0x10;
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 1);
}

static void test_head_by_header_type(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    cfg[0x14] = 0x80;
    std_cap(0x40, 0x01, 0);
    std_cap(0x80, 0x05, 0);
    cfg[0x0e] = 0x80; /* type 0, multi-function */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x01, 8, false);
    cfg[0x0e] = 0x01;
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x01, 8, false);
    cfg[0x0e] = 0x02; /* CardBus: head at 0x14 */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 1);
    expect_cap(0, 0x80, 0x05, 10, false);
    cfg[0x0e] = 0x03; /* no list */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 0);
    cfg[0x0e] = 0x7f;
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 0);
}

static void test_pointer_low_bits_masked(void **state)
{
    (void)state;
    cfg[0x34] = 0x43;
    std_cap(0x40, 0x01, 0x52);
    std_cap(0x50, 0x11, 0x03); /* 0x03 masks to 0: end */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 2);
    expect_cap(0, 0x40, 0x01, 8, false);
    expect_cap(1, 0x50, 0x11, 12, false);
}

static void test_pointer_into_header_is_badptr(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0x3c);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_BADPTR);
    assert_int_equal(chain.fault_at, 0x41);
    assert_int_equal(chain.n, 1);
    cfg[0x34] = 0x20; /* the head itself */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_BADPTR);
    assert_int_equal(chain.fault_at, 0x34);
    assert_int_equal(chain.n, 0);
}

static void test_loop(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0x50);
    std_cap(0x50, 0x09, 0x40);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP);
    assert_int_equal(chain.fault_at, 0x51);
    assert_int_equal(chain.n, 2);
    std_cap(0x40, 0x01, 0x40); /* self loop */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP);
    assert_int_equal(chain.n, 1);
}

/* Every one of the 48 positions used once: the longest legal list. */
static void test_48_standard_caps(void **state)
{
    unsigned off;

    (void)state;
    cfg[0x34] = 0xfc;
    for (off = 0xfc; off >= 0x44; off -= 4)
        std_cap(off, 0x09, (uint8_t)(off - 4));
    std_cap(0x40, 0x09, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 48);
    expect_cap(0, 0xfc, 0x09, 4, false);
    expect_cap(47, 0x40, 0x09, 4, false);
    /* closing the ring makes it a loop, still bounded */
    std_cap(0x40, 0x09, 0xfc);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP);
    assert_int_equal(chain.n, 48);
}

/* ---- rule 3: lengths ---- */

static void test_known_lengths(void **state)
{
    static const struct {
        uint16_t mc;
        unsigned len;
    } msi[] = {{0x0000, 10}, {0x0080, 14}, {0x0100, 20}, {0x0180, 24}, {0x018e, 24}};
    unsigned i;

    (void)state;
    cfg[0x34] = 0x40;
    for (i = 0; i < sizeof(msi) / sizeof(msi[0]); i++) {
        std_cap(0x40, 0x05, 0);
        cfg[0x42] = (uint8_t)msi[i].mc;
        cfg[0x43] = (uint8_t)(msi[i].mc >> 8);
        assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
        expect_cap(0, 0x40, 0x05, msi[i].len, false);
    }
    memset(&cfg[0x40], 0, 4);
    std_cap(0x40, 0x11, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x11, 12, false);
    std_cap(0x40, 0x01, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x01, 8, false);
    /* PCIe v1: the register blocks of the function's type */
    static const struct {
        uint16_t flags;
        unsigned len;
    } exp1[] = {
        {0x0001, 20},  /* endpoint: device + link */
        {0x0011, 20},  /* legacy endpoint */
        {0x0041, 36},  /* root port: + slot + root */
        {0x0051, 20},  /* upstream port */
        {0x0061, 20},  /* downstream port without a slot */
        {0x0161, 28},  /* downstream port with Slot Implemented */
        {0x0071, 20},  /* PCIe to PCI bridge */
        {0x0091, 12},  /* RC integrated endpoint: no link */
        {0x00a1, 36},  /* RC event collector: root registers */
    };
    std_cap(0x40, 0x10, 0);
    for (i = 0; i < sizeof(exp1) / sizeof(exp1[0]); i++) {
        cfg[0x42] = (uint8_t)exp1[i].flags;
        cfg[0x43] = (uint8_t)(exp1[i].flags >> 8);
        assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
        expect_cap(0, 0x40, 0x10, exp1[i].len, false);
    }
    /* a v1 endpoint may end at 0xf3 (a real 88E8055 puts it at 0xe0) */
    cfg[0x34] = 0xe0;
    std_cap(0xe0, 0x10, 0);
    cfg[0xe2] = 0x11;
    cfg[0xe3] = 0x00;
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0xe0, 0x10, 20, false);
    cfg[0xe2] = 0x41; /* a root port there would run past 0xff */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED);
    cfg[0x34] = 0x40;
    cfg[0x43] = 0;
    cfg[0x42] = 0x92; /* version 2 (upper bits: device/port type) */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(0, 0x40, 0x10, 60, false);
}

/* Unknown IDs measure to the next HIGHER capability, not the next in chain. */
static void test_unknown_length_measured(void **state)
{
    (void)state;
    cfg[0x34] = 0x80;
    std_cap(0x80, 0x09, 0x40); /* vendor specific, highest: runs to 0x100 */
    cfg[0x82] = 0x08;          /* its own length byte is not used */
    std_cap(0x40, 0x0d, 0x60); /* measured to 0x60 */
    std_cap(0x60, 0x01, 0x00);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 3);
    expect_cap(0, 0x80, 0x09, 0x80, false);
    expect_cap(1, 0x40, 0x0d, 0x20, false);
    expect_cap(2, 0x60, 0x01, 8, false);
    /* clipped to a short view */
    assert_int_equal(vmsix_capchain_parse(cfg, 0xa0, &chain), 0);
    expect_cap(0, 0x80, 0x09, 0x20, false);
}

static void test_known_length_truncated(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0xe8);
    std_cap(0xe8, 0x05, 0);
    cfg[0xea] = 0x80;
    cfg[0xeb] = 0x01; /* MSI 64-bit with masking: 24 bytes, ends at 0xff */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 2);
    std_cap(0x40, 0x01, 0xec);
    std_cap(0xec, 0x05, 0);
    cfg[0xee] = 0x80;
    cfg[0xef] = 0x00; /* 14 bytes from 0xec: fits */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 2);
    cfg[0xef] = 0x01; /* 24 bytes from 0xec: runs past 0xff */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED);
    assert_int_equal(chain.fault_at, 0xec);
    assert_int_equal(chain.n, 1);
    /* a view that ends inside a known-length capability */
    cfg[0xef] = 0x00;
    assert_int_equal(vmsix_capchain_parse(cfg, 0xf0, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED);
    /* a view that ends inside MSI's flags */
    assert_int_equal(vmsix_capchain_parse(cfg, 0xee, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED);
    assert_int_equal(chain.n, 1);
}

/* ---- rule 2: extended capabilities ---- */

static void test_ext_only_on_pcie(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0);
    ext_cap(0x100, 0x0001, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 1);
    assert_false(chain.pcie);
    pcie_cfg();
    ext_cap(0x100, 0x0001, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_true(chain.pcie);
    assert_int_equal(chain.n, 2);
    expect_cap(1, 0x100, 0x0001, 4096 - 0x100, true);
    assert_int_equal(chain.cap[1].ver, 1);
}

static void test_ext_view_256_has_none(void **state)
{
    (void)state;
    pcie_cfg();
    ext_cap(0x100, 0x0001, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 1);
    assert_int_equal(vmsix_capchain_parse(cfg, 0x102, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED | VMSIX_CHAIN_EXT);
}

static void test_ext_not_after_std_fault(void **state)
{
    (void)state;
    pcie_cfg();
    std_cap(0x40, 0x10, 0x50);
    std_cap(0x50, 0x01, 0x50); /* loop after the PCIe capability */
    ext_cap(0x100, 0x0001, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP);
    assert_int_equal(chain.n, 2);
}

static void test_ext_empty_headers(void **state)
{
    (void)state;
    pcie_cfg();
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 1);
    memset(&cfg[0x100], 0xff, 4);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 1);
    /* all ones in the middle ends the list without error */
    ext_cap(0x100, 0x0001, 2, 0x200);
    memset(&cfg[0x200], 0xff, 4);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 2);
    memset(&cfg[0x200], 0x00, 4);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 2);
}

static void test_ext_bad_pointers(void **state)
{
    (void)state;
    pcie_cfg();
    ext_cap(0x100, 0x0001, 1, 0x0fc); /* below 0x100 */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_BADPTR | VMSIX_CHAIN_EXT);
    assert_int_equal(chain.fault_at, 0x100);
    assert_int_equal(chain.n, 2);
    ext_cap(0x100, 0x0001, 1, 0x202); /* not dword aligned */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_BADPTR | VMSIX_CHAIN_EXT);
    ext_cap(0x100, 0x0001, 1, 0x200);
    ext_cap(0x200, 0x000b, 1, 0x100); /* loop */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP | VMSIX_CHAIN_EXT);
    assert_int_equal(chain.fault_at, 0x200);
    assert_int_equal(chain.n, 3);
    ext_cap(0x200, 0x000b, 1, 0x800); /* past a 2 KiB view */
    assert_int_equal(vmsix_capchain_parse(cfg, 0x800, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_TRUNCATED | VMSIX_CHAIN_EXT);
    assert_int_equal(chain.fault_at, 0x200);
    assert_int_equal(chain.n, 3);
}

static void test_ext_lengths_and_order(void **state)
{
    (void)state;
    pcie_cfg();
    ext_cap(0x100, 0x0001, 2, 0x300); /* chain order is not offset order */
    ext_cap(0x300, 0x000b, 1, 0x140);
    ext_cap(0x140, 0x0000, 1, 0); /* ID 0 is still listed */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 4);
    expect_cap(1, 0x100, 0x0001, 0x40, true);
    expect_cap(2, 0x300, 0x000b, 4096 - 0x300, true);
    expect_cap(3, 0x140, 0x0000, 0x300 - 0x140, true);
    assert_int_equal(chain.cap[1].ver, 2);
    assert_int_equal(chain.cap[0].ver, 0);
}

/* 960 extended capabilities, every dword of the extended space. */
static void test_ext_960_caps(void **state)
{
    unsigned off;

    (void)state;
    pcie_cfg();
    for (off = 0x100; off < 0xffc; off += 4)
        ext_cap(off, 0x000b, 1, (uint16_t)(off + 4));
    ext_cap(0xffc, 0x000b, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 961);
    expect_cap(960, 0xffc, 0x000b, 4, true);
    ext_cap(0xffc, 0x000b, 1, 0x100);
    assert_int_equal(vmsix_capchain_parse(cfg, 8192, &chain), -EBADMSG);
    assert_int_equal(chain.flags, VMSIX_CHAIN_LOOP | VMSIX_CHAIN_EXT);
    assert_int_equal(chain.n, 961);
}

/* ---- find ---- */

static void test_find(void **state)
{
    struct vmsix_cap c;

    (void)state;
    pcie_cfg();
    std_cap(0x40, 0x10, 0x60);
    std_cap(0x60, 0x01, 0x50);
    std_cap(0x50, 0x01, 0);
    ext_cap(0x100, 0x0001, 1, 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(vmsix_capchain_find(&chain, false, 0x01, &c), 0);
    assert_int_equal(c.off, 0x60); /* the first in chain order */
    assert_int_equal(vmsix_capchain_find(&chain, true, 0x01, &c), 0);
    assert_int_equal(c.off, 0x100);
    assert_int_equal(vmsix_capchain_find(&chain, true, 0x10, NULL), -ENOENT);
    assert_int_equal(vmsix_capchain_find(&chain, false, 0x11, NULL), -ENOENT);
    assert_int_equal(vmsix_capchain_find(&chain, false, 0x10, NULL), 0);
    assert_int_equal(vmsix_capchain_find(NULL, false, 0x10, NULL), -EINVAL);
    /* lookup: the same answers without a chain */
    assert_int_equal(vmsix_capchain_lookup(cfg, 4096, false, 0x01, &c, NULL), 0);
    assert_int_equal(c.off, 0x60);
    assert_int_equal(c.len, 8);
    assert_int_equal(vmsix_capchain_lookup(cfg, 4096, true, 0x10, NULL, NULL), -ENOENT);
    assert_int_equal(vmsix_capchain_lookup(NULL, 4096, true, 0x10, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_capchain_lookup(cfg, 63, true, 0x10, NULL, NULL), -EINVAL);
}

/* ---- rule 4: hide ---- */

static void three_std(void)
{
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0x50);
    std_cap(0x50, 0x05, 0x70);
    std_cap(0x70, 0x11, 0x00);
}

static void test_hide_std(void **state)
{
    (void)state;
    three_std();
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x50), 0);
    assert_int_equal(cfg[0x41], 0x70);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 2);
    assert_int_equal(vmsix_capchain_find(&chain, false, 0x05, NULL), -ENOENT);
    /* the head */
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x40), 0);
    assert_int_equal(cfg[0x34], 0x70);
    /* the last: head 0, Status bit 4 stays */
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x70), 0);
    assert_int_equal(cfg[0x34], 0x00);
    assert_int_equal(cfg[0x06] & 0x10, 0x10);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 0);
}

static void test_hide_keeps_link_reserved_bits(void **state)
{
    (void)state;
    three_std();
    cfg[0x41] = 0x52; /* reserved low bits set on the link */
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x50), 0);
    assert_int_equal(cfg[0x41], 0x72);
}

/* Hiding a capability on a loop must not leave it reachable through the loop. */
static void test_hide_in_loop(void **state)
{
    (void)state;
    cfg[0x34] = 0x40;
    std_cap(0x40, 0x01, 0x50); /* A -> X -> C -> X */
    std_cap(0x50, 0x09, 0x60);
    std_cap(0x60, 0x0d, 0x50);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), -EBADMSG);
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x50), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 2);
    expect_cap(0, 0x40, 0x01, 8, false);
    expect_cap(1, 0x60, 0x0d, 0xa0, false);
    /* a self loop at the head: nothing is left */
    reset_cfg();
    cfg[0x34] = 0x42;
    std_cap(0x40, 0x01, 0x41);
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x40), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 0);
    assert_int_equal(cfg[0x34], 0x02); /* reserved bits kept */
    /* extended: 0x100 -> X(0x200) -> 0x300 -> X */
    pcie_cfg();
    ext_cap(0x100, 0x0001, 1, 0x200);
    ext_cap(0x200, 0x000b, 1, 0x300);
    ext_cap(0x300, 0x0019, 1, 0x200);
    assert_int_equal(vmsix_capchain_hide(cfg, 4096, true, 0x200), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 3);
    expect_cap(2, 0x300, 0x0019, 4096 - 0x300, true);
}

static void test_hide_not_listed(void **state)
{
    (void)state;
    three_std();
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x44), -ENOENT);
    assert_int_equal(vmsix_capchain_hide(cfg, 256, true, 0x40), -ENOENT);
    std_cap(0x50, 0x05, 0x30); /* fault after 0x50: 0x70 no longer listed */
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x70), -ENOENT);
    assert_int_equal(vmsix_capchain_hide(cfg, 256, false, 0x40), 0);
    assert_int_equal(vmsix_capchain_hide(NULL, 256, false, 0x40), -EINVAL);
    assert_int_equal(vmsix_capchain_hide(cfg, 32, false, 0x40), -EINVAL);
}

static void test_hide_ext(void **state)
{
    (void)state;
    pcie_cfg();
    ext_cap(0x100, 0x0001, 2, 0x180);
    ext_cap(0x180, 0x000b, 1, 0x200);
    ext_cap(0x200, 0x0019, 1, 0);
    assert_int_equal(vmsix_capchain_hide(cfg, 4096, true, 0x180), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 3);
    expect_cap(2, 0x200, 0x0019, 4096 - 0x200, true);
    /* the first: ID 0, version and next pointer kept, still listed */
    assert_int_equal(vmsix_capchain_hide(cfg, 4096, true, 0x100), 0);
    assert_int_equal(cfg[0x100], 0);
    assert_int_equal(cfg[0x101], 0);
    assert_int_equal(cfg[0x102], 0x02);
    assert_int_equal(cfg[0x103], 0x20);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 3);
    expect_cap(1, 0x100, 0x0000, 0x100, true);
    assert_int_equal(chain.cap[1].ver, 2);
    expect_cap(2, 0x200, 0x0019, 4096 - 0x200, true);
    /* the last one */
    assert_int_equal(vmsix_capchain_hide(cfg, 4096, true, 0x200), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 2);
}

/* ---- replace ---- */

static void test_replace_msi_by_msix(void **state)
{
    static const uint8_t msix[12] = {0x11, 0xee, 0x07, 0x00, 0x02, 0, 0, 0, 0x02, 0x08, 0, 0};

    (void)state;
    three_std();
    cfg[0x53] = 0x01; /* MSI with per-vector masking: 20 bytes */
    memset(&cfg[0x54], 0x5a, 20); /* the body, and 4 bytes past it */
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, msix, sizeof(msix)), 0);
    assert_int_equal(cfg[0x50], 0x11);
    assert_int_equal(cfg[0x51], 0x70); /* next kept */
    assert_memory_equal(&cfg[0x52], &msix[2], 10);
    for (unsigned i = 0x5c; i < 0x64; i++)
        assert_int_equal(cfg[i], 0);
    for (unsigned i = 0x64; i < 0x68; i++)
        assert_int_equal(cfg[i], 0x5a); /* past the old capability: kept */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    expect_cap(1, 0x50, 0x11, 12, false);
    expect_cap(2, 0x70, 0x11, 12, false);
}

/* A malformed device may overlap capabilities: replace never writes into
 * the next listed capability. */
static void test_replace_overlapping_neighbour(void **state)
{
    static const uint8_t msix[12] = {0x11};
    uint8_t big[24] = {0x11};

    (void)state;
    cfg[0x34] = 0x50;
    std_cap(0x50, 0x05, 0x60);
    cfg[0x52] = 0x80;
    cfg[0x53] = 0x01; /* 24 bytes: 0x50..0x67 */
    std_cap(0x60, 0x01, 0x00);
    cfg[0x62] = 0x03;
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, msix, 12), 0);
    assert_int_equal(cfg[0x60], 0x01);
    assert_int_equal(cfg[0x61], 0x00);
    assert_int_equal(cfg[0x62], 0x03);
    cfg[0x50] = 0x05;
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, big, 20), -ENOSPC);
}

static void test_replace_limits(void **state)
{
    uint8_t big[24] = {0x11};

    (void)state;
    three_std();
    /* MSI 32-bit without masking is 10 bytes, but its dword room is 12 */
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, big, 12), 0);
    cfg[0x50] = 0x05;
    cfg[0x52] = 0;
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, big, 13), -ENOSPC);
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, big, 1), -EINVAL);
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x54, big, 12), -ENOENT);
    assert_int_equal(vmsix_capchain_replace(cfg, 256, false, 0x50, NULL, 12), -EINVAL);
    assert_int_equal(cfg[0x50], 0x05); /* nothing changed by the failures */
}

static void test_replace_ext(void **state)
{
    static const uint8_t vsec[8] = {0x0b, 0x00, 0x01, 0xff, 0x34, 0x12, 0x81, 0x00};

    (void)state;
    pcie_cfg();
    ext_cap(0x100, 0x0001, 2, 0x180);
    ext_cap(0x180, 0x0019, 1, 0);
    assert_int_equal(vmsix_capchain_replace(cfg, 4096, true, 0x100, vsec, 8), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    expect_cap(1, 0x100, 0x000b, 0x80, true);
    assert_int_equal(chain.cap[1].ver, 1);
    expect_cap(2, 0x180, 0x0019, 4096 - 0x180, true);
    assert_int_equal(cfg[0x104], 0x34);
    assert_int_equal(cfg[0x108], 0);
    assert_int_equal(vmsix_capchain_replace(cfg, 4096, true, 0x100, vsec, 3), -EINVAL);
}

/* ---- insert ---- */

static void test_insert_std_empty_list(void **state)
{
    static const uint8_t pm[8] = {0x01, 0xaa, 0x03, 0x00, 0, 0, 0, 0};
    uint16_t off = 0;

    (void)state;
    cfg[0x06] = 0; /* no Status bit 4 */
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, &off), 0);
    assert_int_equal(off, 0x40);
    assert_int_equal(cfg[0x06] & 0x10, 0x10);
    assert_int_equal(cfg[0x34], 0x40);
    assert_int_equal(cfg[0x41], 0x00); /* next ignored: ends the list */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 1);
    expect_cap(0, 0x40, 0x01, 8, false);
}

static void test_insert_std_append(void **state)
{
    static const uint8_t msix[12] = {0x11, 0, 0x1f, 0, 0x02};
    uint16_t off = 0;

    (void)state;
    three_std(); /* 0x40 PM(8), 0x50 MSI(10 -> room 12), 0x70 MSI-X(12) */
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), 0);
    assert_int_equal(off, 0x5c);
    assert_int_equal(cfg[0x71], 0x5c); /* the tail links to it */
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 4);
    expect_cap(3, 0x5c, 0x11, 12, false);
    /* wanted places: overlapping, misaligned, outside */
    off = 0x48;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), -ENOSPC);
    off = 0x64;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), -ENOSPC);
    off = 0x7e;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), -EINVAL);
    off = 0xf8;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), -EINVAL);
    off = 0x3c;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), -EINVAL);
    off = 0xf0;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msix, 12, &off), 0);
    assert_int_equal(cfg[0x5d], 0xf0);
    assert_int_equal(vmsix_capchain_parse(cfg, 256, &chain), 0);
    assert_int_equal(chain.n, 5);
}

/* A capability whose length is unknown occupies everything up to the next
 * one: nothing may be inserted after the highest such capability. */
static void test_insert_respects_unknown_length(void **state)
{
    static const uint8_t pm[8] = {0x01};
    uint16_t off = 0xc0;

    (void)state;
    cfg[0x34] = 0x80;
    std_cap(0x80, 0x09, 0);
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, &off), -ENOSPC);
    off = 0;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, &off), 0);
    assert_int_equal(off, 0x40);
}

/* The new capability's own known length counts, not only the bytes given. */
static void test_insert_uses_known_length(void **state)
{
    static const uint8_t msi[4] = {0x05, 0, 0x80, 0x01}; /* 24 bytes */
    uint16_t off = 0;

    (void)state;
    cfg[0x34] = 0x50;
    std_cap(0x50, 0x01, 0);
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, msi, 4, &off), 0);
    assert_int_equal(off, 0x58); /* 0x40..0x57 is too short for 24 bytes */
}

static void test_insert_refusals(void **state)
{
    static const uint8_t pm[8] = {0x01};
    uint16_t off = 0;

    (void)state;
    three_std();
    std_cap(0x70, 0x11, 0x40); /* loop */
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, &off), -EBADMSG);
    reset_cfg();
    cfg[0x0e] = 0x03;
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, &off), -ENOTSUP);
    reset_cfg();
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 1, &off), -EINVAL);
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, pm, 8, NULL), -EINVAL);
    assert_int_equal(vmsix_capchain_insert(cfg, 256, false, NULL, 8, &off), -EINVAL);
    /* extended: needs PCIe and extended space */
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, pm, 8, &off), -ENOTSUP);
    pcie_cfg();
    assert_int_equal(vmsix_capchain_insert(cfg, 256, true, pm, 8, &off), -ENOTSUP);
}

static void test_insert_ext(void **state)
{
    static const uint8_t aer[8] = {0x01, 0x00, 0x02, 0xff};
    static const uint8_t vsec[8] = {0x0b, 0x00, 0x01, 0x00};
    uint16_t off = 0;

    (void)state;
    pcie_cfg();
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, aer, 8, &off), 0);
    assert_int_equal(off, 0x100);
    assert_int_equal(cfg[0x103], 0x00); /* next ignored */
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    expect_cap(1, 0x100, 0x0001, 4096 - 0x100, true);
    assert_int_equal(chain.cap[1].ver, 2);
    /* the only extended capability runs to the end: no room left */
    off = 0x200;
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, vsec, 8, &off), -ENOSPC);

    /* an empty list and a wanted place away from 0x100: ID 0 header at 0x100 */
    pcie_cfg();
    off = 0x200;
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, vsec, 8, &off), 0);
    assert_int_equal(vmsix_capchain_parse(cfg, 4096, &chain), 0);
    assert_int_equal(chain.n, 3);
    expect_cap(1, 0x100, 0x0000, 0x100, true);
    expect_cap(2, 0x200, 0x000b, 4096 - 0x200, true);
    /* the placeholder's length is unknown too: it occupies up to 0x200 */
    off = 0x180;
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, aer, 8, &off), -ENOSPC);
    off = 0;
    assert_int_equal(vmsix_capchain_insert(cfg, 4096, true, aer, 8, &off), -ENOSPC);
}


/* ---- robustness: random chains in views of every length ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    return (uint32_t)(xorshift64(&rng_state) >> 11);
}

/* Random bytes shaped like a chain often enough to reach every path. */
static void random_cfg(uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)rnd();
    b[0x06] |= (rnd() % 8) ? 0x10 : 0;
    b[0x0e] = (uint8_t)(rnd() % 4);
    b[0x34] = (uint8_t)(0x40 + (rnd() % 48) * 4 + (rnd() % 8 == 0 ? rnd() % 4 : 0));
    for (size_t off = 0x40; off + 4 <= len && off < 0x100; off += 4) {
        if (rnd() % 3 == 0) {
            static const uint8_t ids[] = {0x01, 0x05, 0x09, 0x10, 0x11, 0x0d, 0xff, 0x00};
            b[off] = ids[rnd() % sizeof(ids)];
            b[off + 1] = (uint8_t)((rnd() % 6 == 0) ? 0 : 0x40 + (rnd() % 48) * 4);
        }
    }
    for (size_t off = 0x100; off + 4 <= len; off += 4) {
        if (rnd() % 4 == 0) {
            uint32_t next = (rnd() % 5 == 0) ? 0 : 0x100 + (rnd() % 960) * 4 + (rnd() % 16 == 0);
            uint32_t h = (rnd() % 0x30) | ((rnd() % 3) << 16) | (next << 20);
            memcpy(&b[off], &h, 4);
        }
    }
}

static void check_chain_shape(const struct vmsix_capchain *c, size_t len)
{
    unsigned std = 0, ext = 0;
    size_t view = len > 4096 ? 4096 : len;

    for (unsigned k = 0; k < c->n; k++) {
        const struct vmsix_cap *cap = &c->cap[k];
        assert_true(cap->off + cap->len <= view);
        assert_true(cap->len >= (cap->ext ? 4 : 2));
        if (cap->ext) {
            assert_true(cap->off >= 0x100 && cap->off % 4 == 0);
            ext++;
        } else {
            assert_true(cap->off >= 0x40 && cap->off + cap->len <= 0x100 && cap->off % 4 == 0);
            assert_int_equal(ext, 0); /* standard first */
            std++;
        }
        for (unsigned j = 0; j < k; j++)
            assert_false(c->cap[j].off == cap->off);
    }
    assert_true(std <= 48 && ext <= 960);
}

static void test_random_chains(void **state)
{
    static struct vmsix_capchain again;
    static const size_t lens[] = {64, 65, 100, 255, 256, 257, 259, 260, 300, 1024, 4095, 4096, 5000};
    unsigned hides = 0, replaces = 0, inserts = 0;

    (void)state;
    for (unsigned iter = 0; iter < 6000; iter++) {
        size_t len = lens[iter % (sizeof(lens) / sizeof(lens[0]))];
        /* exact-size heap buffers: a sanitizer sees any access past them */
        uint8_t *b = malloc(len), *copy = malloc(len);
        int rc;

        assert_non_null(b);
        assert_non_null(copy);
        random_cfg(b, len);
        if (iter % 7 == 0 && len > 0x104) {
            b[0x34] = 0x40; /* a PCIe function, so that extended lists are walked */
            b[0x06] |= 0x10;
            b[0x0e] = 0;
            b[0x40] = 0x10;
            b[0x42] = 0x02;
        }
        rc = vmsix_capchain_parse(b, len, &chain);
        assert_true(rc == 0 || rc == -EBADMSG);
        assert_int_equal(rc == 0, chain.flags == 0);
        check_chain_shape(&chain, len);
        /* lookup walks the same chain without storing it */
        for (unsigned q = 0; q < 8; q++) {
            static const uint16_t ids[] = {0x01, 0x05, 0x10, 0x11, 0x0001, 0x000b, 0x0019, 0};
            bool ext = q >= 4;
            struct vmsix_cap a, f;
            unsigned fl = 0xdead;
            int ra = vmsix_capchain_lookup(b, len, ext, ids[q], &a, &fl);
            int rf = vmsix_capchain_find(&chain, ext, ids[q], &f);
            assert_int_equal(ra, rf);
            assert_int_equal(fl, chain.flags);
            if (ra == 0)
                assert_memory_equal(&a, &f, sizeof(a));
        }

        for (unsigned k = 0; k < chain.n; k++) {
            const struct vmsix_cap *c = &chain.cap[k];
            memcpy(copy, b, len);
            assert_int_equal(vmsix_capchain_hide(copy, len, c->ext, c->off), 0);
            rc = vmsix_capchain_parse(copy, len, &again);
            assert_true(rc == 0 || rc == -EBADMSG);
            /* hiding only shortens: no new loop, the capability is gone or
             * (first extended one) is left with ID 0 */
            if (!(chain.flags & VMSIX_CHAIN_LOOP))
                assert_false(again.flags & VMSIX_CHAIN_LOOP);
            for (unsigned j = 0; j < again.n; j++)
                if (again.cap[j].off == c->off && again.cap[j].ext == c->ext)
                    assert_true(c->ext && c->off == 0x100 && again.cap[j].id == 0);
            hides++;

            uint8_t body[64];
            for (unsigned i = 0; i < sizeof(body); i++)
                body[i] = (uint8_t)rnd();
            memcpy(copy, b, len);
            size_t bl = (c->ext ? 4 : 2) + rnd() % 40;
            rc = vmsix_capchain_replace(copy, len, c->ext, c->off, body, bl);
            assert_true(rc == 0 || rc == -ENOSPC);
            if (rc == 0) {
                assert_memory_equal(copy + c->off + (c->ext ? 4 : 2), body + (c->ext ? 4 : 2),
                                    bl - (c->ext ? 4 : 2));
                replaces++;
            } else {
                assert_memory_equal(copy, b, len);
            }
        }

        uint8_t ins[16] = {0x09, 0, 16};
        uint16_t off = (rnd() % 2) ? 0 : (uint16_t)(rnd() % 0x1000);
        bool ext = rnd() % 2;
        memcpy(copy, b, len);
        rc = vmsix_capchain_insert(copy, len, ext, ins, ext ? 16 : 12, &off);
        assert_true(rc == 0 || rc == -ENOSPC || rc == -EBADMSG || rc == -ENOTSUP ||
                    rc == -EINVAL);
        if (rc == 0) {
            struct vmsix_cap found;
            assert_int_equal(vmsix_capchain_parse(copy, len, &again), 0);
            check_chain_shape(&again, len);
            bool listed = false;
            for (unsigned j = 0; j < again.n; j++)
                listed |= again.cap[j].off == off && again.cap[j].ext == ext;
            assert_true(listed);
            (void)found;
            inserts++;
        } else {
            assert_memory_equal(copy, b, len);
        }
        free(b);
        free(copy);
    }
    print_message("random chains: %u hides, %u replaces, %u inserts\n", hides, replaces, inserts);
    assert_true(hides > 1000 && replaces > 500 && inserts > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_bad_args, setup),
        cmocka_unit_test_setup(test_parse_64_byte_view, setup),
        cmocka_unit_test_setup(test_status_bit4_gates_list, setup),
        cmocka_unit_test_setup(test_head_by_header_type, setup),
        cmocka_unit_test_setup(test_pointer_low_bits_masked, setup),
        cmocka_unit_test_setup(test_pointer_into_header_is_badptr, setup),
        cmocka_unit_test_setup(test_loop, setup),
        cmocka_unit_test_setup(test_48_standard_caps, setup),
        cmocka_unit_test_setup(test_known_lengths, setup),
        cmocka_unit_test_setup(test_unknown_length_measured, setup),
        cmocka_unit_test_setup(test_known_length_truncated, setup),
        cmocka_unit_test_setup(test_ext_only_on_pcie, setup),
        cmocka_unit_test_setup(test_ext_view_256_has_none, setup),
        cmocka_unit_test_setup(test_ext_not_after_std_fault, setup),
        cmocka_unit_test_setup(test_ext_empty_headers, setup),
        cmocka_unit_test_setup(test_ext_bad_pointers, setup),
        cmocka_unit_test_setup(test_ext_lengths_and_order, setup),
        cmocka_unit_test_setup(test_ext_960_caps, setup),
        cmocka_unit_test_setup(test_find, setup),
        cmocka_unit_test_setup(test_hide_std, setup),
        cmocka_unit_test_setup(test_hide_keeps_link_reserved_bits, setup),
        cmocka_unit_test_setup(test_hide_in_loop, setup),
        cmocka_unit_test_setup(test_hide_not_listed, setup),
        cmocka_unit_test_setup(test_hide_ext, setup),
        cmocka_unit_test_setup(test_replace_msi_by_msix, setup),
        cmocka_unit_test_setup(test_replace_overlapping_neighbour, setup),
        cmocka_unit_test_setup(test_replace_limits, setup),
        cmocka_unit_test_setup(test_replace_ext, setup),
        cmocka_unit_test_setup(test_insert_std_empty_list, setup),
        cmocka_unit_test_setup(test_insert_std_append, setup),
        cmocka_unit_test_setup(test_insert_respects_unknown_length, setup),
        cmocka_unit_test_setup(test_insert_uses_known_length, setup),
        cmocka_unit_test_setup(test_insert_refusals, setup),
        cmocka_unit_test_setup(test_insert_ext, setup),
        cmocka_unit_test_setup(test_random_chains, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
