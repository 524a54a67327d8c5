/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deliberately NOT freestanding: the self-test of tests/abi/freestanding.py
 * checks that the checker rejects this object's malloc, strlen and puts.
 * Never linked into anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vmsix_abi_badlibc(const char *s);

int vmsix_abi_badlibc(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    int rc;

    if (p == NULL)
        return -1;
    memcpy(p, s, n);
    rc = puts(p);
    free(p);
    return rc;
}
