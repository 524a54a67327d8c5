/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of BAR decoding, free-slot detection (DESIGN 4.1 rule 7) and
 * emulated BARs with the sizing protocol. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/cfgspace.h>

static uint8_t cfg[256];

static void bar_set(unsigned i, uint32_t v)
{
    memcpy(&cfg[0x10 + 4 * i], &v, 4);
}

static int setup(void **state)
{
    (void)state;
    memset(cfg, 0, sizeof(cfg));
    return 0;
}

static void test_bar_count(void **state)
{
    (void)state;
    assert_int_equal(vmsix_bar_count(cfg, 256), 6);
    cfg[0x0e] = 0x80; /* multi-function bit is not the type */
    assert_int_equal(vmsix_bar_count(cfg, 256), 6);
    cfg[0x0e] = 0x01;
    assert_int_equal(vmsix_bar_count(cfg, 256), 2);
    cfg[0x0e] = 0x02;
    assert_int_equal(vmsix_bar_count(cfg, 256), 1);
    cfg[0x0e] = 0x03;
    assert_int_equal(vmsix_bar_count(cfg, 256), 0);
    assert_int_equal(vmsix_bar_count(cfg, 63), 0);
    assert_int_equal(vmsix_bar_count(NULL, 256), 0);
}

static void test_decode(void **state)
{
    struct vmsix_bar b[6];
    unsigned n;

    (void)state;
    bar_set(0, 0xfe000000);          /* mem32 */
    bar_set(1, 0x0000e001);          /* io */
    bar_set(2, 0xd000000c);          /* mem64 prefetchable ... */
    bar_set(3, 0x00000038);          /* ... upper half */
    bar_set(4, 0x00000000);          /* unused */
    bar_set(5, 0xc0000004);          /* mem64 in the last slot: bad */
    assert_int_equal(vmsix_bar_decode(cfg, 256, b, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(b[0].kind, VMSIX_BAR_MEM32);
    assert_int_equal(b[0].addr, 0xfe000000);
    assert_false(b[0].prefetch);
    assert_int_equal(b[1].kind, VMSIX_BAR_IO);
    assert_int_equal(b[1].addr, 0xe000);
    assert_int_equal(b[2].kind, VMSIX_BAR_MEM64);
    assert_true(b[2].prefetch);
    assert_int_equal(b[2].addr, 0x38d0000000ull);
    assert_int_equal(b[3].kind, VMSIX_BAR_MEM64_HI);
    assert_int_equal(b[4].kind, VMSIX_BAR_NONE);
    assert_int_equal(b[5].kind, VMSIX_BAR_BAD);
    bar_set(0, 0xfe000002); /* type 01: reserved */
    bar_set(1, 0xfe000006); /* type 11: reserved */
    assert_int_equal(vmsix_bar_decode(cfg, 256, b, &n), 0);
    assert_int_equal(b[0].kind, VMSIX_BAR_BAD);
    assert_int_equal(b[1].kind, VMSIX_BAR_BAD);
    /* a bridge has two slots */
    cfg[0x0e] = 1;
    assert_int_equal(vmsix_bar_decode(cfg, 256, b, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(vmsix_bar_decode(cfg, 32, b, &n), -EINVAL);
    assert_int_equal(vmsix_bar_decode(cfg, 256, NULL, &n), -EINVAL);
}

static void test_free_slot(void **state)
{
    unsigned slot = 99;
    uint32_t sized[6] = {0};

    (void)state;
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, &slot), 0);
    assert_int_equal(slot, 0);
    /* a 64-bit BAR at address 0: its upper half reads 0 but is not free */
    bar_set(0, 0x0000000c);
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, &slot), 0);
    assert_int_equal(slot, 2);
    /* a slot that reads 0 but sizes to non-zero is implemented */
    sized[2] = 0xfffff000;
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, sized, &slot), 0);
    assert_int_equal(slot, 3);
    for (unsigned i = 2; i < 6; i++)
        bar_set(i, 0xf0000000 + 0x1000 * i);
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, &slot), -ENOSPC);
    /* bridges: only two slots */
    memset(cfg, 0, sizeof(cfg));
    cfg[0x0e] = 1;
    bar_set(0, 0xf0000000);
    bar_set(1, 0xf1000000);
    bar_set(2, 0); /* the bus-number register, not a BAR */
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, &slot), -ENOSPC);
    cfg[0x0e] = 0x7f;
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, &slot), -ENOSPC);
    assert_int_equal(vmsix_bar_free_slot(cfg, 256, NULL, NULL), -EINVAL);
}

/* ---- emulated BARs ---- */

static unsigned char mem[32768] __attribute__((aligned(8)));
static unsigned nmoved;
static unsigned moved_bar;
static uint64_t moved_addr;

static void on_moved(void *ctx, unsigned bar, uint64_t addr)
{
    (void)ctx;
    nmoved++;
    moved_bar = bar;
    moved_addr = addr;
}

static struct vmsix_cfg *model(uint8_t header_type)
{
    struct vmsix_cfg *c;
    assert_int_equal(vmsix_cfg_init(mem, sizeof(mem), 256, NULL, NULL, &c), 0);
    vmsix_cfg_poke(c, 0x0e, 1, header_type);
    nmoved = 0;
    return c;
}

static uint32_t rd(struct vmsix_cfg *c, uint16_t off)
{
    uint32_t v;
    assert_int_equal(vmsix_cfg_read(c, off, 4, &v), 0);
    return v;
}

static void test_sizing_mem32(void **state)
{
    struct vmsix_cfg *c = model(0);
    uint64_t a;

    (void)state;
    assert_int_equal(vmsix_cfg_bar_emulate(c, 2, 4096, VMSIX_BAR_MEM32, on_moved, NULL), 0);
    assert_int_equal(rd(c, 0x18), 0x00000000);
    assert_int_equal(vmsix_cfg_write(c, 0x18, 4, 0xffffffff), 0);
    assert_int_equal(rd(c, 0x18), 0xfffff000); /* size mask, type bits 0 */
    assert_int_equal(nmoved, 1);
    assert_int_equal(vmsix_cfg_write(c, 0x18, 4, 0xfeb01234), 0);
    assert_int_equal(rd(c, 0x18), 0xfeb01000);
    assert_int_equal(nmoved, 2);
    assert_int_equal(moved_bar, 2);
    assert_int_equal(moved_addr, 0xfeb01000);
    assert_int_equal(vmsix_cfg_bar_addr(c, 2, &a), 0);
    assert_int_equal(a, 0xfeb01000);
    /* the same address again is no move */
    assert_int_equal(vmsix_cfg_write(c, 0x18, 4, 0xfeb01000), 0);
    assert_int_equal(nmoved, 2);
    /* a one-byte write to the top byte moves it too (rule 5) */
    assert_int_equal(vmsix_cfg_write(c, 0x1b, 1, 0xfd), 0);
    assert_int_equal(nmoved, 3);
    assert_int_equal(moved_addr, 0xfdb01000);
    /* prefetchable: bit 3 reads back */
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 16, VMSIX_BAR_MEM32 | VMSIX_BAR_PREFETCH, NULL,
                                           NULL),
                     0);
    vmsix_cfg_write(c, 0x10, 4, 0xffffffff);
    assert_int_equal(rd(c, 0x10), 0xfffffff8);
}

static void test_sizing_mem64(void **state)
{
    struct vmsix_cfg *c = model(0);
    uint64_t a;

    (void)state;
    assert_int_equal(vmsix_cfg_bar_emulate(c, 4, 0x200000000ull, VMSIX_BAR_MEM64, on_moved, NULL),
                     0);
    assert_int_equal(rd(c, 0x20), 0x00000004);
    vmsix_cfg_write(c, 0x20, 4, 0xffffffff);
    vmsix_cfg_write(c, 0x24, 4, 0xffffffff);
    assert_int_equal(rd(c, 0x20), 0x00000004); /* 8 GiB: no low address bits */
    assert_int_equal(rd(c, 0x24), 0xfffffffe);
    vmsix_cfg_write(c, 0x20, 4, 0);
    nmoved = 0;
    vmsix_cfg_write(c, 0x24, 4, 0x00000012);
    assert_int_equal(nmoved, 1);
    assert_int_equal(moved_bar, 4); /* reported on the low slot */
    assert_int_equal(moved_addr, 0x1200000000ull);
    assert_int_equal(vmsix_cfg_bar_addr(c, 4, &a), 0);
    assert_int_equal(a, 0x1200000000ull);
    assert_int_equal(vmsix_cfg_bar_addr(c, 5, &a), -ENOENT);

    c = model(0);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, VMSIX_BAR_MEM64 | VMSIX_BAR_PREFETCH, NULL,
                                           NULL),
                     0);
    vmsix_cfg_write(c, 0x10, 4, 0xffffffff);
    vmsix_cfg_write(c, 0x14, 4, 0xffffffff);
    assert_int_equal(rd(c, 0x10), 0xfffff00c);
    assert_int_equal(rd(c, 0x14), 0xffffffff);
}

static void test_sizing_io(void **state)
{
    struct vmsix_cfg *c = model(0);

    (void)state;
    assert_int_equal(vmsix_cfg_bar_emulate(c, 1, 256, VMSIX_BAR_IO, NULL, NULL), 0);
    assert_int_equal(rd(c, 0x14), 0x00000001);
    vmsix_cfg_write(c, 0x14, 4, 0xffffffff);
    assert_int_equal(rd(c, 0x14), 0xffffff01);
    /* the smallest I/O BAR: 4 ports, address bits from bit 2 */
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4, VMSIX_BAR_IO, NULL, NULL), 0);
    vmsix_cfg_write(c, 0x10, 4, 0xffffffff);
    assert_int_equal(rd(c, 0x10), 0xfffffffd);
}

static void test_emulate_refusals(void **state)
{
    static const struct vmsix_cfg_field_ops fo = {NULL, NULL};
    struct vmsix_cfg *c = model(1); /* bridge: two slots */

    (void)state;
    assert_int_equal(vmsix_cfg_bar_emulate(c, 2, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 1, 4096, VMSIX_BAR_MEM64, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4097, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 8, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 0x100000000ull, VMSIX_BAR_MEM32, NULL, NULL),
                     -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 512, VMSIX_BAR_IO, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 16, VMSIX_BAR_IO | VMSIX_BAR_PREFETCH, NULL, NULL),
                     -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, 7, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(NULL, 0, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_field_add(c, 0x16, 1, &fo, NULL), 0);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, VMSIX_BAR_MEM64, NULL, NULL), -EBUSY);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, VMSIX_BAR_MEM32, NULL, NULL), 0);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EBUSY);
    /* out of fields */
    c = model(0);
    for (unsigned off = 0x40; off < 0x40 + 4 * VMSIX_CFG_MAX_FIELDS; off += 4)
        assert_int_equal(vmsix_cfg_field_add(c, (uint16_t)off, 4, &fo, NULL), 0);
    assert_int_equal(vmsix_cfg_bar_emulate(c, 0, 4096, VMSIX_BAR_MEM32, NULL, NULL), -ENOSPC);
    uint64_t a;
    assert_int_equal(vmsix_cfg_bar_addr(c, 0, &a), -ENOENT);
    assert_int_equal(vmsix_cfg_bar_addr(c, 6, &a), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bar_count, setup),
        cmocka_unit_test_setup(test_decode, setup),
        cmocka_unit_test_setup(test_free_slot, setup),
        cmocka_unit_test(test_sizing_mem32),
        cmocka_unit_test(test_sizing_mem64),
        cmocka_unit_test(test_sizing_io),
        cmocka_unit_test(test_emulate_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
