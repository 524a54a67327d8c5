/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcidump - read and write PCI configuration spaces in the text format of
 * `lspci -x` / `-xxx` / `-xxxx`, which `lspci -F FILE` reads back.
 *
 * Hosted code (stdio, malloc) for tests and tools; not part of libvmsix.
 *
 * Format, as pciutils' dump reader accepts it:
 * - a device starts with a line "BB:DD.F " or "DDDD:BB:DD.F " (hex bus,
 *   device, function; the domain may have 4 to 6 hex digits; a space after
 *   the function digit; any text may follow, e.g. the device's name);
 * - a line "OO: xx xx ..." (offset of 2 to 8 hex digits, a colon and a
 *   space) stores consecutive bytes from that offset; reading stops at the
 *   first token that is not exactly two hex digits followed by a space or
 *   the end of the line;
 * - a blank line ends the current device; every other line (decoded -vv
 *   text, comments) is ignored; byte lines outside a device are ignored;
 * - bytes the dump does not give read 0xff; len is one past the highest
 *   offset given.
 */
#ifndef VMSIX_TOOLS_PCIDUMP_H
#define VMSIX_TOOLS_PCIDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCIDUMP_CFG_SIZE 4096

struct pcidump_dev {
    unsigned domain, bus, dev, fn;
    size_t len;                     /* one past the highest byte the dump gave */
    uint8_t cfg[PCIDUMP_CFG_SIZE];  /* bytes the dump did not give are 0xff */
};

/* Result of parsing one text. */
struct pcidump {
    struct pcidump_dev *devs;  /* malloc'ed array */
    size_t n;                  /* devices */
    unsigned bad_lines;        /* byte lines rejected: offset + bytes past 4096, etc. */
};

/*
 * Parse @len bytes of @text (not necessarily NUL-terminated). Devices with
 * no byte line are kept (len 0). Returns 0, or -ENOMEM. Malformed lines
 * never make it fail: they are ignored (and counted in bad_lines when they
 * looked like byte lines).
 */
int pcidump_parse(const char *text, size_t len, struct pcidump *out);

/* Read and parse a file. Returns 0, -errno from opening/reading, or -ENOMEM. */
int pcidump_load(const char *path, struct pcidump *out);

/* Release what pcidump_parse()/pcidump_load() allocated. */
void pcidump_free(struct pcidump *d);

/*
 * Write one device in `lspci -xxxx` format: the header line
 * "DDDD:BB:DD.F @name\n" (name may be NULL or empty), then 16 bytes per
 * line for offsets 0 .. @len-1 (@len rounded up to 16, at most 4096), then
 * a blank line. Returns 0 or -EIO.
 */
int pcidump_write(FILE *f, const struct pcidump_dev *d, const uint8_t *cfg, size_t len,
                  const char *name);

#endif
