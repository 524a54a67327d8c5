/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msix_table benchmark: the hot paths a hypervisor runs on every guest
 * table access and every device interrupt.
 *
 * Every case makes its library call from its own call site: a function
 * site_<case> (out of line, never cloned nor merged) that makes exactly one
 * library call, so that callgrind's inclusive cost of that call divided by
 * its calls is the cost of one call, library and hooks, with nothing
 * subtracted. The hooks are functions named hook_*, so that their own cost
 * can be reported beside it. tests/bench/callsite.py prints both per case:
 *   python3 tests/bench/callsite.py build/gcc/tests/bench/bench-msix
 *
 * Usage:
 *   bench-msix                        every case, timed (ns per call)
 *   bench-msix --list                 the case names, one per line
 *   bench-msix --case NAME --iters N  set up, run NAME N times, print its line
 */
#define _POSIX_C_SOURCE 200809L

#include <vmsix/msix_table.h>

#include "bench_site.h"

static volatile uint64_t sink;
static uint64_t delivered, updates, polls;

/* Hooks that do as little as a hook can (one increment: 2 instructions
 * with their return); their cost is reported separately. */
static SITE void hook_deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    (void)ctx;
    (void)vec;
    (void)msg;
    delivered++;
}

static SITE int hook_vector_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg,
                                   bool active)
{
    (void)ctx;
    (void)vec;
    (void)msg;
    (void)active;
    updates++;
    return 0;
}

/* The device holds nothing pending. */
static SITE uint64_t hook_pending_poll(void *ctx, uint16_t first, unsigned count)
{
    (void)ctx;
    (void)first;
    (void)count;
    polls++;
    return 0;
}

static const struct vmsix_msix_ops ops = {sizeof(struct vmsix_msix_ops), hook_deliver,
                                          hook_vector_update, NULL};
static const struct vmsix_msix_ops ops_poll = {sizeof(struct vmsix_msix_ops), hook_deliver,
                                               hook_vector_update, hook_pending_poll};
static unsigned char mem[64 * 1024] __attribute__((aligned(16)));

/* 32 vectors, table at 0, PBA at 0x800 (a 4 KiB BAR), enabled; vectors
 * 0..@first_masked - 1 unmasked, the others masked; vector 31 masked and
 * pending. */
static struct vmsix_msix *setup(const struct vmsix_msix_ops *o, unsigned first_masked)
{
    struct vmsix_msix_params p = {32, 0, 0x800, 0};
    struct vmsix_msix *m;

    if (vmsix_msix_init(mem, sizeof(mem), &p, o, NULL, &m)) {
        fprintf(stderr, "bench: init failed\n");
        exit(1);
    }
    for (unsigned v = 0; v < 32; v++) {
        uint64_t masked = v >= first_masked ? 0x100000000ull : 0;
        vmsix_msix_mmio_write(m, 16 * v, 8, 0xfee00000u | (v << 12));
        vmsix_msix_mmio_write(m, 16 * v + 8, 8, masked | v);
    }
    vmsix_msix_ctrl_write(m, 0x8000);
    vmsix_msix_fire(m, 31);
    return m;
}

static struct vmsix_msix *setup_plain(void)
{
    return setup(&ops, 31);
}

/* A pending_poll hook, and vectors 16..31 masked: a PBA read asks the
 * device about the 15 masked vectors without a software pending bit. */
static struct vmsix_msix *setup_polled(void)
{
    return setup(&ops_poll, 16);
}

/* ---- the call sites: one library call each ---- */

static SITE void site_table_write_nochange(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    sink += (uint64_t)vmsix_msix_mmio_write(m, 16 * 5 + 8, 4, 5);
}

/* Data unchanged, the Mask bit of active vector 5 set on even calls and
 * cleared on odd ones: every call changes the vector's state. */
static SITE void site_table_write8_mask_toggle(struct vmsix_msix *m, uint64_t i)
{
    sink += (uint64_t)vmsix_msix_mmio_write(m, 16 * 5 + 8, 8, ((~i & 1) << 32) | 5);
}

static SITE void site_fire_unmasked(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    sink += (uint64_t)vmsix_msix_fire(m, 7);
}

static SITE void site_fire_masked(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    sink += (uint64_t)vmsix_msix_fire(m, 31);
}

static SITE void site_pba_read(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    uint64_t v = 0;
    vmsix_msix_mmio_read(m, 0x800, 8, &v);
    sink += v;
}

static SITE void site_pba_read_polled(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    uint64_t v = 0;
    vmsix_msix_mmio_read(m, 0x800, 8, &v);
    sink += v;
}

static SITE void site_table_read(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    uint64_t v = 0;
    vmsix_msix_mmio_read(m, 16 * 9, 8, &v);
    sink += v;
}

/* Enable stays set, Function Mask unchanged: the common rewrite. */
static SITE void site_ctrl_write_nochange(struct vmsix_msix *m, uint64_t i)
{
    (void)i;
    sink += (uint64_t)vmsix_msix_ctrl_write(m, 0x8000 | 31);
}

/* Function Mask set on even calls, cleared on odd ones: 31 active vectors
 * change state every call. */
static SITE void site_ctrl_write_fmask_toggle_32vec(struct vmsix_msix *m, uint64_t i)
{
    sink += (uint64_t)vmsix_msix_ctrl_write(m, (uint16_t)(0x8000 | ((~i & 1) << 14)));
}

struct bench_case {
    const char *name; /* its call site is site_<name, '-' as '_'> */
    struct vmsix_msix *(*setup)(void);
    void (*site)(struct vmsix_msix *, uint64_t i); /* called with i = 0, 1, ... */
    uint64_t iters;                                /* default calls, timed run */
};

static const struct bench_case cases[] = {
    {"table-write-nochange", setup_plain, site_table_write_nochange, 10000000},
    {"table-write8-mask-toggle", setup_plain, site_table_write8_mask_toggle, 10000000},
    {"fire-unmasked", setup_plain, site_fire_unmasked, 10000000},
    {"fire-masked", setup_plain, site_fire_masked, 10000000},
    {"pba-read", setup_plain, site_pba_read, 10000000},
    {"pba-read-polled", setup_polled, site_pba_read_polled, 10000000},
    {"table-read", setup_plain, site_table_read, 10000000},
    {"ctrl-write-nochange", setup_plain, site_ctrl_write_nochange, 10000000},
    {"ctrl-write-fmask-toggle-32vec", setup_plain, site_ctrl_write_fmask_toggle_32vec, 1000000},
};

static void run(const struct bench_case *c, struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        c->site(m, i);
}

static void run_case(const struct bench_case *c, uint64_t iters)
{
    struct vmsix_msix *m = c->setup();
    double t0, t1;

    run(c, m, 1000); /* warm up */
    t0 = bench_now_ns();
    run(c, m, iters);
    t1 = bench_now_ns();
    printf("bench: msix-%s ns_per_op=%.2f\n", c->name, (t1 - t0) / (double)iters);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *case_name(size_t i)
{
    return cases[i].name;
}

static void case_one(size_t i, uint64_t iters)
{
    run_case(&cases[i], iters);
}

static void case_all(void)
{
    for (size_t i = 0; i < NCASES; i++)
        run_case(&cases[i], cases[i].iters);
}

int main(int argc, char **argv)
{
    static const struct bench_cli cli = {"bench-msix", NCASES, case_name, case_one, case_all};

    return bench_cli_main(&cli, argc, argv);
}
