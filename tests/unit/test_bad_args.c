/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bad-argument sweep: every public function called with NULL pointers,
 * zero and maximal sizes, out-of-range vectors, indexes and offsets. Each
 * call must return its documented negative errno (or the documented value
 * for functions that return no error) and leave every object byte for byte
 * as it was. Then objects in every lifecycle state: storage that no init
 * made into an object (never initialized, or left by a failed init), and a
 * device after its teardown.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vmsix/vmsix.h>

#include "simfn.h"

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

/* An AMD-Vi unit with one table (DeviceID 0x10, with a pool) and its backend. */
#define AMD_DEVID 0x10u
static unsigned char amd_mem[2048] __attribute__((aligned(16)));
static unsigned char amd_snap[2048];
static uint64_t amd_dev_table[128 * 4] __attribute__((aligned(4096)));
static uint32_t amd_table[512] __attribute__((aligned(128)));
static unsigned char amd_pool_mem[4096] __attribute__((aligned(16)));
static struct vmsix_amdvi_unit *amd;
static struct vmsix_irte_pool *amd_pool;
static struct vmsix_remap amd_be;

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
static const struct vmsix_msix_ops mops = {sizeof(struct vmsix_msix_ops), nop_deliver, nop_update,
                                           NULL};
static const struct vmsix_vtd_ops vops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = nop_inval,
};
static int nop_cmd(void *c, const uint64_t cmd[2])
{
    (void)c;
    (void)cmd;
    return 0;
}
static const struct vmsix_amdvi_ops aops = {
    .size = sizeof(struct vmsix_amdvi_ops),
    .command = nop_cmd,
};

static int setup(void **state)
{
    struct vmsix_msix_params mp = {8, 0, 0x800, 0};
    struct vmsix_vtd_params vp;
    struct vmsix_amdvi_params ap;

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
    memset(&ap, 0, sizeof(ap));
    memset(amd_dev_table, 0, sizeof(amd_dev_table));
    memset(amd_table, 0, sizeof(amd_table));
    ap.dev_table = amd_dev_table;
    ap.ndte = 128;
    ap.nentries = 512;
    ap.max_tables = 2;
    assert_int_equal(vmsix_amdvi_unit_init(amd_mem, sizeof(amd_mem), &ap, &aops, NULL, &amd), 0);
    assert_int_equal(vmsix_irte_pool_init(amd_pool_mem, sizeof(amd_pool_mem), 512, &amd_pool), 0);
    assert_int_equal(
        vmsix_amdvi_table_add(amd, AMD_DEVID, amd_table, (uintptr_t)amd_table, amd_pool), 0);
    assert_int_equal(vmsix_amdvi_remap_init(amd, 0, &amd_be), 0);
    memcpy(amd_snap, amd_mem, sizeof(amd_mem));
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
    assert_memory_equal(amd_snap, amd_mem, sizeof(amd_mem));
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(amd_table[i], 0);
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
    static const struct vmsix_cfg_field_ops fo = {sizeof(struct vmsix_cfg_field_ops), NULL, NULL};

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
    const struct vmsix_cfg_reg reg = {0, 2, 0xffff, 0, 0, 0, &fo};
    EXPECT(vmsix_cfg_regs_add(NULL, 0x40, &reg, 1, NULL), -EINVAL);
    EXPECT(vmsix_cfg_regs_add(cfg, 0x40, NULL, 1, NULL), -EINVAL);
    EXPECT(vmsix_cfg_regs_add(cfg, 0xffff, &reg, 1, NULL), -EINVAL);
    EXPECT(vmsix_cfg_regs_add(cfg, 0x40, &reg, SIZE_MAX, NULL), -EINVAL); /* reads only one */
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
    EXPECT(vmsix_vtd_resolve(NULL, 0, &m, &r), -EINVAL);
    EXPECT(vmsix_vtd_resolve(unit, 0, NULL, &r), -EINVAL);
    EXPECT(vmsix_vtd_resolve(unit, 0, &m, NULL), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(NULL, pool, 0, &rb), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, NULL, 0, &rb), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, pool, 0, NULL), -EINVAL);
    EXPECT(vmsix_vtd_remap_init(unit, pool, ~0u, &rb), -EINVAL);
}

static void test_bar_layout(void **state)
{
    struct vmsix_bar_layout_params lp;
    struct vmsix_bar_reloc_params rp;
    struct vmsix_bar_reloc r;
    struct vmsix_bar_range out[VMSIX_BAR_LAYOUT_MAX_RANGES];
    uint64_t sizes[6] = {0};

    (void)state;
    memset(&lp, 0, sizeof(lp));
    EXPECT(vmsix_bar_layout_compute(NULL, out, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL), -EINVAL);
    EXPECT(vmsix_bar_layout_compute(&lp, out, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL), -EINVAL);
    lp.bar_size = UINT64_MAX;
    lp.page_size = UINT64_MAX;
    lp.table_off = UINT64_MAX - 7;
    lp.pba_off = UINT64_MAX - 7;
    lp.nvec = UINT32_MAX;
    lp.flags = UINT32_MAX;
    EXPECT(vmsix_bar_layout_compute(&lp, out, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL), -EINVAL);
    lp.bar_size = UINT64_C(1) << 63;
    lp.page_size = UINT64_C(1) << 63;
    lp.nvec = 2048;
    lp.flags = 0;
    EXPECT(vmsix_bar_layout_compute(&lp, out, VMSIX_BAR_LAYOUT_MAX_RANGES, NULL), -EINVAL);
    lp.table_off = 0;
    lp.pba_off = VMSIX_BAR_LAYOUT_ABSENT;
    EXPECT(vmsix_bar_layout_compute(&lp, out, 0, NULL), -ENOSPC);

    memset(&rp, 0, sizeof(rp));
    EXPECT(vmsix_bar_layout_relocate(NULL, &r, NULL, 0, NULL, 0), -EINVAL);
    EXPECT(vmsix_bar_layout_relocate(&rp, &r, NULL, 0, NULL, 0), -EINVAL);
    rp.cfg = view;
    rp.len = sizeof(view);
    rp.sizes = sizes;
    rp.page_size = 4096;
    rp.nvec = 1;
    rp.target = 0xfe;
    rp.dev_table_bar = 0xfe;
    EXPECT(vmsix_bar_layout_relocate(&rp, &r, out, VMSIX_BAR_LAYOUT_MAX_RANGES, out,
                                     VMSIX_BAR_LAYOUT_MAX_RANGES),
           -EINVAL);
    rp.target = VMSIX_BAR_RELOC_AUTO;
    rp.dev_table_bar = VMSIX_BAR_RELOC_NO_TABLE;
    EXPECT(vmsix_bar_layout_relocate(&rp, NULL, NULL, 0, NULL, 0), -EINVAL);
    rp.len = 63;
    EXPECT(vmsix_bar_layout_relocate(&rp, &r, NULL, 0, NULL, 0), -EINVAL);
}

static void test_amdvi(void **state)
{
    uint64_t out[2] = {1, 2}, in[2] = {0, 0};
    uint32_t w = 1;
    struct vmsix_amdvi_irte f;
    struct vmsix_amdvi_dte_intr d;
    struct vmsix_amdvi_result r;
    struct vmsix_msg m = {0xfee00000, 0};
    struct vmsix_remap rb;
    struct vmsix_amdvi_unit *u2 = NULL;

    (void)state;
    memset(&f, 0, sizeof(f));
    memset(&d, 0, sizeof(d));
    EXPECT(vmsix_amdvi_irte32_encode(NULL, &w), -EINVAL);
    EXPECT(vmsix_amdvi_irte32_encode(&f, NULL), -EINVAL);
    f.int_type = 7;
    EXPECT(vmsix_amdvi_irte32_encode(&f, &w), -EINVAL);
    EXPECT(vmsix_amdvi_irte128_encode(&f, out), -EINVAL);
    assert_int_equal(w, 1); /* untouched */
    assert_int_equal(out[0], 1);
    EXPECT(vmsix_amdvi_irte128_encode(NULL, out), -EINVAL);
    EXPECT(vmsix_amdvi_irte128_encode(&f, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_irte32_decode(0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_irte128_decode(NULL, &f), -EINVAL);
    EXPECT(vmsix_amdvi_irte128_decode(in, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_dte_intr_encode(NULL, out), -EINVAL);
    EXPECT(vmsix_amdvi_dte_intr_encode(&d, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_dte_intr_decode(0, NULL), -EINVAL);
    vmsix_amdvi_cmd_inv_int_table(0, NULL);
    EXPECT(vmsix_amdvi_cmd_completion_wait(0, 0, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_cmd_completion_wait(~0u, 0, 0, out), -EINVAL);
    EXPECT(vmsix_amdvi_msi_compose(0, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_msi_compose(UINT32_MAX, ~0u, &m), -EINVAL);
    assert_int_equal(vmsix_amdvi_unit_storage_size(0), 0);
    assert_int_equal(vmsix_amdvi_unit_storage_size(UINT32_MAX), 0);
    EXPECT(vmsix_amdvi_unit_init(NULL, 4096, NULL, &aops, NULL, &u2), -EINVAL);
    memset(&f, 0, sizeof(f));
    EXPECT(vmsix_amdvi_table_add(NULL, 1, amd_table, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_table_add(amd, 0xffff, amd_table, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_table_add(amd, AMD_DEVID, amd_table, 0, NULL), -EBUSY);
    EXPECT(vmsix_amdvi_table_remove(NULL, AMD_DEVID), -EINVAL);
    EXPECT(vmsix_amdvi_table_remove(amd, 0xffff), -ENOENT);
    EXPECT(vmsix_amdvi_irte_write(NULL, AMD_DEVID, 0, &f, 0), -EINVAL);
    EXPECT(vmsix_amdvi_irte_write(amd, AMD_DEVID, 0, NULL, 0), -EINVAL);
    EXPECT(vmsix_amdvi_irte_write(amd, AMD_DEVID, 512, &f, 0), -EINVAL);
    EXPECT(vmsix_amdvi_irte_write(amd, AMD_DEVID, 0, &f, 0), -EINVAL); /* not remapped */
    EXPECT(vmsix_amdvi_irte_write(amd, AMD_DEVID, UINT32_MAX, &f, ~0u), -EINVAL);
    EXPECT(vmsix_amdvi_irte_clear(NULL, AMD_DEVID, 0), -EINVAL);
    EXPECT(vmsix_amdvi_irte_clear(amd, AMD_DEVID, 512), -EINVAL);
    EXPECT(vmsix_amdvi_irte_clear(amd, 0xffff, 0), -ENOENT);
    EXPECT(vmsix_amdvi_irte_read(NULL, AMD_DEVID, 0, out), -EINVAL);
    EXPECT(vmsix_amdvi_irte_read(amd, AMD_DEVID, UINT32_MAX, out), -EINVAL);
    EXPECT(vmsix_amdvi_irte_read(amd, AMD_DEVID, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_invalidate(NULL, AMD_DEVID, 0, 1), -EINVAL);
    EXPECT(vmsix_amdvi_invalidate(amd, AMD_DEVID, 0, 0), -EINVAL);
    EXPECT(vmsix_amdvi_invalidate(amd, AMD_DEVID, 511, 2), -EINVAL);
    EXPECT(vmsix_amdvi_invalidate(amd, AMD_DEVID, UINT32_MAX, UINT32_MAX), -EINVAL);
    EXPECT(vmsix_amdvi_resolve(NULL, AMD_DEVID, &m, &r), -EINVAL);
    EXPECT(vmsix_amdvi_resolve(amd, AMD_DEVID, NULL, &r), -EINVAL);
    EXPECT(vmsix_amdvi_resolve(amd, AMD_DEVID, &m, NULL), -EINVAL);
    m.addr = UINT64_MAX;
    EXPECT(vmsix_amdvi_resolve(amd, AMD_DEVID, &m, &r), -EINVAL);
    EXPECT(vmsix_amdvi_remap_init(NULL, 0, &rb), -EINVAL);
    EXPECT(vmsix_amdvi_remap_init(amd, 0, NULL), -EINVAL);
    EXPECT(vmsix_amdvi_remap_init(amd, ~0u, &rb), -EINVAL);
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
    EXPECT(vmsix_msix_on_msi_check(NULL, 256, &e), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check(view, 63, &e), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check(view, 256, NULL), -EINVAL);
    EXPECT(vmsix_msix_on_msi_view(NULL, 256, NULL, out, 256), -EINVAL);
    EXPECT(vmsix_msix_on_msi_view(view, 256, NULL, NULL, 256), -EINVAL);
    EXPECT(vmsix_msix_on_msi_view(view, 256, NULL, out, 4097), -EINVAL);
    EXPECT(vmsix_msix_on_msi_view(view, 256, NULL, out, 0), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check_masking(NULL, 256, VMSIX_MASKING_SOFTWARE, &e), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check_masking(view, 63, VMSIX_MASKING_SOFTWARE, &e), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check_masking(view, 256, VMSIX_MASKING_SOFTWARE, NULL), -EINVAL);
    EXPECT(vmsix_msix_on_msi_check_masking(view, 256, 2, &e), -EINVAL);
    EXPECT(vmsix_msix_on_msi_view_masking(NULL, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 256),
           -EINVAL);
    EXPECT(vmsix_msix_on_msi_view_masking(view, 256, VMSIX_MASKING_SOFTWARE, NULL, NULL, 256),
           -EINVAL);
    EXPECT(vmsix_msix_on_msi_view_masking(view, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 4097),
           -EINVAL);
    EXPECT(vmsix_msix_on_msi_view_masking(view, 256, VMSIX_MASKING_SOFTWARE, NULL, out, 0),
           -EINVAL);
    EXPECT(vmsix_msix_on_msi_view_masking(view, 256, ~0u, NULL, out, 256), -EINVAL);
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

/* ---- objects in every lifecycle state ----
 *
 * Objects live in caller storage. A pointer to storage that no successful
 * *_init() made into an object (never initialized: all zero bytes or
 * garbage; or left by an init that failed) must be refused by every
 * function that takes the object, with the refusal documented for a NULL
 * object, without writing the storage and without calling a hook. So must
 * every bad argument to a device after its teardown (which leaves it in the
 * reset state, its backend's pool whole). */

static unsigned long hook_calls; /* every hook below counts here */

static void cnt_deliver(void *c, uint16_t v, const struct vmsix_msg *m)
{
    (void)c;
    (void)v;
    (void)m;
    hook_calls++;
}
static int cnt_update(void *c, uint16_t v, const struct vmsix_msg *m, bool a)
{
    (void)c;
    (void)v;
    (void)m;
    (void)a;
    hook_calls++;
    return 0;
}
static uint64_t cnt_poll(void *c, uint16_t first, unsigned count)
{
    (void)c;
    (void)first;
    (void)count;
    hook_calls++;
    return 0;
}
static int cnt_pt_read(void *c, uint16_t off, unsigned size, uint32_t *val)
{
    (void)c;
    (void)off;
    (void)size;
    hook_calls++;
    *val = 0;
    return 0;
}
static int cnt_pt_write(void *c, uint16_t off, unsigned size, uint32_t val, uint32_t mask)
{
    (void)c;
    (void)off;
    (void)size;
    (void)val;
    (void)mask;
    hook_calls++;
    return 0;
}
static int cnt_field_read(void *c, uint16_t off, unsigned len, uint32_t *val)
{
    (void)c;
    (void)off;
    (void)len;
    (void)val;
    hook_calls++;
    return 0;
}
static int cnt_field_write(void *c, uint16_t off, unsigned len, uint32_t old, uint32_t val)
{
    (void)c;
    (void)off;
    (void)len;
    (void)old;
    (void)val;
    hook_calls++;
    return 0;
}
static void cnt_bar_moved(void *c, unsigned bar, uint64_t addr)
{
    (void)c;
    (void)bar;
    (void)addr;
    hook_calls++;
}
static void cnt_lock(void *c)
{
    (void)c;
    hook_calls++;
}
static int cnt_inval(void *c, const uint64_t d[2])
{
    (void)c;
    (void)d;
    hook_calls++;
    return 0;
}

static const struct vmsix_msix_ops cnt_mops = {sizeof(struct vmsix_msix_ops), cnt_deliver,
                                               cnt_update, cnt_poll};
static const struct vmsix_cfg_ops cnt_cfg_ops = {sizeof(struct vmsix_cfg_ops), cnt_pt_read,
                                                 cnt_pt_write};
static const struct vmsix_cfg_field_ops cnt_field_ops = {sizeof(struct vmsix_cfg_field_ops),
                                                         cnt_field_read, cnt_field_write};
static const struct vmsix_vtd_ops cnt_vops = {
    .size = sizeof(struct vmsix_vtd_ops),
    .invalidate = cnt_inval,
};

/* The device world of tests/common/dev_world.h: a simulated function with
 * 8 MSI vectors (world_init(3, true)), a VT-d unit and its pool behind a
 * counting backend, a device over them. */
#define DW_FAIL(...) fail_msg(__VA_ARGS__)
#include "dev_world.h"

/* Valid arguments for the calls of the tables. */
static uint32_t lc_v32;
static uint64_t lc_v64;
static size_t lc_used;
static uint64_t lc_q[2];
static struct vmsix_msg lc_msg;
static struct vmsix_capchain lc_chain;
static struct vmsix_vtd_irte lc_irte;
static struct vmsix_vtd_result lc_res;
static struct vmsix_amdvi_irte lc_airte;
static struct vmsix_amdvi_result lc_ares;
static struct vmsix_remap_source lc_asrc = {AMD_DEVID, VMSIX_REMAP_SRC_RID, 0};
static struct vmsix_remap_block lc_ablk;
static struct vmsix_remap lc_rb;
static struct vmsix_remap_caps lc_caps;
static struct vmsix_remap_source lc_src = {RID, VMSIX_REMAP_SRC_RID, 0};
static struct vmsix_remap_block lc_blk;
static struct vmsix_remap_target lc_target;
static struct vmsix_dev_state lc_state;
static unsigned char lc_buf[8192] __attribute__((aligned(8)));
static unsigned char lc_msix_saved[1024];
static size_t lc_msix_saved_len;
static unsigned char lc_dev_saved[1024];
static size_t lc_dev_saved_len;
static unsigned char lc_dev_corrupt[1024];
static const struct vmsix_cfg_reg lc_regs[2] = {
    {0x00, 4, 0xffff0000u, 0, 0x0000ff00u, 0x000000ffu, NULL},
    {0x04, 2, 0xffff, 0, 0, 0, &cnt_field_ops},
};

/* The valid arguments: a parsed chain, a saved table and device state, an
 * entry, a block of the world's backend. */
static void lc_args(void)
{
    world_init(3, true);
    assert_int_equal(vmsix_capchain_parse(view, 256, &lc_chain), 0);
    assert_int_equal(vmsix_msix_save(msix, lc_msix_saved, sizeof(lc_msix_saved), &lc_used), 0);
    lc_msix_saved_len = lc_used;
    assert_int_equal(vmsix_dev_save(W.dev, lc_dev_saved, sizeof(lc_dev_saved), &lc_used), 0);
    lc_dev_saved_len = lc_used;
    memcpy(lc_dev_corrupt, lc_dev_saved, lc_dev_saved_len);
    lc_dev_corrupt[8] ^= 1; /* the MSI offset: the CRC no longer matches */
    memset(&lc_irte, 0, sizeof(lc_irte));
    lc_irte.present = true;
    lc_irte.vector = 0x40;
    lc_irte.sid = RID;
    lc_irte.svt = VMSIX_VTD_SVT_RID;
    lc_msg.addr = 0xfee00010u; /* remappable, handle 0 */
    lc_msg.data = 0;
    memset(&lc_target, 0, sizeof(lc_target));
    lc_target.vector = 0x40;
    assert_int_equal(W.vtd.ops->reserve(W.vtd.ctx, &lc_src, 8, 8, &lc_blk), 0);
    memset(&lc_airte, 0, sizeof(lc_airte));
    lc_airte.remap_en = true;
    lc_airte.vector = 0x40;
    /* (setup made the AMD-Vi unit and its pool anew) */
    assert_int_equal(amd_be.ops->reserve(amd_be.ctx, &lc_asrc, 8, 8, &lc_ablk), 0);
    W.pool_free0 = dw_free_count(); /* the pool before the device's first setup */
}

struct lc_call {
    const char *name;
    long (*call)(void *o);
    long want;
};

#define LC_DEFINE(id, want, expr)                                                                  \
    static long lc_##id(void *o)                                                                   \
    {                                                                                              \
        return (long)(expr);                                                                       \
    }
#define LC_ROW(id, want, expr) {#id, lc_##id, want},

/* A refused read also reads all ones (as documented for a NULL object). */
static long cfg_read_ones(void *o)
{
    int rc;

    lc_v32 = 0;
    rc = vmsix_cfg_read(o, 0x40, 4, &lc_v32);
    return rc == 0 || lc_v32 == 0xffffffffu ? rc : 1;
}
static long dev_cfg_read_ones(void *o, uint16_t off, unsigned size)
{
    int rc;

    lc_v32 = 0;
    rc = vmsix_dev_cfg_read(o, off, size, &lc_v32);
    return rc == 0 || lc_v32 == 0xffffffffu ? rc : 1;
}

/* Every function that takes the object, with otherwise valid arguments,
 * and its refusal. */
#define CFG_CALLS(X)                                                                               \
    X(cfg_load, -EINVAL, vmsix_cfg_load(o, view, 64))                                              \
    X(cfg_set_attr, -EINVAL, vmsix_cfg_set_attr(o, 0x40, 2, 0xffff, VMSIX_CFG_RW))                 \
    X(cfg_set_range, -EINVAL, vmsix_cfg_set_range(o, 0x40, 16, VMSIX_CFG_RW | VMSIX_CFG_PT))       \
    X(cfg_poke, -EINVAL, vmsix_cfg_poke(o, 0x40, 4, 0x12345678))                                   \
    X(cfg_peek, -EINVAL, vmsix_cfg_peek(o, 0x40, 4, &lc_v32))                                      \
    X(cfg_field_add, -EINVAL, vmsix_cfg_field_add(o, 0x44, 2, &cnt_field_ops, NULL))               \
    X(cfg_regs_add, -EINVAL, vmsix_cfg_regs_add(o, 0x40, lc_regs, 2, NULL))                        \
    X(cfg_read, -EINVAL, cfg_read_ones(o))                                                         \
    X(cfg_write, -EINVAL, vmsix_cfg_write(o, 0x40, 4, 0xffffffffu))                                \
    X(cfg_protect_caps, -EINVAL, vmsix_cfg_protect_caps(o, &lc_chain))                             \
    X(cfg_bar_emulate, -EINVAL,                                                                    \
      vmsix_cfg_bar_emulate(o, 2, 4096, VMSIX_BAR_MEM32, cnt_bar_moved, NULL))                     \
    X(cfg_bar_addr, -EINVAL, vmsix_cfg_bar_addr(o, 2, &lc_v64))

#define MSIX_CALLS(X)                                                                              \
    X(msix_mmio_read, -EINVAL, vmsix_msix_mmio_read(o, 0, 4, &lc_v64))                             \
    X(msix_mmio_write, -EINVAL, vmsix_msix_mmio_write(o, 0, 4, 0xfee00000u))                       \
    X(msix_ctrl_read, 0, vmsix_msix_ctrl_read(o))                                                  \
    X(msix_ctrl_write, -EINVAL, vmsix_msix_ctrl_write(o, VMSIX_MSIX_CTRL_ENABLE))                  \
    X(msix_fire, -EINVAL, vmsix_msix_fire(o, 0))                                                   \
    X(msix_pending, -EINVAL, vmsix_msix_pending(o, 0))                                             \
    X(msix_entry, -EINVAL, vmsix_msix_entry(o, 0, &lc_msg, &lc_v32))                               \
    X(msix_reset, 0, (vmsix_msix_reset(o), 0))                                                     \
    X(msix_save_size, 0, vmsix_msix_save_size(o))                                                  \
    X(msix_save, -EINVAL, vmsix_msix_save(o, lc_buf, sizeof(lc_buf), &lc_used))                    \
    X(msix_restore, -EINVAL, vmsix_msix_restore(o, lc_msix_saved, lc_msix_saved_len))

#define POOL_CALLS(X)                                                                              \
    X(irte_pool_set_lock, -EINVAL, vmsix_irte_pool_set_lock(o, cnt_lock, cnt_lock, NULL))          \
    X(irte_reserve, -EINVAL, vmsix_irte_reserve(o, 0, 1))                                          \
    X(irte_alloc, -EINVAL, vmsix_irte_alloc(o, 1, &lc_v32))                                        \
    X(irte_alloc8, -EINVAL, vmsix_irte_alloc(o, 8, &lc_v32))                                       \
    X(irte_free, -EINVAL, vmsix_irte_free(o, 0, 1))                                                \
    X(irte_free_count, 0, vmsix_irte_free_count(o))                                                \
    X(irte_largest_free, 0, vmsix_irte_largest_free(o))                                            \
    X(vtd_remap_init_pool, -EINVAL, vmsix_vtd_remap_init(unit, o, 0, &lc_rb))

#define UNIT_CALLS(X)                                                                              \
    X(vtd_irte_write, -EINVAL, vmsix_vtd_irte_write(o, 0, &lc_irte, 0))                            \
    X(vtd_irte_clear, -EINVAL, vmsix_vtd_irte_clear(o, 0))                                         \
    X(vtd_irte_read, -EINVAL, vmsix_vtd_irte_read(o, 0, lc_q))                                     \
    X(vtd_invalidate, -EINVAL, vmsix_vtd_invalidate(o, 0, 1))                                      \
    X(vtd_resolve, -EINVAL, vmsix_vtd_resolve(o, RID, &lc_msg, &lc_res))                           \
    X(vtd_remap_init, -EINVAL, vmsix_vtd_remap_init(o, pool, 0, &lc_rb))                           \
    X(vtd_be_caps, -EINVAL, W.vtd.ops->caps(o, &lc_caps))                                          \
    X(vtd_be_reserve, -EINVAL, W.vtd.ops->reserve(o, &lc_src, 8, 8, &lc_blk))                      \
    X(vtd_be_release, -EINVAL, W.vtd.ops->release(o, &lc_blk))                                     \
    X(vtd_be_program, -EINVAL, W.vtd.ops->program(o, &lc_blk, 0, &lc_target, 0))                   \
    X(vtd_be_clear, -EINVAL, W.vtd.ops->clear(o, &lc_blk, 0))                                      \
    X(vtd_be_invalidate, -EINVAL, W.vtd.ops->invalidate(o, &lc_blk, 0, 1))                         \
    X(vtd_be_compose, -EINVAL, W.vtd.ops->compose(o, &lc_blk, &lc_msg))

#define AMDVI_UNIT_CALLS(X)                                                                        \
    X(amdvi_table_add, -EINVAL, vmsix_amdvi_table_add(o, 1, amd_table, 0, NULL))                   \
    X(amdvi_table_remove, -EINVAL, vmsix_amdvi_table_remove(o, AMD_DEVID))                         \
    X(amdvi_irte_write, -EINVAL, vmsix_amdvi_irte_write(o, AMD_DEVID, 0, &lc_airte, 0))            \
    X(amdvi_irte_clear, -EINVAL, vmsix_amdvi_irte_clear(o, AMD_DEVID, 0))                          \
    X(amdvi_irte_read, -EINVAL, vmsix_amdvi_irte_read(o, AMD_DEVID, 0, lc_q))                      \
    X(amdvi_invalidate, -EINVAL, vmsix_amdvi_invalidate(o, AMD_DEVID, 0, 1))                       \
    X(amdvi_resolve, -EINVAL, vmsix_amdvi_resolve(o, AMD_DEVID, &lc_msg, &lc_ares))                \
    X(amdvi_remap_init, -EINVAL, vmsix_amdvi_remap_init(o, 0, &lc_rb))                             \
    X(amdvi_be_caps, -EINVAL, amd_be.ops->caps(o, &lc_caps))                                       \
    X(amdvi_be_reserve, -EINVAL, amd_be.ops->reserve(o, &lc_asrc, 8, 8, &lc_blk))                  \
    X(amdvi_be_release, -EINVAL, amd_be.ops->release(o, &lc_ablk))                                 \
    X(amdvi_be_program, -EINVAL, amd_be.ops->program(o, &lc_ablk, 0, &lc_target, 0))               \
    X(amdvi_be_clear, -EINVAL, amd_be.ops->clear(o, &lc_ablk, 0))                                  \
    X(amdvi_be_invalidate, -EINVAL, amd_be.ops->invalidate(o, &lc_ablk, 0, 1))                     \
    X(amdvi_be_compose, -EINVAL, amd_be.ops->compose(o, &lc_ablk, &lc_msg))

#define DEV_CALLS(X)                                                                               \
    X(dev_cfg_read, -EINVAL, dev_cfg_read_ones(o, 0, 4))                                           \
    X(dev_cfg_write, -EINVAL, vmsix_dev_cfg_write(o, 0x04, 2, 0x0406))                             \
    X(dev_mmio_read, -EINVAL, vmsix_dev_mmio_read(o, 0, 4, &lc_v64))                               \
    X(dev_mmio_write, -EINVAL, vmsix_dev_mmio_write(o, 0, 4, 0xfee00000u))                         \
    X(dev_irq, -EINVAL, vmsix_dev_irq(o, 0))                                                       \
    X(dev_reset, -EINVAL, vmsix_dev_reset(o))                                                      \
    X(dev_teardown, -EINVAL, vmsix_dev_teardown(o))                                                \
    X(dev_cfgspace, 0, vmsix_dev_cfgspace(o) != NULL)                                              \
    X(dev_get_state, -EINVAL, vmsix_dev_get_state(o, &lc_state))                                   \
    X(dev_save_size, 0, vmsix_dev_save_size(o))                                                    \
    X(dev_save, -EINVAL, vmsix_dev_save(o, lc_buf, sizeof(lc_buf), &lc_used))                      \
    X(dev_restore, -EINVAL, vmsix_dev_restore(o, lc_dev_saved, lc_dev_saved_len))

/* Bad arguments to a live device. */
#define DEV_BAD_CALLS(X)                                                                           \
    X(bad_cfg_read_off, -EINVAL, dev_cfg_read_ones(o, 4096, 4))                                    \
    X(bad_cfg_read_max, -EINVAL, dev_cfg_read_ones(o, 0xffff, 1))                                  \
    X(bad_cfg_read_straddle, -EINVAL, dev_cfg_read_ones(o, 2, 4))                                  \
    X(bad_cfg_read_size0, -EINVAL, dev_cfg_read_ones(o, 0, 0))                                     \
    X(bad_cfg_read_size3, -EINVAL, dev_cfg_read_ones(o, 0, 3))                                     \
    X(bad_cfg_read_null, -EINVAL, vmsix_dev_cfg_read(o, 0, 4, NULL))                               \
    X(bad_cfg_write_off, -EINVAL, vmsix_dev_cfg_write(o, 0xffff, 4, 0))                            \
    X(bad_cfg_write_straddle, -EINVAL, vmsix_dev_cfg_write(o, 3, 2, 0))                            \
    X(bad_cfg_write_size0, -EINVAL, vmsix_dev_cfg_write(o, 0x04, 0, 0))                            \
    X(bad_cfg_write_size8, -EINVAL, vmsix_dev_cfg_write(o, 0x04, 8, 0))                            \
    X(bad_mmio_read_null, -EINVAL, vmsix_dev_mmio_read(o, 0, 4, NULL))                             \
    X(bad_mmio_read_size0, -EINVAL, vmsix_dev_mmio_read(o, 0, 0, &lc_v64))                         \
    X(bad_mmio_read_max, -ERANGE, vmsix_dev_mmio_read(o, UINT64_MAX, 8, &lc_v64))                  \
    X(bad_mmio_read_huge, -ERANGE, vmsix_dev_mmio_read(o, UINT64_MAX - 2, UINT32_MAX, &lc_v64))    \
    X(bad_mmio_read_past, -ERANGE, vmsix_dev_mmio_read(o, 4096, 4, &lc_v64))                       \
    X(bad_mmio_write_size0, -EINVAL, vmsix_dev_mmio_write(o, 0, 0, 0))                             \
    X(bad_mmio_write_max, -ERANGE, vmsix_dev_mmio_write(o, UINT64_MAX, 4, 0))                      \
    X(bad_mmio_write_past, -ERANGE, vmsix_dev_mmio_write(o, 0x1000, 4, 0))                         \
    X(bad_irq_nvec, -EINVAL, vmsix_dev_irq(o, 8))                                                  \
    X(bad_irq_max, -EINVAL, vmsix_dev_irq(o, 0xffff))                                              \
    X(bad_get_state_null, -EINVAL, vmsix_dev_get_state(o, NULL))                                   \
    X(bad_save_used_null, -EINVAL, vmsix_dev_save(o, lc_buf, sizeof(lc_buf), NULL))                \
    X(bad_save_buf_null, -EINVAL, vmsix_dev_save(o, NULL, 100, &lc_used))                          \
    X(bad_save_short, -ENOSPC, vmsix_dev_save(o, lc_buf, 0, &lc_used))                             \
    X(bad_restore_null, -EINVAL, vmsix_dev_restore(o, NULL, lc_dev_saved_len))                     \
    X(bad_restore_len0, -EINVAL, vmsix_dev_restore(o, lc_dev_saved, 0))                            \
    X(bad_restore_short, -EINVAL, vmsix_dev_restore(o, lc_dev_saved, lc_dev_saved_len - 1))        \
    X(bad_restore_max, -EINVAL, vmsix_dev_restore(o, lc_dev_saved, SIZE_MAX))                      \
    X(bad_restore_crc, -EINVAL, vmsix_dev_restore(o, lc_dev_corrupt, lc_dev_saved_len))

CFG_CALLS(LC_DEFINE)
MSIX_CALLS(LC_DEFINE)
POOL_CALLS(LC_DEFINE)
UNIT_CALLS(LC_DEFINE)
AMDVI_UNIT_CALLS(LC_DEFINE)
DEV_CALLS(LC_DEFINE)
DEV_BAD_CALLS(LC_DEFINE)

static const struct lc_call cfg_calls[] = {CFG_CALLS(LC_ROW)};
static const struct lc_call msix_calls[] = {MSIX_CALLS(LC_ROW)};
static const struct lc_call pool_calls[] = {POOL_CALLS(LC_ROW)};
static const struct lc_call unit_calls[] = {UNIT_CALLS(LC_ROW)};
static const struct lc_call amdvi_unit_calls[] = {AMDVI_UNIT_CALLS(LC_ROW)};
static const struct lc_call dev_calls[] = {DEV_CALLS(LC_ROW)};
static const struct lc_call dev_bad_calls[] = {DEV_BAD_CALLS(LC_ROW)};

/* An init of each type that fails (on storage filled with 0xA5). */
static int cfg_fail_init(void *mem, size_t len)
{
    struct vmsix_cfg *o;

    (void)len;
    return vmsix_cfg_init(mem, vmsix_cfg_storage_size(256) - 1, 256, &cnt_cfg_ops, NULL, &o);
}
static int msix_fail_init(void *mem, size_t len)
{
    struct vmsix_msix_params mp = {8, 0, 0x40, 0}; /* the PBA overlaps the table */
    struct vmsix_msix *o;

    return vmsix_msix_init(mem, len, &mp, &cnt_mops, NULL, &o);
}
static int pool_fail_init(void *mem, size_t len)
{
    struct vmsix_irte_pool *o;

    (void)len;
    return vmsix_irte_pool_init(mem, vmsix_irte_pool_storage_size(256) - 1, 256, &o);
}
static int unit_fail_init(void *mem, size_t len)
{
    struct vmsix_vtd_params vp;
    struct vmsix_vtd_unit *o;

    memset(&vp, 0, sizeof(vp));
    vp.table = W.table;
    vp.nentries = 3;
    return vmsix_vtd_unit_init(mem, len, &vp, &cnt_vops, NULL, &o);
}
static int cnt_cmd(void *c, const uint64_t cmd[2])
{
    (void)c;
    (void)cmd;
    hook_calls++;
    return 0;
}
static const struct vmsix_amdvi_ops cnt_aops = {
    .size = sizeof(struct vmsix_amdvi_ops),
    .command = cnt_cmd,
};
static int amdvi_unit_fail_init(void *mem, size_t len)
{
    struct vmsix_amdvi_params ap;
    struct vmsix_amdvi_unit *o;

    memset(&ap, 0, sizeof(ap));
    ap.dev_table = amd_dev_table;
    ap.ndte = 128;
    ap.nentries = 3; /* not a power of two */
    ap.max_tables = 2;
    return vmsix_amdvi_unit_init(mem, len, &ap, &cnt_aops, NULL, &o);
}
/* Fails after it wrote the storage (the hooks, what it read). */
static int dev_fail_init(void *mem, size_t len)
{
    struct vmsix_dev_params dp;
    struct vmsix_dev *o;

    memset(&dp, 0, sizeof(dp));
    dp.backend = &W.backend;
    dp.src.id = RID;
    dp.opt.bar_size = 1000; /* not a power of two */
    return vmsix_dev_init(mem, len, &dp, &dev_ops, NULL, &o);
}

static unsigned char lc_mem[65536] __attribute__((aligned(16)));
static unsigned char lc_snap[65536];

/* Run every call of @calls on @obj (whose storage is @len bytes): each must
 * return its refusal, leave the storage as it was, and call no hook.
 * Returns the number of calls that did not. */
static unsigned lc_run(const char *what, void *obj, size_t len, const struct lc_call *calls,
                       size_t n)
{
    unsigned bad = 0;

    for (size_t i = 0; i < n; i++) {
        long rc;
        bool same;

        memcpy(lc_snap, obj, len);
        hook_calls = 0;
        W.hooks = 0; /* the device world's hooks and backend */
        rc = calls[i].call(obj);
        same = memcmp(lc_snap, obj, len) == 0;
        hook_calls += W.hooks;
        if (rc != calls[i].want || !same || hook_calls) {
            print_error("%s: %s returned %ld (want %ld), %lu hook call(s), storage %s\n", what,
                        calls[i].name, rc, calls[i].want, hook_calls,
                        same ? "unchanged" : "CHANGED");
            memcpy(obj, lc_snap, len); /* the next call starts from the same bytes */
            bad++;
        }
    }
    return bad;
}

#define NCALLS(a) (sizeof(a) / sizeof((a)[0]))

/* The @size bytes of storage of an object never initialized (zero,
 * garbage) and after a failed init (@fail_init must return @fail_rc):
 * every call of @calls is refused. */
static void lc_sweep(const char *type, size_t size, const struct lc_call *calls, size_t ncalls,
                     int (*fail_init)(void *mem, size_t len), int fail_rc)
{
    static const struct {
        const char *name;
        int fill;
        bool failed_init;
    } kinds[] = {{"zero", 0x00, false}, {"0xA5", 0xa5, false}, {"failed init", 0xa5, true}};
    char what[80];
    unsigned bad = 0;

    lc_args();
    assert_true(size <= sizeof(lc_mem));
    for (size_t k = 0; k < NCALLS(kinds); k++) {
        memset(lc_mem, kinds[k].fill, sizeof(lc_mem));
        if (kinds[k].failed_init)
            assert_int_equal(fail_init(lc_mem, size), fail_rc);
        snprintf(what, sizeof(what), "%s, %s storage", type, kinds[k].name);
        bad += lc_run(what, lc_mem, size, calls, ncalls);
    }
    assert_int_equal(bad, 0);
}

static void test_lifecycle_cfg(void **state)
{
    (void)state;
    lc_sweep("cfg", vmsix_cfg_storage_size(4096), cfg_calls, NCALLS(cfg_calls), cfg_fail_init,
             -EINVAL);
}

static void test_lifecycle_msix(void **state)
{
    (void)state;
    lc_sweep("msix", vmsix_msix_storage_size(8), msix_calls, NCALLS(msix_calls), msix_fail_init,
             -EINVAL);
}

static void test_lifecycle_pool(void **state)
{
    (void)state;
    lc_sweep("pool", vmsix_irte_pool_storage_size(256), pool_calls, NCALLS(pool_calls),
             pool_fail_init, -EINVAL);
}

static void test_lifecycle_vtd_unit(void **state)
{
    (void)state;
    lc_sweep("vtd unit", vmsix_vtd_unit_storage_size(), unit_calls, NCALLS(unit_calls),
             unit_fail_init, -EINVAL);
}

static void test_lifecycle_amdvi_unit(void **state)
{
    (void)state;
    lc_sweep("amdvi unit", vmsix_amdvi_unit_storage_size(2), amdvi_unit_calls,
             NCALLS(amdvi_unit_calls), amdvi_unit_fail_init, -EINVAL);
}

static void test_lifecycle_dev(void **state)
{
    (void)state;
    lc_sweep("dev", vmsix_dev_storage_size(), dev_calls, NCALLS(dev_calls), dev_fail_init,
             -ENOTSUP);
}

/* What the guest sees: all of configuration space, the table and the PBA. */
struct guest_view {
    uint32_t cfg[1024];
    uint64_t table[8 * 2];
    uint64_t pba;
};

static void guest_view(struct vmsix_dev *d, struct guest_view *g)
{
    for (unsigned i = 0; i < 1024; i++)
        assert_int_equal(vmsix_dev_cfg_read(d, (uint16_t)(4 * i), 4, &g->cfg[i]), 0);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(vmsix_dev_mmio_read(d, 8 * i, 8, &g->table[i]), 0);
    assert_int_equal(vmsix_dev_mmio_read(d, 2048, 8, &g->pba), 0);
}

/* The guest enables MSI-X with vector 3 programmed and unmasked. */
static void guest_enable(struct vmsix_dev *d, uint16_t mc_off)
{
    struct vmsix_dev_state st;

    assert_int_equal(vmsix_dev_mmio_write(d, 3 * 16, 8, guest_addr(0)), 0);
    assert_int_equal(vmsix_dev_mmio_write(d, 3 * 16 + 8, 8, 0x41), 0); /* data, unmasked */
    assert_int_equal(vmsix_dev_cfg_write(d, mc_off, 2, VMSIX_MSIX_CTRL_ENABLE), 0);
    assert_int_equal(vmsix_dev_get_state(d, &st), 0);
    assert_true(st.phys_enabled);
    assert_int_equal(st.active, 1u << 3);
    assert_true(dw_free_count() < W.pool_free0);
    assert_int_equal(vmsix_dev_irq(d, 3), 1); /* injected */
}

static void test_lifecycle_dev_after_teardown(void **state)
{
    static struct guest_view v0, v1;
    static unsigned char pool_snap[sizeof(W.pool_mem)];
    static uint64_t table_snap[NENT * 2];
    struct vmsix_dev_state st;
    size_t len = vmsix_dev_storage_size();
    uint16_t mc_off;
    unsigned bad;

    (void)state;
    lc_args();
    assert_int_equal(vmsix_dev_get_state(W.dev, &st), 0);
    mc_off = (uint16_t)(st.msi_off + 2); /* MSI-X replaced MSI in place */
    guest_view(W.dev, &v0);

    /* bad arguments to a live device: refused, nothing touched */
    guest_enable(W.dev, mc_off);
    memcpy(pool_snap, W.pool_mem, sizeof(pool_snap));
    memcpy(table_snap, W.table, sizeof(table_snap));
    bad = lc_run("live dev", W.dev, len, dev_bad_calls, NCALLS(dev_bad_calls));
    assert_int_equal(bad, 0);
    assert_memory_equal(pool_snap, W.pool_mem, sizeof(pool_snap));
    assert_memory_equal(table_snap, W.table, sizeof(table_snap));
    check_invariants("bad arguments to a live device");

    /* teardown ends the device and gives everything back */
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(dw_free_count(), W.pool_free0);
    assert_true(dw_tables_zero());

    /* every later call refuses it as storage never initialized: nothing
     * is written, no hook is called (a second teardown included) */
    memcpy(pool_snap, W.pool_mem, sizeof(pool_snap));
    memcpy(table_snap, W.table, sizeof(table_snap));
    bad = lc_run("dev after teardown", W.dev, len, dev_calls, NCALLS(dev_calls));
    assert_int_equal(bad, 0);
    assert_memory_equal(pool_snap, W.pool_mem, sizeof(pool_snap));
    assert_memory_equal(table_snap, W.table, sizeof(table_snap));
    assert_int_equal(dw_free_count(), W.pool_free0);

    /* the storage serves a new device, which starts in the reset view */
    dw_make_dev();
    guest_view(W.dev, &v1);
    assert_memory_equal(&v0, &v1, sizeof(v0));
    guest_enable(W.dev, mc_off);
    assert_int_equal(vmsix_dev_teardown(W.dev), 0);
    assert_int_equal(dw_free_count(), W.pool_free0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_capchain, setup),
        cmocka_unit_test_setup(test_cfgspace, setup),
        cmocka_unit_test_setup(test_msix_table, setup),
        cmocka_unit_test_setup(test_irte_alloc, setup),
        cmocka_unit_test_setup(test_vtd, setup),
        cmocka_unit_test_setup(test_bar_layout, setup),
        cmocka_unit_test_setup(test_amdvi, setup),
        cmocka_unit_test_setup(test_msix_on_msi, setup),
        cmocka_unit_test_setup(test_lifecycle_cfg, setup),
        cmocka_unit_test_setup(test_lifecycle_msix, setup),
        cmocka_unit_test_setup(test_lifecycle_pool, setup),
        cmocka_unit_test_setup(test_lifecycle_vtd_unit, setup),
        cmocka_unit_test_setup(test_lifecycle_amdvi_unit, setup),
        cmocka_unit_test_setup(test_lifecycle_dev, setup),
        cmocka_unit_test_setup(test_lifecycle_dev_after_teardown, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
