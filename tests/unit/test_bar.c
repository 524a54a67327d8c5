/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of BAR decoding of raw configuration bytes and free-slot
 * detection (DESIGN 4.1 rule 7), through <vmsix/bar.h> alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/bar.h>

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
    bar_set(0, 0xfe000000); /* mem32 */
    bar_set(1, 0x0000e001); /* io */
    bar_set(2, 0xd000000c); /* mem64 prefetchable ... */
    bar_set(3, 0x00000038); /* ... upper half */
    bar_set(4, 0x00000000); /* unused */
    bar_set(5, 0xc0000004); /* mem64 in the last slot: bad */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bar_count, setup),
        cmocka_unit_test_setup(test_decode, setup),
        cmocka_unit_test_setup(test_free_slot, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
