/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcidump - reader and writer of the text that `lspci -x`/`-xxx`/`-xxxx`
 * prints and `lspci -F FILE` reads back. See pcidump.h for the format.
 *
 * The reader works on a (pointer, length) text split into lines at '\n'; one
 * '\r' before the '\n' is dropped. Lines have no length limit and a NUL byte
 * is an ordinary character (it is neither a hex digit nor a space, so it ends
 * a header or a byte list). Each line is one of:
 *
 * - empty: ends the current device (a line of blanks does not, as in lspci);
 * - a device header, "BB:DD.F " or "DDDD:BB:DD.F " (domain of 4 to 6 hex
 *   digits; every field hex, upper or lower case; the function is one hex
 *   digit): starts a new device, all 4096 bytes 0xff, len 0;
 * - a byte line, "OO: xx xx ..." (offset of 2 to 8 hex digits, ':', ' '):
 *   stores the two-hex-digit tokens that follow from the offset upwards;
 * - anything else: ignored (decoded -vv text, names, comments).
 *
 * bad_lines counts, once per line, every line that begins with one or more
 * hex digits and a ':' and is not a device header ("looks like a byte line")
 * and of which something was not stored:
 * - its offset field is not 2 to 8 hex digits followed by ": " (e.g. "0: 12",
 *   "00:12", "123456789: 12", a header without the space after the function);
 * - it comes before the first header or after a blank line (no device open);
 * - a token would land at offset 4096 or beyond: the tokens below 4096 are
 *   stored, that token and everything after it on the line are dropped (an
 *   offset >= 4096 with no token stores nothing and is not counted);
 * - its tokens do not run to the end of the line: a token that is not exactly
 *   two hex digits followed by a single space or the end of the line (e.g.
 *   "0g", "123", two spaces, a tab, trailing text) ends the line; the tokens
 *   before it are stored. lspci itself rejects such a file ("Malformed line").
 * A single space after the last token is allowed, as lspci allows it.
 *
 * Where pciutils 3.9.0 (lspci -F) differs: it takes domains of 4 or 5 digits
 * only and a decimal function digit (0-9); it stops with an error on lines
 * longer than its buffer, on NUL bytes, on bytes past 4096 and on malformed
 * tokens, where this reader goes on and counts bad_lines.
 */
#include "pcidump.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Number of hex digits at the start of s[0..n), at most @max + 1. */
static size_t hex_run(const char *s, size_t n, size_t max)
{
    size_t k = 0;

    while (k < n && k <= max && hexval(s[k]) >= 0)
        k++;
    return k;
}

/* Value of @k hex digits at @s (k <= 8, all known to be hex digits). */
static unsigned long hex_value(const char *s, size_t k)
{
    unsigned long v = 0;

    for (size_t i = 0; i < k; i++)
        v = (v << 4) | (unsigned long)hexval(s[i]);
    return v;
}

/* Does s[0..n) match "BB:DD.F " (all fields hex)? */
static bool parse_bdf(const char *s, size_t n, unsigned *bus, unsigned *dev, unsigned *fn)
{
    if (n < 8)
        return false;
    if (hexval(s[0]) < 0 || hexval(s[1]) < 0 || s[2] != ':' || hexval(s[3]) < 0 ||
        hexval(s[4]) < 0 || s[5] != '.' || hexval(s[6]) < 0 || s[7] != ' ')
        return false;
    *bus = (unsigned)hex_value(s, 2);
    *dev = (unsigned)hex_value(s + 3, 2);
    *fn = (unsigned)hexval(s[6]);
    return true;
}

/* Does the line start with a device header? Fills the address if so. */
static bool parse_header(const char *s, size_t n, struct pcidump_dev *addr)
{
    size_t k = hex_run(s, n, 6);

    if (k == 2) {
        addr->domain = 0;
        return parse_bdf(s, n, &addr->bus, &addr->dev, &addr->fn);
    }
    if (k >= 4 && k <= 6 && k < n && s[k] == ':' &&
        parse_bdf(s + k + 1, n - k - 1, &addr->bus, &addr->dev, &addr->fn)) {
        addr->domain = (unsigned)hex_value(s, k);
        return true;
    }
    return false;
}

/* One or more hex digits then ':' at the start of the line. */
static bool looks_like_byte_line(const char *s, size_t n)
{
    size_t k = 0;

    while (k < n && hexval(s[k]) >= 0)
        k++;
    return k > 0 && k < n && s[k] == ':';
}

/*
 * Offset field "OO: " (2 to 8 hex digits, ':', ' '). Sets @off and @pos (the
 * index of the first token).
 */
static bool parse_offset(const char *s, size_t n, unsigned long *off, size_t *pos)
{
    size_t k = hex_run(s, n, 8);

    if (k < 2 || k > 8 || k + 1 >= n || s[k] != ':' || s[k + 1] != ' ')
        return false;
    *off = hex_value(s, k);
    *pos = k + 2;
    return true;
}

/*
 * Store the tokens of a byte line from @pos on into @d at @off. Returns false
 * when something of the line was not stored (see the top of the file).
 */
static bool store_bytes(struct pcidump_dev *d, const char *s, size_t n, size_t pos,
                        unsigned long off)
{
    while (pos < n) {
        if (pos + 2 > n || hexval(s[pos]) < 0 || hexval(s[pos + 1]) < 0 ||
            (pos + 2 < n && s[pos + 2] != ' '))
            return false;
        if (off >= PCIDUMP_CFG_SIZE)
            return false;
        d->cfg[off] = (uint8_t)hex_value(s + pos, 2);
        off++;
        if (d->len < off)
            d->len = off;
        pos += 2;
        if (pos < n)
            pos++; /* the space after the token */
    }
    return true;
}

struct parser {
    struct pcidump *out;
    size_t cap;
    bool open; /* out->devs[out->n - 1] takes byte lines */
};

static int new_device(struct parser *p, const struct pcidump_dev *addr)
{
    struct pcidump *out = p->out;
    struct pcidump_dev *d;

    if (out->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        struct pcidump_dev *devs;

        if (cap < p->cap || cap > SIZE_MAX / sizeof(*devs))
            return -ENOMEM;
        devs = realloc(out->devs, cap * sizeof(*devs));
        if (!devs)
            return -ENOMEM;
        out->devs = devs;
        p->cap = cap;
    }
    d = &out->devs[out->n++];
    d->domain = addr->domain;
    d->bus = addr->bus;
    d->dev = addr->dev;
    d->fn = addr->fn;
    d->len = 0;
    memset(d->cfg, 0xff, sizeof(d->cfg));
    p->open = true;
    return 0;
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
    struct pcidump_dev addr;
    unsigned long off;
    size_t pos;

    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n == 0) {
        p->open = false;
        return 0;
    }
    if (parse_header(s, n, &addr))
        return new_device(p, &addr);
    if (!looks_like_byte_line(s, n))
        return 0;
    if (!parse_offset(s, n, &off, &pos) || !p->open ||
        !store_bytes(&p->out->devs[p->out->n - 1], s, n, pos, off))
        p->out->bad_lines++;
    return 0;
}

/*
 * Beyond pcidump.h: @out is overwritten, not freed (free an earlier result
 * first); out->devs is NULL when no device was found; @text may be NULL when
 * @len is 0. On -ENOMEM @out is left empty. A NULL @out gives -EINVAL.
 */
int pcidump_parse(const char *text, size_t len, struct pcidump *out)
{
    struct parser p = {.out = out};
    size_t start = 0;

    if (!out)
        return -EINVAL;
    out->devs = NULL;
    out->n = 0;
    out->bad_lines = 0;
    if (!text)
        len = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        int r = parse_line(&p, text + start, end - start);

        if (r < 0) {
            pcidump_free(out);
            return r;
        }
        start = end + 1;
    }
    return 0;
}

/*
 * Beyond pcidump.h: reads the whole file into memory (no size limit), then
 * pcidump_parse(). On any error @out is left empty. A directory gives
 * -EISDIR (from the read); a NULL @path or @out gives -EINVAL.
 */
int pcidump_load(const char *path, struct pcidump *out)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *f;
    int r;

    if (!out)
        return -EINVAL;
    out->devs = NULL;
    out->n = 0;
    out->bad_lines = 0;
    if (!path)
        return -EINVAL;
    f = fopen(path, "rb");
    if (!f)
        return errno ? -errno : -EIO;
    for (;;) {
        size_t got;

        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf;

            if (ncap < cap) {
                r = -ENOMEM;
                goto out;
            }
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                r = -ENOMEM;
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        errno = 0;
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                r = errno ? -errno : -EIO;
                goto out;
            }
            break;
        }
    }
    r = pcidump_parse(buf, len, out);
out:
    free(buf);
    fclose(f);
    return r;
}

/* NULL-safe; leaves @d empty, so freeing twice is harmless. */
void pcidump_free(struct pcidump *d)
{
    if (!d)
        return;
    free(d->devs);
    d->devs = NULL;
    d->n = 0;
    d->bad_lines = 0;
}

/*
 * Write @name with '\r' and '\n' replaced by spaces, so that a name cannot
 * end the header line or inject lines of its own.
 */
static int write_name(FILE *f, const char *name)
{
    for (const char *c = name; *c; c++) {
        int ch = (*c == '\n' || *c == '\r') ? ' ' : (unsigned char)*c;

        if (fputc(ch, f) == EOF)
            return -EIO;
    }
    return 0;
}

/*
 * Details of the contract in pcidump.h:
 * - @d gives the address; NULL writes 0000:00:00.0. @cfg gives the bytes;
 *   NULL writes d->cfg (then @d must not be NULL).
 * - The header is always "%04x:%02x:%02x.%x " (note the space, which lspci
 *   needs to see a header) followed by @name, if any, with CR/LF turned into
 *   spaces. lspci 3.9.0 reads domains of 4 or 5 digits only, so a domain
 *   above 0xfffff is written (6 digits) but only pcidump reads it back.
 * - Offsets print as "%02x:" like lspci: two digits below 0x100, three from
 *   0x100 up. Bytes between @len and @len rounded up to 16 are written as ff
 *   (they are not read from @cfg). @len 0 writes just the header and the
 *   blank line.
 * - Returns -EINVAL (beyond the header's 0 / -EIO) for a NULL @f, for NULL @d
 *   and @cfg together, or for an address the format cannot hold (domain above
 *   0xffffff, bus or device above 0xff, function above 0xf). Output is not
 *   flushed; a caller that needs to see late write errors checks fflush().
 */
int pcidump_write(FILE *f, const struct pcidump_dev *d, const uint8_t *cfg, size_t len,
                  const char *name)
{
    static const struct pcidump_dev zero_addr;
    size_t end;

    if (!f || (!d && !cfg))
        return -EINVAL;
    if (!cfg)
        cfg = d->cfg;
    if (!d)
        d = &zero_addr;
    if (d->domain > 0xffffff || d->bus > 0xff || d->dev > 0xff || d->fn > 0xf)
        return -EINVAL;
    if (len > PCIDUMP_CFG_SIZE)
        len = PCIDUMP_CFG_SIZE;
    end = (len + 15) & ~(size_t)15;

    if (fprintf(f, "%04x:%02x:%02x.%x ", d->domain, d->bus, d->dev, d->fn) < 0)
        return -EIO;
    if (name && write_name(f, name) < 0)
        return -EIO;
    if (fputc('\n', f) == EOF)
        return -EIO;
    for (size_t i = 0; i < end; i += 16) {
        if (fprintf(f, "%02zx:", i) < 0)
            return -EIO;
        for (size_t j = i; j < i + 16; j++) {
            if (fprintf(f, " %02x", j < len ? cfg[j] : 0xffu) < 0)
                return -EIO;
        }
        if (fputc('\n', f) == EOF)
            return -EIO;
    }
    if (fputc('\n', f) == EOF)
        return -EIO;
    return 0;
}
