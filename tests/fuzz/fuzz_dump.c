/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz-dump: the `lspci -x` text reader (tools/common/pcidump) on arbitrary
 * text of up to 1 MiB.
 *
 * Invariants (abort() on failure):
 * - pcidump_parse returns 0 (or -ENOMEM) and reads nothing past the text;
 * - every device has len <= 4096, and its bytes past len read 0xff;
 * - pcidump_write of each device, parsed again, gives one device with the
 *   same address and the same 4096 bytes (len rounded up to 16).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "pcidump.h"

#include "fuzz_check.h"

#define MAX_TEXT (1u << 20)
#define MAX_ROUNDTRIPS 8 /* devices written back per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static VMSIX_ORACLE void roundtrip(const struct pcidump_dev *d)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    struct pcidump again;
    int rc;

    if (!f)
        abort();
    rc = pcidump_write(f, d, NULL, d->len, "fuzz");
    if (fclose(f) != 0)
        abort();
    if (rc == -EINVAL) {
        /* an address the writer cannot express */
        CHECK(d->domain > 0xffffff || d->bus > 0xff || d->dev > 0xff || d->fn > 0xf);
        free(buf);
        return;
    }
    CHECK(rc == 0);
    /* an exact-size copy of the text */
    char *text = malloc(blen ? blen : 1);
    if (!text)
        abort();
    memcpy(text, buf, blen);
    free(buf);
    rc = pcidump_parse(text, blen, &again);
    if (rc == -ENOMEM) {
        free(text);
        return;
    }
    CHECK(rc == 0);
    CHECK(again.n == 1);
    CHECK(again.bad_lines == 0);
    const struct pcidump_dev *e = &again.devs[0];
    CHECK(e->domain == d->domain && e->bus == d->bus && e->dev == d->dev && e->fn == d->fn);
    CHECK(e->len == ((d->len + 15) & ~(size_t)15));
    CHECK(memcmp(e->cfg, d->cfg, PCIDUMP_CFG_SIZE) == 0);
    pcidump_free(&again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = size > MAX_TEXT ? MAX_TEXT : size;
    char *text = malloc(len ? len : 1); /* exact size, not NUL-terminated */
    struct pcidump d;
    int rc;

    if (!text)
        abort();
    if (len)
        memcpy(text, data, len);
    rc = pcidump_parse(text, len, &d);
    if (rc == -ENOMEM) {
        free(text);
        return 0;
    }
    CHECK(rc == 0);
    CHECK(d.n == 0 || d.devs != NULL);
    for (size_t i = 0; i < d.n; i++) {
        const struct pcidump_dev *dev = &d.devs[i];
        CHECK(dev->len <= PCIDUMP_CFG_SIZE);
        for (size_t b = dev->len; b < PCIDUMP_CFG_SIZE; b++)
            CHECK(dev->cfg[b] == 0xff);
    }
    /* the first few devices and the last one */
    for (size_t i = 0; i < d.n; i++)
        if (i < MAX_ROUNDTRIPS || i == d.n - 1)
            roundtrip(&d.devs[i]);
    pcidump_free(&d);
    free(text);
    return 0;
}
