/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msix_table benchmark: the hot paths a hypervisor runs on every guest
 * table access and every device interrupt. `meson benchmark` runs every
 * case 10^7 times; `--list` and `--case NAME --iters N` serve
 * tests/bench/callgrind.py, which reports instructions per operation.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmsix/msix_table.h>

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;
static uint64_t delivered, updates;

/* Hooks that do as little as a hook can: the cost measured is the library's. */
static NOINLINE void deliver(void *ctx, uint16_t vec, const struct vmsix_msg *msg)
{
    (void)ctx;
    (void)vec;
    (void)msg;
    delivered++;
}

static NOINLINE int vector_update(void *ctx, uint16_t vec, const struct vmsix_msg *msg, bool active)
{
    (void)ctx;
    (void)vec;
    (void)msg;
    (void)active;
    updates++;
    return 0;
}

static const struct vmsix_msix_ops ops = {deliver, vector_update, NULL};
static unsigned char mem[64 * 1024] __attribute__((aligned(16)));

/* 32 vectors, table at 0, PBA at 0x800 (a 4 KiB BAR), enabled, all unmasked
 * except vector 31. */
static struct vmsix_msix *setup(void)
{
    struct vmsix_msix_params p = {32, 0, 0x800, 0};
    struct vmsix_msix *m;

    if (vmsix_msix_init(mem, sizeof(mem), &p, &ops, NULL, &m)) {
        fprintf(stderr, "bench: init failed\n");
        exit(1);
    }
    for (unsigned v = 0; v < 32; v++) {
        vmsix_msix_mmio_write(m, 16 * v, 8, 0xfee00000u | (v << 12));
        vmsix_msix_mmio_write(m, 16 * v + 8, 8, v == 31 ? 0x100000000ull | v : v);
    }
    vmsix_msix_ctrl_write(m, 0x8000);
    vmsix_msix_fire(m, 31);
    return m;
}

/* The loop and call of a case without the library: an empty function of the
 * same shape, kept out of line. callgrind.py --subtract removes it. */
static NOINLINE __attribute__((used)) int empty_write(struct vmsix_msix *m, uint64_t off,
                                                      unsigned size, uint64_t val)
{
    __asm__ volatile("" : : "r"(m), "r"(off), "r"(size), "r"(val) : "memory");
    return 0;
}

static NOINLINE void case_empty_call(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)empty_write(m, 16 * 5 + 8, 4, 5);
}

static NOINLINE void case_table_write_nochange(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_mmio_write(m, 16 * 5 + 8, 4, 5);
}

static NOINLINE void case_table_write8_mask_toggle(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_mmio_write(m, 16 * 5 + 8, 8, ((i & 1) << 32) | 5);
}

static NOINLINE void case_fire_unmasked(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_fire(m, 7);
}

static NOINLINE void case_fire_masked(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_fire(m, 31);
}

static NOINLINE void case_pba_read(struct vmsix_msix *m, uint64_t n)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < n; i++) {
        vmsix_msix_mmio_read(m, 0x800, 8, &v);
        sink += v;
    }
}

static NOINLINE void case_table_read(struct vmsix_msix *m, uint64_t n)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < n; i++) {
        vmsix_msix_mmio_read(m, 16 * 9, 8, &v);
        sink += v;
    }
}

/* Enable stays set, Function Mask unchanged: the common rewrite. */
static NOINLINE void case_ctrl_write_nochange(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_ctrl_write(m, 0x8000 | 31);
}

/* Function Mask toggled: 31 active vectors change state each time. */
static NOINLINE void case_ctrl_write_fmask_toggle(struct vmsix_msix *m, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += (uint64_t)vmsix_msix_ctrl_write(m, (uint16_t)(0x8000 | ((i & 1) << 14)));
}

struct bench_case {
    const char *name;
    void (*run)(struct vmsix_msix *, uint64_t);
    uint64_t iters; /* default operations */
};

static const struct bench_case cases[] = {
    {"msix_empty_call", case_empty_call, 10000000},
    {"msix_table_write_nochange", case_table_write_nochange, 10000000},
    {"msix_table_write8_mask_toggle", case_table_write8_mask_toggle, 10000000},
    {"msix_fire_unmasked", case_fire_unmasked, 10000000},
    {"msix_fire_masked", case_fire_masked, 10000000},
    {"msix_pba_read", case_pba_read, 10000000},
    {"msix_table_read", case_table_read, 10000000},
    {"msix_ctrl_write_nochange", case_ctrl_write_nochange, 10000000},
    {"msix_ctrl_write_fmask_toggle_32vec", case_ctrl_write_fmask_toggle, 1000000},
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void run_case(const struct bench_case *c, uint64_t iters)
{
    struct vmsix_msix *m = setup();
    double t0, t1;

    c->run(m, 1000); /* warm up (a fixed count: callgrind.py subtracts two runs) */
    t0 = now_ns();
    c->run(m, iters);
    t1 = now_ns();
    printf("bench: %s ns_per_op=%.2f\n", c->name, (t1 - t0) / (double)iters);
}

int main(int argc, char **argv)
{
    size_t ncases = sizeof(cases) / sizeof(cases[0]);

    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < ncases; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "--case") == 0 && strcmp(argv[3], "--iters") == 0) {
        uint64_t iters = strtoull(argv[4], NULL, 10);
        for (size_t i = 0; i < ncases; i++)
            if (strcmp(cases[i].name, argv[2]) == 0) {
                run_case(&cases[i], iters);
                return 0;
            }
        fprintf(stderr, "bench: no case %s\n", argv[2]);
        return 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --case NAME --iters N]\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < ncases; i++)
        run_case(&cases[i], cases[i].iters);
    return 0;
}
