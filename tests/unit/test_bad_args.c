/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bad-argument sweep: every public function called with NULL pointers,
 * zero and maximal sizes, out-of-range vectors, indexes and offsets. Each
 * call must return its documented negative errno (or the documented value
 * for functions that return no error) and leave every object byte for byte
 * as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/vmsix.h>

/* Objects in a valid state, and snapshots of their storage. */
static unsigned char cfg_mem[32768] __attribute__((aligned(16)));
static unsigned char msix_mem[4096] __attribute__((aligned(16)));
static unsigned char pool_mem[32768] __attribute__((aligned(16)));
static unsigned char unit_mem[4096] __attribute__((aligned(16)));
static uint64_t table[256 * 2] __attribute__((aligned(4096)));
static unsigned char snap[4][32768];
static uint8_t view[4096];
static struct vmsix_capchain chain;

static struct vmsix_cfg *cfg;
static struct vmsix_msix *msix;
static struct vmsix_irte_pool *pool;
static struct vmsix_vtd_unit *unit;

static void nop_deliver(void *c, uint16_t v, const struct vmsix_msg *m)
{
    (void)c;
    (void)v;
    (void)m;
}
static int nop_update(void *c, uint16_t v, const struct vmsix_msg *m, bool a)
{
    (void)c;
    (void)v;
    (void)m;
    (void)a;
    return 0;
}
static int nop_inval(void *c, const uint64_t d[2])
{
    (void)c;
    (void)d;
    return 0;
}
static const struct vmsix_msix_ops mops = {nop_deliver, nop_update, NULL};
static const struct vmsix_vtd_ops vops = {NULL, nop_inval, NULL, NULL, NULL};

static int setup(void **state)
{
    struct vmsix_msix_params mp = {8, 0, 0x800, 0};
    struct vmsix_vtd_params vp;

    (void)state;
    memset(view, 0, sizeof(view));
    view[0x06] = 0x10;
    view[0x34] = 0x40;
    view[0x40] = 0x05; /* MSI, 8 vectors, 64-bit, per-vector mask */
    view[0x42] = 0x86;
    view[0x43] = 0x01;
    assert_int_equal(vmsix_cfg_init(cfg_mem, sizeof(cfg_mem), 4096, NULL, NULL, &cfg), 0);
    assert_int_equal(vmsix_cfg_load(cfg, view, sizeof(view)), 0);
    assert_int_equal(vmsix_msix_init(msix_mem, sizeof(msix_mem), &mp, &mops, NULL, &msix), 0);
    assert_int_equal(vmsix_irte_pool_init(pool_mem, sizeof(pool_mem), 256, &pool), 0);
    memset(&vp, 0, sizeof(vp));
    vp.table = table;
    vp.nentries = 256;
    vp.mhmv = 4;
    assert_int_equal(vmsix_vtd_unit_init(unit_mem, sizeof(unit_mem), &vp, &vops, NULL, &unit), 0);
    memcpy(snap[0], cfg_mem, sizeof(cfg_mem));
    memcpy(snap[1], msix_mem, sizeof(msix_mem));
    memcpy(snap[2], pool_mem, sizeof(pool_mem));
    memcpy(snap[3], unit_mem, sizeof(unit_mem));
    return 0;
}

static void unchanged(void)
{
    assert_memory_equal(snap[0], cfg_mem, sizeof(cfg_mem));
    assert_memory_equal(snap[1], msix_mem, sizeof(msix_mem));
    assert_memory_equal(snap[2], pool_mem, sizeof(pool_mem));
    assert_memory_equal(snap[3], unit_mem, sizeof(unit_mem));
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(table[i], 0);
}

#define EXPECT(call, want)                                                                         \
    do {                                                                                           \
        assert_int_equal((call), (want));                                                          \
        unchanged();                                                                               \
    } while (0)

static void test_capchain(void **state)
{
    struct vmsix_cap c;
    uint16_t off = 0;
    uint8_t cap[12] = {0x11};

    (void)state;
    EXPECT(vmsix_capchain_parse(NULL, 256, &chain), -EINVAL);
    EXPECT(vmsix_capchain_parse(view, 0, &chain), -EINVAL);
    EXPECT(vmsix_capchain_parse(view, 63, &chain), -EINVAL);
    EXPECT(vmsix_capchain_parse(view, 256, NULL), -EINVAL);
    EXPECT(vmsix_capchain_find(NULL, false, 5, &c), -EINVAL);
    EXPECT(vmsix_capchain_lookup(NULL, 256, false, 5, &c, NULL), -EINVAL);
    EXPECT(vmsix_capchain_lookup(view, 10, false, 5, &c, NULL), -EINVAL);
    uint8_t copy[4096];
    memcpy(copy, view, sizeof(copy));
    EXPECT(vmsix_capchain_hide(NULL, 256, false, 0x40), -EINVAL);
    EXPECT(vmsix_capchain_hide(copy, 0, false, 0x40), -EINVAL);
    EXPECT(vmsix_capchain_hide(copy, 256, false, 0xffff), -ENOENT);
    EXPECT(vmsix_capchain_replace(copy, 256, false, 0x40, NULL, 12), -EINVAL);
    EXPECT(vmsix_capchain_replace(copy, 256, false, 0x40, cap, 0), -EINVAL);
    EXPECT(vmsix_capchain_replace(copy, 256, false, 0x40, cap, SIZE_MAX), -ENOSPC);
    EXPECT(vmsix_capchain_replace(NULL, 256, false, 0x40, cap, 12), -EINVAL);
    EXPECT(vmsix_capchain_insert(copy, 256, false, cap, 12, NULL), -EINVAL);
    EXPECT(vmsix_capchain_insert(copy, 256, false, NULL, 12, &off), -EINVAL);
    EXPECT(vmsix_capchain_insert(copy, 256, false, cap, SIZE_MAX, &off), -EINVAL);
    EXPECT(vmsix_capchain_insert(NULL, 256, false, cap, 12, &off), -EINVAL);
    assert_memory_equal(copy, view, sizeof(copy));
}

static void test_cfgspace(void **state)
{
    uint32_t v;
    struct vmsix_bar bars[6];
    unsigned n, slot;
    static const struct vmsix_cfg_field_ops fo = {NULL, NULL};

    (void)state;
    assert_int_equal(vmsix_cfg_storage_size(0), 0);
    assert_int_equal(vmsix_cfg_storage_size(0xffff), 0);
    EXPECT(vmsix_cfg_init(NULL, 1, 256, NULL, NULL, &cfg), -EINVAL);
    EXPECT(vmsix_cfg_load(NULL, view, 4), -EINVAL);
    EXPECT(vmsix_cfg_load(cfg, NULL, 4), -EINVAL);
    EXPECT(vmsix_cfg_load(cfg, view, 4097), -EINVAL);
    EXPECT(vmsix_cfg_set_attr(NULL, 0, 4, 1, VMSIX_CFG_RW), -EINVAL);
    EXPECT(vmsix_cfg_set_attr(cfg, 0xfffe, 4, 1, VMSIX_CFG_RW), -EINVAL);
    EXPECT(vmsix_cfg_set_attr(cfg, 0, 8, 1, VMSIX_CFG_RW), -EINVAL);
    EXPECT(vmsix_cfg_set_attr(cfg, 0, 4, 1, ~0u), -EINVAL);
    EXPECT(vmsix_cfg_set_range(cfg, 0, 0xffff, VMSIX_CFG_RW), -EINVAL);
    EXPECT(vmsix_cfg_set_range(NULL, 0, 4, VMSIX_CFG_RW), -EINVAL);
    EXPECT(vmsix_cfg_poke(NULL, 0, 4, 0), -EINVAL);
    EXPECT(vmsix_cfg_poke(cfg, 0xffff, 4, 0), -EINVAL);
    EXPECT(vmsix_cfg_poke(cfg, 0, 5, 0), -EINVAL);
    EXPECT(vmsix_cfg_peek(cfg, 0, 4, NULL), -EINVAL);
    EXPECT(vmsix_cfg_peek(NULL, 0, 4, &v), -EINVAL);
    EXPECT(vmsix_cfg_field_add(NULL, 0x40, 2, &fo, NULL), -EINVAL);
    EXPECT(vmsix_cfg_field_add(cfg, 0x40, 2, NULL, NULL), -EINVAL);
    EXPECT(vmsix_cfg_field_add(cfg, 0xffff, 1, &fo, NULL), -EINVAL);
    EXPECT(vmsix_cfg_field_add(cfg, 0x40, 5, &fo, NULL), -EINVAL);
    v = 0;
    EXPECT(vmsix_cfg_read(NULL, 0, 4, &v), -EINVAL);
    assert_int_equal(v, 0xffffffffu);
    EXPECT(vmsix_cfg_read(cfg, 0, 4, NULL), -EINVAL);
    EXPECT(vmsix_cfg_read(cfg, 0xffff, 4, &v), -EINVAL);
    EXPECT(vmsix_cfg_read(cfg, 2, 4, &v), -EINVAL);
    EXPECT(vmsix_cfg_read(cfg, 0, 0, &v), -EINVAL);
    EXPECT(vmsix_cfg_write(NULL, 0, 4, 0), -EINVAL);
    EXPECT(vmsix_cfg_write(cfg, 4096, 1, 0), -EINVAL);
    EXPECT(vmsix_cfg_write(cfg, 3, 2, 0), -EINVAL);
    EXPECT(vmsix_cfg_write(cfg, 0, 3, 0), -EINVAL);
    EXPECT(vmsix_cfg_bar_emulate(NULL, 0, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    EXPECT(vmsix_cfg_bar_emulate(cfg, 6, 4096, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    EXPECT(vmsix_cfg_bar_emulate(cfg, 0, 0, VMSIX_BAR_MEM32, NULL, NULL), -EINVAL);
    EXPECT(vmsix_cfg_bar_emulate(cfg, 0, UINT64_MAX, VMSIX_BAR_MEM64, NULL, NULL), -EINVAL);
    uint64_t a;
    EXPECT(vmsix_cfg_bar_addr(NULL, 0, &a), -EINVAL);
    EXPECT(vmsix_cfg_bar_addr(cfg, 0, NULL), -EINVAL);
    EXPECT(vmsix_cfg_bar_addr(cfg, 99, &a), -EINVAL);
    EXPECT(vmsix_cfg_protect_caps(NULL, &chain), -EINVAL);
    EXPECT(vmsix_cfg_protect_caps(cfg, NULL), -EINVAL);
    assert_int_equal(vmsix_bar_count(NULL, 256), 0);
    EXPECT(vmsix_bar_decode(NULL, 256, bars, &n), -EINVAL);
    EXPECT(vmsix_bar_decode(view, 256, NULL, &n), -EINVAL);
    EXPECT(vmsix_bar_decode(view, 256, bars, NULL), -EINVAL);
    EXPECT(vmsix_bar_decode(view, 0, bars, &n), -EINVAL);
    EXPECT(vmsix_bar_free_slot(NULL, 256, NULL, &slot), -EINVAL);
    EXPECT(vmsix_bar_free_slot(view, 256, NULL, NULL), -EINVAL);
}

static void test_msix_table(void **state)
{
    uint64_t v = 7;
    size_t used;
    struct vmsix_msix_params mp = {8, 0, 0x800, 0};
    struct vmsix_msix *o;

    (void)state;
    assert_int_equal(vmsix_msix_storage_size(0), 0);
    assert_int_equal(vmsix_msix_storage_size(0xffff), 0);
    EXPECT(vmsix_msix_init(NULL, 4096, &mp, &mops, NULL, &o), -EINVAL);
    EXPECT(vmsix_msix_init(snap[0] + 1, 4096, &mp, &mops, NULL, &o), -EINVAL);
    EXPECT(vmsix_msix_mmio_read(NULL, 0, 4, &v), -EINVAL);
    EXPECT(vmsix_msix_mmio_read(msix, 0, 4, NULL), -EINVAL);
    EXPECT(vmsix_msix_mmio_read(msix, 0, 0, &v), -EINVAL);
    EXPECT(vmsix_msix_mmio_read(msix, UINT64_MAX, 8, &v), -ERANGE);
    EXPECT(vmsix_msix_mmio_read(msix, UINT64_MAX - 2, UINT32_MAX, &v), -ERANGE);
    assert_int_equal(v, 7);
    EXPECT(vmsix_msix_mmio_write(NULL, 0, 4, 0), -EINVAL);
    EXPECT(vmsix_msix_mmio_write(msix, 0, 0, 0), -EINVAL);
    EXPECT(vmsix_msix_mmio_write(msix, UINT64_MAX, 4, 0), -ERANGE);
    EXPECT(vmsix_msix_mmio_write(msix, 0x1000, 4, 0), -ERANGE);
    assert_int_equal(vmsix_msix_ctrl_read(NULL), 0);
    EXPECT(vmsix_msix_ctrl_write(NULL, 0x8000), -EINVAL);
    EXPECT(vmsix_msix_fire(NULL, 0), -EINVAL);
    EXPECT(vmsix_msix_fire(msix, 8), -EINVAL);
    EXPECT(vmsix_msix_fire(msix, 0xffff), -EINVAL);
    EXPECT(vmsix_msix_pending(NULL, 0), -EINVAL);
    EXPECT(vmsix_msix_pending(msix, 8), -EINVAL);
    EXPECT(vmsix_msix_entry(NULL, 0, NULL, NULL), -EINVAL);
    EXPECT(vmsix_msix_entry(msix, 8, NULL, NULL), -EINVAL);
    vmsix_msix_reset(NULL);
    unchanged();
    assert_int_equal(vmsix_msix_save_size(NULL), 0);
    EXPECT(vmsix_msix_save(NULL, snap[0], 4096, &used), -EINVAL);
    EXPECT(vmsix_msix_save(msix, snap[0], 4096, NULL), -EINVAL);
    EXPECT(vmsix_msix_save(msix, NULL, 4096, &used), -EINVAL);
    EXPECT(vmsix_msix_restore(NULL, view, 100), -EINVAL);
    EXPECT(vmsix_msix_restore(msix, NULL, 100), -EINVAL);
    EXPECT(vmsix_msix_restore(msix, view, 0), -EINVAL);
    EXPECT(vmsix_msix_restore(msix, view, SIZE_MAX), -EINVAL);
}

static void test_irte_alloc(void **state)
{
    uint32_t base = 77;

    (void)state;
    assert_int_equal(vmsix_irte_pool_storage_size(0), 0);
    assert_int_equal(vmsix_irte_pool_storage_size(3), 0);
    assert_int_equal(vmsix_irte_pool_storage_size(131072), 0);
    EXPECT(vmsix_irte_pool_init(NULL, 4096, 256, &pool), -EINVAL);
    EXPECT(vmsix_irte_reserve(NULL, 0, 1), -EINVAL);
    EXPECT(vmsix_irte_reserve(pool, UINT32_MAX, 2), -EINVAL);
    EXPECT(vmsix_irte_reserve(pool, 0, 0), -EINVAL);
    EXPECT(vmsix_irte_reserve(pool, 0, UINT32_MAX), -EINVAL);
    EXPECT(vmsix_irte_alloc(NULL, 1, &base), -EINVAL);
    EXPECT(vmsix_irte_alloc(pool, 0, &base), -EINVAL);
    EXPECT(vmsix_irte_alloc(pool, 1, NULL), -EINVAL);
    EXPECT(vmsix_irte_alloc(pool, UINT32_MAX, &base), -ENOSPC);
    assert_int_equal(base, 77);
    EXPECT(vmsix_irte_free(NULL, 0, 1), -EINVAL);
    EXPECT(vmsix_irte_free(pool, 0, 1), -EINVAL);
    EXPECT(vmsix_irte_free(pool, UINT32_MAX, UINT32_MAX), -EINVAL);
    EXPECT(vmsix_irte_free(pool, 0, 0), -EINVAL);
    assert_int_equal(vmsix_irte_free_count(NULL), 0);
    assert_int_equal(vmsix_irte_largest_free(NULL), 0);
    EXPECT(vmsix_irte_pool_set_lock(NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_vtd(void **state)
{
    uint64_t out[2] = {1, 2}, in[2] = {0, 0};
    struct vmsix_vtd_irte f;
    struct vmsix_vtd_result r;
    struct vmsix_msg m = {0xfee00010, 0};
    struct vmsix_remap rb;
    uint32_t field;

    (void)state;
    memset(&f, 0, sizeof(f));
    EXPECT(vmsix_vtd_irte_encode(NULL, out), -EINVAL);
    EXPECT(vmsix_vtd_irte_encode(&f, NULL), -EINVAL);
    f.delivery = 7;
    EXPECT(vmsix_vtd_irte_encode(&f, out), -EINVAL);
    assert_int_equal(out[0], 1); /* untouched */
    EXPECT(vmsix_vtd_irte_decode(NULL, &f), -EINVAL);
    EXPECT(vmsix_vtd_irte_decode(in, NULL), -EINVAL);
    EXPECT(vmsix_vtd_dest_place(false, 0x100, &field), -EINVAL);
    EXPECT(vmsix_vtd_dest_place(false, 1, NULL), -EINVAL);
    EXPECT(vmsix_vtd_sv_rid(NULL, 0), -EINVAL);
    EXPECT(vmsix_vtd_sv_bus_range(&f, 9, 8), -EINVAL);
    EXPECT(vmsix_vtd_sv_bus_range(NULL, 1, 8), -EINVAL);
    vmsix_vtd_msi_compose(0, NULL);
    EXPECT(vmsix_vtd_iec_index(65536, 0, out), -EINVAL);
    EXPECT(vmsix_vtd_iec_index(1, 1, out), -EINVAL);
    EXPECT(vmsix_vtd_iec_index(0, 0, NULL), -EINVAL);
    vmsix_vtd_iec_global(NULL);
    EXPECT(vmsix_vtd_unit_init(NULL, 4096, NULL, &vops, NULL, &unit), -EINVAL);
    memset(&f, 0, sizeof(f));
    EXPECT(vmsix_vtd_irte_write(NULL, 0, &f, 0), -EINVAL);
    EXPECT(vmsix_vtd_irte_write(unit, 0, NULL, 0), -EINVAL);
    EXPECT(vmsix_vtd_irte_write(unit, 256, &f, 0), -EINVAL);
    EXPECT(vmsix_vtd_irte_write(unit, 0, &f, 0), -EINVAL); /* not present */
    EXPECT(vmsix_vtd_irte_clear(NULL, 0), -EINVAL);
    EXPECT(vmsix_vtd_irte_clear(unit, 256), -EINVAL);
    EXPECT(vmsix_vtd_irte_read(NULL, 0, out), -EINVAL);
    EXPECT(vmsix_vtd_irte_read(unit, UINT32_MAX, out), -EINVAL);
    EXPECT(vmsix_vtd_invalidate(NULL, 0, 1), -EINVAL);
    EXPECT(vmsix_vtd_invalidate(unit, 0, 0), -EINVAL);
    EXPECT(vmsix_vtd_invalidate(unit, 255, 2), -EINVAL);
    EXPECT(vmsix_vtd_invalidate(unit, UINT32_MAX, UINT32_MAX), -EINVAL);
    EXPECT(vmsix_vtd_remap(NULL, 0, &m, &r), -EINVAL);
    EXPECT(vmsix_vtd_remap(unit, 0, NULL, &r), -EINVAL);
    EXPECT(vmsix_vtd_remap(unit, 0, &m, NULL), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(NULL, pool, 0, &rb), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, NULL, 0, &rb), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, pool, 0, NULL), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, pool, ~0u, &rb), -EINVAL);
}

static void test_msix_on_msi(void **state)
{
    struct vmsix_eligibility e;
    uint8_t out[4096];
    struct vmsix_dev_params dp;
    struct vmsix_dev_state st;
    uint32_t v;
    uint64_t v64;
    size_t used;

    (void)state;
    assert_null(vmsix_elig_reason_name(0));
    assert_null(vmsix_elig_reason_name(~0u));
    EXPECT(vmsix_dev_check(NULL, 256, &e), -EINVAL);
    EXPECT(vmsix_dev_check(view, 63, &e), -EINVAL);
    EXPECT(vmsix_dev_check(view, 256, NULL), -EINVAL);
    EXPECT(vmsix_dev_virtual_cfg(NULL, 256, NULL, out, 256), -EINVAL);
    EXPECT(vmsix_dev_virtual_cfg(view, 256, NULL, NULL, 256), -EINVAL);
    EXPECT(vmsix_dev_virtual_cfg(view, 256, NULL, out, 4097), -EINVAL);
    EXPECT(vmsix_dev_virtual_cfg(view, 256, NULL, out, 0), -EINVAL);
    memset(&dp, 0, sizeof(dp));
    EXPECT(vmsix_dev_init(NULL, 0, &dp, NULL, NULL, NULL), -EINVAL);
    EXPECT(vmsix_dev_init(snap[0], sizeof(snap[0]), &dp, NULL, NULL, NULL), -EINVAL);
    v = 0;
    EXPECT(vmsix_dev_cfg_read(NULL, 0, 4, &v), -EINVAL);
    assert_int_equal(v, 0xffffffffu);
    EXPECT(vmsix_dev_cfg_write(NULL, 0, 4, 0), -EINVAL);
    EXPECT(vmsix_dev_mmio_read(NULL, 0, 4, &v64), -EINVAL);
    EXPECT(vmsix_dev_mmio_write(NULL, 0, 4, 0), -EINVAL);
    EXPECT(vmsix_dev_irq(NULL, 0), -EINVAL);
    EXPECT(vmsix_dev_reset(NULL), -EINVAL);
    EXPECT(vmsix_dev_teardown(NULL), -EINVAL);
    assert_null(vmsix_dev_cfgspace(NULL));
    EXPECT(vmsix_dev_get_state(NULL, &st), -EINVAL);
    assert_int_equal(vmsix_dev_save_size(NULL), 0);
    EXPECT(vmsix_dev_save(NULL, out, sizeof(out), &used), -EINVAL);
    EXPECT(vmsix_dev_restore(NULL, out, 100), -EINVAL);
    assert_non_null(vmsix_version());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_capchain, setup),
        cmocka_unit_test_setup(test_cfgspace, setup),
        cmocka_unit_test_setup(test_msix_table, setup),
        cmocka_unit_test_setup(test_irte_alloc, setup),
        cmocka_unit_test_setup(test_vtd, setup),
        cmocka_unit_test_setup(test_msix_on_msi, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
