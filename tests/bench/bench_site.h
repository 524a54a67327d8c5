/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the call-site benchmarks (bench-msix, bench-irqpath) share: the
 * attribute of a call site, their command line (the protocol that
 * tests/bench/callsite.py and irqpath.py drive) and the clock of the timed
 * runs.
 *   BENCH                        every case, timed
 *   BENCH --list                 the case names, one per line
 *   BENCH --case NAME --iters N  set up, run NAME N times, print its line
 * Include it once per program, after defining _POSIX_C_SOURCE.
 */
#ifndef VMSIX_BENCH_SITE_H
#define VMSIX_BENCH_SITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Out of line, never specialized nor merged with an identical function
 * (gcc's noipa): the call site stays one call, under its own name. */
#if defined(__clang__)
#define SITE __attribute__((noinline, used))
#else
#define SITE __attribute__((noipa, used))
#endif

struct bench_cli {
    const char *prog; /* for messages */
    size_t ncases;
    const char *(*name)(size_t i);         /* case i's name */
    void (*one)(size_t i, uint64_t iters); /* --case: run case i */
    void (*all)(void);                     /* no argument: every case */
};

/* main()'s work: 0, or 2 for a bad command line or an unknown case. */
static int bench_cli_main(const struct bench_cli *b, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < b->ncases; i++)
            printf("%s\n", b->name(i));
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "--case") == 0 && strcmp(argv[3], "--iters") == 0) {
        uint64_t iters = strtoull(argv[4], NULL, 10);
        for (size_t i = 0; i < b->ncases; i++)
            if (strcmp(b->name(i), argv[2]) == 0) {
                b->one(i, iters);
                return 0;
            }
        fprintf(stderr, "%s: no case %s\n", b->prog, argv[2]);
        return 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --case NAME --iters N]\n", argv[0]);
        return 2;
    }
    b->all();
    return 0;
}

static double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#endif
