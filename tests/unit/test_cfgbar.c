/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of emulated BARs in a register model: the sizing protocol
 * (DESIGN 4.1 rule 7), moves, and the refusals. Decoding is test_bar.c. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/cfgspace.h>

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
    static const struct vmsix_cfg_field_ops fo = {sizeof(struct vmsix_cfg_field_ops), NULL, NULL};
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
    /* a slot number that wraps when the BAR's dwords are added to it */
    assert_int_equal(vmsix_cfg_bar_emulate(c, UINT_MAX, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    assert_int_equal(vmsix_cfg_bar_emulate(c, UINT_MAX - 1, 4096, VMSIX_BAR_MEM64, NULL, NULL),
                     -EINVAL);
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
        cmocka_unit_test(test_sizing_mem32),
        cmocka_unit_test(test_sizing_mem64),
        cmocka_unit_test(test_sizing_io),
        cmocka_unit_test(test_emulate_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
