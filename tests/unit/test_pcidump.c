/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of tools/common/pcidump.c: the reader and writer of `lspci -x`
 * text dumps. TEST_DATA_DIR is the absolute path of tests/data.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pcidump.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

#define LSPCI_PATH "/usr/bin/lspci"

/* ---- helpers ---------------------------------------------------------- */

static void parse_str(const char *text, struct pcidump *d)
{
    assert_int_equal(pcidump_parse(text, strlen(text), d), 0);
}

/* The byte pattern the synthetic dumps use: never 0xff, varies with offset. */
static uint8_t pattern(size_t i)
{
    return (uint8_t)((i * 7 + (i >> 8) + 1) % 0xff);
}

/* Every byte of @d from @from on is 0xff. */
static void assert_ff_from(const struct pcidump_dev *d, size_t from)
{
    for (size_t i = from; i < PCIDUMP_CFG_SIZE; i++) {
        if (d->cfg[i] != 0xff)
            fail_msg("cfg[0x%zx] = 0x%02x, expected 0xff", i, d->cfg[i]);
    }
}

/*
 * Text of one device: @header, then lines "%02x: ..." for @len bytes of
 * pattern() (16 per line, the last line shorter), each ended by @eol.
 */
static char *dump_text(const char *header, size_t len, const char *eol)
{
    size_t cap = strlen(header) + strlen(eol) + (len / 16 + 1) * (10 + 48 + strlen(eol)) + 1;
    char *buf = malloc(cap);
    size_t n;

    assert_non_null(buf);
    n = (size_t)snprintf(buf, cap, "%s%s", header, eol);
    for (size_t i = 0; i < len; i += 16) {
        n += (size_t)snprintf(buf + n, cap - n, "%02zx:", i);
        for (size_t j = i; j < i + 16 && j < len; j++)
            n += (size_t)snprintf(buf + n, cap - n, " %02x", pattern(j));
        n += (size_t)snprintf(buf + n, cap - n, "%s", eol);
    }
    assert_true(n < cap);
    return buf;
}

/* Read a whole stream from its start into a NUL-terminated buffer. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);

    assert_non_null(buf);
    rewind(f);
    for (;;) {
        size_t got;

        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0)
            break;
        n += got;
    }
    assert_false(ferror(f));
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* pcidump_write() into memory; returns the text (free it). */
static char *write_str(const struct pcidump_dev *d, const uint8_t *cfg, size_t len,
                       const char *name)
{
    FILE *f = tmpfile();
    char *s;

    assert_non_null(f);
    assert_int_equal(pcidump_write(f, d, cfg, len, name), 0);
    s = slurp(f, NULL);
    fclose(f);
    return s;
}

static void assert_same_devices(const struct pcidump *a, const struct pcidump *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct pcidump_dev *x = &a->devs[i], *y = &b->devs[i];

        assert_int_equal(x->domain, y->domain);
        assert_int_equal(x->bus, y->bus);
        assert_int_equal(x->dev, y->dev);
        assert_int_equal(x->fn, y->fn);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x->cfg, y->cfg, PCIDUMP_CFG_SIZE);
    }
}

/* ---- device headers ---------------------------------------------------- */

static void test_header_short_form(void **state)
{
    struct pcidump d;

    (void)state;
    parse_str("1a:1f.3 \n00: 86 80\n", &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.bad_lines, 0);
    assert_int_equal(d.devs[0].domain, 0);
    assert_int_equal(d.devs[0].bus, 0x1a);
    assert_int_equal(d.devs[0].dev, 0x1f);
    assert_int_equal(d.devs[0].fn, 3);
    assert_int_equal(d.devs[0].len, 2);
    assert_int_equal(d.devs[0].cfg[0], 0x86);
    assert_int_equal(d.devs[0].cfg[1], 0x80);
    assert_ff_from(&d.devs[0], 2);
    pcidump_free(&d);
}

static void test_header_domains(void **state)
{
    static const struct {
        const char *line;
        unsigned domain, bus, dev, fn;
    } cases[] = {
        /* clang-format off */
        {"0000:00:00.0 \n", 0, 0, 0, 0},
        {"0001:02:03.4 \n", 1, 2, 3, 4},
        {"10000:01:02.3 \n", 0x10000, 1, 2, 3},
        {"123456:ff:1f.7 \n", 0x123456, 0xff, 0x1f, 7},
        {"00abcd:00:01.0 \n", 0xabcd, 0, 1, 0},
        {"ABCD:EF:1F.7 \n", 0xabcd, 0xef, 0x1f, 7},
        /* clang-format on */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pcidump d;

        parse_str(cases[i].line, &d);
        if (d.n != 1)
            fail_msg("\"%s\": %zu devices", cases[i].line, d.n);
        assert_int_equal(d.devs[0].domain, cases[i].domain);
        assert_int_equal(d.devs[0].bus, cases[i].bus);
        assert_int_equal(d.devs[0].dev, cases[i].dev);
        assert_int_equal(d.devs[0].fn, cases[i].fn);
        assert_int_equal(d.devs[0].len, 0);
        assert_ff_from(&d.devs[0], 0);
        pcidump_free(&d);
    }
}

static void test_header_names_ignored(void **state)
{
    struct pcidump d;

    (void)state;
    /* Names with colons, hex words, even something shaped like a byte list. */
    parse_str("0000:00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] "
              "(rev 02)\n"
              "00: 86 80 37 12\n"
              "\n"
              "00:1f.2 00: 11 22 33 44\n"
              "\n"
              "0002:42:03.0 Ethernet controller: Advanced Micro Devices [AMD] 79c970 "
              "[PCnet32 LANCE] (rev 54)\n"
              "00: 22 10\n",
              &d);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.bad_lines, 0);
    assert_int_equal(d.devs[0].len, 4);
    assert_int_equal(d.devs[0].cfg[2], 0x37);
    assert_int_equal(d.devs[1].bus, 0);
    assert_int_equal(d.devs[1].dev, 0x1f);
    assert_int_equal(d.devs[1].fn, 2);
    assert_int_equal(d.devs[1].len, 0);
    assert_ff_from(&d.devs[1], 0);
    assert_int_equal(d.devs[2].domain, 2);
    assert_int_equal(d.devs[2].bus, 0x42);
    assert_int_equal(d.devs[2].dev, 3);
    assert_int_equal(d.devs[2].len, 2);
    assert_int_equal(d.devs[2].cfg[0], 0x22);
    pcidump_free(&d);
}

static void test_header_not_recognised(void **state)
{
    static const char *const lines[] = {
        "00:00.0\n",           /* no space after the function */
        "0000:00:00.0\n",      /* same, with a domain */
        "00:00.0\tname\n",     /* tab instead of space */
        "000:00:00.0 x\n",     /* 3-digit domain */
        "1234567:00:00.0 x\n", /* 7-digit domain */
        "0:00.0 x\n",          /* 1-digit bus */
        "00:0.0 x\n",          /* 1-digit device */
        "00:00.00 x\n",        /* 2-digit function */
        "00:00:0 x\n",         /* ':' for '.' */
        "00:00.g x\n",         /* non-hex function */
        " 00:00.0 x\n",        /* leading space */
        "\t00:00.0 x\n",       /* indented, as decoded text is */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct pcidump d;

        parse_str(lines[i], &d);
        if (d.n != 0)
            fail_msg("\"%s\" taken for a header", lines[i]);
        assert_null(d.devs);
        pcidump_free(&d);
    }
}

/* ---- decoded text ------------------------------------------------------ */

/* `lspci -vvv -xxx` of a virtio-net function, decoded text also moved in
 * between the hex lines, as pasted bug reports have it. */
static const char vvv_sample[] =
    "lspci: Unable to load libkmod resources: error -2\n"
    "00:03.0 Ethernet controller: Red Hat, Inc. Virtio 1.0 network device (rev 01)\n"
    "\tSubsystem: Red Hat, Inc. Virtio 1.0 network device\n"
    "\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- "
    "FastB2B- DisINTx+\n"
    "\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- "
    ">SERR- <PERR- INTx-\n"
    "\tLatency: 0\n"
    "\tRegion 0: Memory at 4000100000 (64-bit, non-prefetchable)\n"
    "\tRegion 1: Memory at <unassigned> (32-bit, non-prefetchable)\n"
    "\tCapabilities: [40] Vendor Specific Information: VirtIO: CommonCfg\n"
    "\t\tBAR=0 offset=00000000 size=00000038\n"
    "00: f4 1a 41 10 06 04 10 00 01 00 00 02 00 00 00 00\n"
    "10: 04 00 10 00 40 00 00 00 00 00 00 00 00 00 00 00\n"
    "20: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 41 10\n"
    "30: 00 00 00 00 40 00 00 00 00 00 00 00 00 00 00 00\n"
    "\tCapabilities: [50] Vendor Specific Information: VirtIO: ISR\n"
    "\t\tBAR=0 offset=00002000 size=00000001\n"
    "40: 09 50 10 01 00 00 00 00 00 00 00 00 38 00 00 00\n"
    "50: 09 60 10 03 00 00 00 00 00 20 00 00 01 00 00 00\n"
    "\tCapabilities: [60] Vendor Specific Information: VirtIO: DeviceCfg\n"
    "\t\tBAR=0 offset=00004000 size=00001000\n"
    "\tCapabilities: [70] Vendor Specific Information: VirtIO: Notify\n"
    "\t\tBAR=0 offset=00006000 size=00001000 multiplier=00000004\n"
    "60: 09 70 10 04 00 00 00 00 00 40 00 00 00 10 00 00\n"
    "70: 09 84 14 02 00 00 00 00 00 60 00 00 00 10 00 00\n"
    "\tCapabilities: [84] Vendor Specific Information: VirtIO: <unknown>\n"
    "\t\tBAR=0 offset=00000000 size=00000000\n"
    "80: 04 00 00 00 09 98 14 05 00 00 00 00 00 00 00 00\n"
    "\tCapabilities: [98] MSI-X: Enable+ Count=3 Masked-\n"
    "\t\tVector table: BAR=0 offset=00008000\n"
    "\t\tPBA: BAR=0 offset=00048000\n"
    "90: 00 00 00 00 00 00 00 00 11 00 02 80 00 80 00 00\n"
    "a0: 00 80 04 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "\tKernel driver in use: virtio-pci\n"
    "b0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "c0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "d0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "e0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
    "Note written by hand, not by lspci\n"
    "f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01\n"
    "\n";

static void test_decoded_text_between_hex_lines(void **state)
{
    struct pcidump d;
    const struct pcidump_dev *v;

    (void)state;
    assert_int_equal(pcidump_parse(vvv_sample, sizeof(vvv_sample) - 1, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.bad_lines, 0);
    v = &d.devs[0];
    assert_int_equal(v->bus, 0);
    assert_int_equal(v->dev, 3);
    assert_int_equal(v->len, 256);
    assert_int_equal(v->cfg[0x00], 0xf4); /* vendor 1af4 */
    assert_int_equal(v->cfg[0x01], 0x1a);
    assert_int_equal(v->cfg[0x02], 0x41); /* device 1041 */
    assert_int_equal(v->cfg[0x03], 0x10);
    assert_int_equal(v->cfg[0x34], 0x40); /* capability pointer */
    assert_int_equal(v->cfg[0x4c], 0x38); /* after the first text block */
    assert_int_equal(v->cfg[0x6d], 0x10); /* after the second */
    assert_int_equal(v->cfg[0x98], 0x11); /* MSI-X, after the third */
    assert_int_equal(v->cfg[0x9b], 0x80);
    assert_int_equal(v->cfg[0xa2], 0x04);
    assert_int_equal(v->cfg[0xfe], 0x00);
    assert_int_equal(v->cfg[0xff], 0x01); /* after the unindented note */
    assert_ff_from(v, 0x100);
    pcidump_free(&d);
}

/* ---- dump sizes -------------------------------------------------------- */

static void check_size(size_t len)
{
    char *text = dump_text("0000:05:00.0 Network controller: Qualcomm Atheros", len, "\n");
    struct pcidump d;

    parse_str(text, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.bad_lines, 0);
    assert_int_equal(d.devs[0].bus, 5);
    assert_int_equal(d.devs[0].len, len);
    for (size_t i = 0; i < len; i++) {
        if (d.devs[0].cfg[i] != pattern(i))
            fail_msg("len %zu: cfg[0x%zx] = 0x%02x", len, i, d.devs[0].cfg[i]);
    }
    assert_ff_from(&d.devs[0], len);
    pcidump_free(&d);
    free(text);
}

static void test_dump_64_bytes(void **state)
{
    (void)state;
    check_size(64);
}

static void test_dump_256_bytes(void **state)
{
    (void)state;
    check_size(256);
}

static void test_dump_4096_bytes(void **state)
{
    (void)state;
    check_size(4096);
}

static void test_dump_short_last_line(void **state)
{
    (void)state;
    check_size(67);
}

/* ---- malformed byte lines ---------------------------------------------- */

/*
 * Parse "00:00.0 \n" + @body; expect one device whose bytes are @bytes at
 * @off (the rest 0xff), length @len, and @bad rejected lines.
 */
static void check_body(const char *body, size_t off, const char *bytes, size_t nbytes, size_t len,
                       unsigned bad)
{
    size_t n = strlen("00:00.0 \n") + strlen(body);
    char *text = malloc(n + 1);
    struct pcidump d;

    assert_non_null(text);
    snprintf(text, n + 1, "00:00.0 \n%s", body);
    parse_str(text, &d);
    assert_int_equal(d.n, 1);
    if (d.bad_lines != bad || d.devs[0].len != len)
        fail_msg("\"%s\": bad_lines %u (want %u), len %zu (want %zu)", body, d.bad_lines, bad,
                 d.devs[0].len, len);
    for (size_t i = 0; i < PCIDUMP_CFG_SIZE; i++) {
        uint8_t want = (i >= off && i < off + nbytes) ? (uint8_t)bytes[i - off] : 0xff;

        if (d.devs[0].cfg[i] != want)
            fail_msg("\"%s\": cfg[0x%zx] = 0x%02x, want 0x%02x", body, i, d.devs[0].cfg[i], want);
    }
    pcidump_free(&d);
    free(text);
}

static void test_token_not_hex(void **state)
{
    (void)state;
    check_body("00: 11 0g 22\n", 0, "\x11", 1, 1, 1);
    check_body("00: g0 22\n", 0, "", 0, 0, 1);
    check_body("10: 11 22 x3 44\n", 0x10, "\x11\x22", 2, 0x12, 1);
}

static void test_token_wrong_length(void **state)
{
    (void)state;
    check_body("00: 11 123 22\n", 0, "\x11", 1, 1, 1);
    check_body("00: 11 1 22\n", 0, "\x11", 1, 1, 1);
    check_body("00: 112\n", 0, "", 0, 0, 1);
}

static void test_token_separators(void **state)
{
    (void)state;
    check_body("00: 11  22\n", 0, "\x11", 1, 1, 1);         /* two spaces */
    check_body("00: 11\t22\n", 0, "", 0, 0, 1);             /* tab */
    check_body("00: 11 22 text\n", 0, "\x11\x22", 2, 2, 1); /* trailing text */
    check_body("00: 11 22  \n", 0, "\x11\x22", 2, 2, 1);    /* two trailing spaces */
    check_body("00: 11 22 \n", 0, "\x11\x22", 2, 2, 0);     /* one trailing space: fine */
    check_body("00: \n", 0, "", 0, 0, 0);                   /* no tokens: fine */
    check_body("00: AB cD\n", 0, "\xab\xcd", 2, 2, 0);      /* upper case */
}

static void test_offset_missing_space(void **state)
{
    (void)state;
    check_body("00:11 22\n", 0, "", 0, 0, 1);
    check_body("00:\n", 0, "", 0, 0, 1);
    check_body("00 : 11\n", 0, "", 0, 0, 0); /* not shaped like a byte line at all */
}

static void test_offset_length(void **state)
{
    (void)state;
    check_body("0: 11\n", 0, "", 0, 0, 1);
    check_body("000000010: 11\n", 0, "", 0, 0, 1);          /* 9 digits */
    check_body("00000010: 11\n", 0x10, "\x11", 1, 0x11, 0); /* 8 digits */
    check_body("010: 11\n", 0x10, "\x11", 1, 0x11, 0);
    check_body("0g: 11\n", 0, "", 0, 0, 0); /* text, not a byte line */
}

static void test_bytes_past_4096(void **state)
{
    (void)state;
    /* Bytes below 4096 are kept, the rest of the line is dropped, counted once. */
    check_body("ff8: 00 01 02 03 04 05 06 07 08 09 0a\n", 0xff8, "\x00\x01\x02\x03\x04\x05\x06\x07",
               8, 4096, 1);
    check_body("ff0: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n", 0xff0,
               "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16, 4096, 0);
    check_body("1000: 11\n", 0, "", 0, 0, 1);
    check_body("ffffffff: 11 22\n", 0, "", 0, 0, 1);
    check_body("1000: \n", 0, "", 0, 0, 0); /* no byte to drop */
}

static void test_byte_lines_before_header(void **state)
{
    struct pcidump d;

    (void)state;
    parse_str("00: 11 22\n10: 33\n00:00.0 \n", &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.bad_lines, 2);
    assert_int_equal(d.devs[0].len, 0);
    assert_ff_from(&d.devs[0], 0);
    pcidump_free(&d);
}

static void test_byte_lines_after_blank_line(void **state)
{
    (void)state;
    check_body("00: 11\n\n10: 22\n", 0, "\x11", 1, 1, 1);
    check_body("00: 11\r\n\r\n10: 22\r\n", 0, "\x11", 1, 1, 1);
    /* Only an empty line ends a device: lspci reads on after blanks. */
    check_body("00: 11\n \n01: 22\n", 0, "\x11\x22", 2, 2, 0);
    check_body("00: 11\n\t\n01: 22\n", 0, "\x11\x22", 2, 2, 0);
}

/* ---- line ends, NULs, empty text --------------------------------------- */

static void test_crlf(void **state)
{
    char *text =
        dump_text("0000:00:1c.0 PCI bridge: Intel Corporation 82801JI (ICH10 Family)", 256, "\r\n");
    struct pcidump d;

    (void)state;
    parse_str(text, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.bad_lines, 0);
    assert_int_equal(d.devs[0].dev, 0x1c);
    assert_int_equal(d.devs[0].len, 256);
    for (size_t i = 0; i < 256; i++)
        assert_int_equal(d.devs[0].cfg[i], pattern(i));
    pcidump_free(&d);
    free(text);

    /* Header without the space, but with CR, is no header. */
    parse_str("00:00.0\r\n00: 11\r\n", &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.bad_lines, 2);
    pcidump_free(&d);
}

static void test_nul_bytes(void **state)
{
    static const char text[] = "00:00.0 name\0with a NUL\n"
                               "00: 11 22\0 33\n"
                               "\0\n"
                               "02: 44 \0\n"
                               "04: 55 66\n"
                               "\n"
                               "0\0:01.0 \n"
                               "00: 99\n";
    static const char text2[] = "00:00.0 \n00: 11\0 not the end\n01: 22\n";
    struct pcidump d;

    (void)state;
    assert_int_equal(pcidump_parse(text, sizeof(text) - 1, &d), 0);
    assert_int_equal(d.n, 1);
    /* "22\0" is no token; "44 \0": trailing NUL; "00: 99" is outside a device. */
    assert_int_equal(d.bad_lines, 3);
    assert_int_equal(d.devs[0].len, 6);
    assert_int_equal(d.devs[0].cfg[0], 0x11);
    assert_int_equal(d.devs[0].cfg[1], 0xff);
    assert_int_equal(d.devs[0].cfg[2], 0x44);
    assert_int_equal(d.devs[0].cfg[3], 0xff);
    assert_int_equal(d.devs[0].cfg[4], 0x55);
    assert_int_equal(d.devs[0].cfg[5], 0x66);
    assert_ff_from(&d.devs[0], 6);
    pcidump_free(&d);

    /* The length, not a NUL, ends the text. */
    assert_int_equal(pcidump_parse(text2, sizeof(text2) - 1, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.devs[0].len, 2);
    assert_int_equal(d.devs[0].cfg[1], 0x22);
    pcidump_free(&d);
}

static void test_empty_text(void **state)
{
    struct pcidump d = {.n = 99, .bad_lines = 99};

    (void)state;
    assert_int_equal(pcidump_parse("", 0, &d), 0);
    assert_int_equal(d.n, 0);
    assert_null(d.devs);
    assert_int_equal(d.bad_lines, 0);
    pcidump_free(&d);

    assert_int_equal(pcidump_parse(NULL, 0, &d), 0);
    assert_int_equal(d.n, 0);
    pcidump_free(&d);

    /* The length counts, not the text: nothing of this is read. */
    assert_int_equal(pcidump_parse("00:00.0 \n00: 11\n", 0, &d), 0);
    assert_int_equal(d.n, 0);
    pcidump_free(&d);

    parse_str("\n\n\r\n\n", &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.bad_lines, 0);
    pcidump_free(&d);

    pcidump_free(&d); /* twice is harmless */
    pcidump_free(NULL);
}

/* ---- several devices, long lines --------------------------------------- */

static void test_several_devices(void **state)
{
    struct pcidump d;

    (void)state;
    parse_str("00:00.0 first\n"
              "00: 01 02 03 04\n"
              "\n"
              "00:01.0 second, right after a blank line\n"
              "02: 21 22\n"
              "00:01.1 third, with no blank line before it\n"
              "f0: 31\n"
              "\n"
              "\n"
              "0001:00:00.0 fourth, no bytes\n"
              "\n"
              "ffff:ff:ff.f fifth\n"
              "100: 51 52\n",
              &d);
    assert_int_equal(d.n, 5);
    assert_int_equal(d.bad_lines, 0);

    assert_int_equal(d.devs[0].len, 4);
    assert_int_equal(d.devs[0].cfg[3], 0x04);
    assert_ff_from(&d.devs[0], 4);

    /* Every device starts from all 0xff, not from the previous one's bytes. */
    assert_int_equal(d.devs[1].dev, 1);
    assert_int_equal(d.devs[1].fn, 0);
    assert_int_equal(d.devs[1].len, 4);
    assert_int_equal(d.devs[1].cfg[0], 0xff);
    assert_int_equal(d.devs[1].cfg[1], 0xff);
    assert_int_equal(d.devs[1].cfg[2], 0x21);
    assert_int_equal(d.devs[1].cfg[3], 0x22);
    assert_ff_from(&d.devs[1], 4);

    assert_int_equal(d.devs[2].fn, 1);
    assert_int_equal(d.devs[2].len, 0xf1);
    assert_int_equal(d.devs[2].cfg[0], 0xff);
    assert_int_equal(d.devs[2].cfg[0xf0], 0x31);

    assert_int_equal(d.devs[3].domain, 1);
    assert_int_equal(d.devs[3].len, 0);
    assert_ff_from(&d.devs[3], 0);

    assert_int_equal(d.devs[4].domain, 0xffff);
    assert_int_equal(d.devs[4].bus, 0xff);
    assert_int_equal(d.devs[4].dev, 0xff);
    assert_int_equal(d.devs[4].fn, 0xf);
    assert_int_equal(d.devs[4].len, 0x102);
    assert_int_equal(d.devs[4].cfg[0x101], 0x52);
    pcidump_free(&d);
}

static void test_many_devices(void **state)
{
    /* Enough devices to make the array grow a few times. */
    const size_t ndev = 100;
    char *text = malloc(ndev * 40);
    size_t n = 0;
    struct pcidump d;

    (void)state;
    assert_non_null(text);
    for (size_t i = 0; i < ndev; i++)
        n += (size_t)sprintf(text + n, "%02zx:%02zx.%zx \n00: %02zx\n", i / 32, i % 32 / 8 * 8,
                             i % 8, i);
    assert_int_equal(pcidump_parse(text, n, &d), 0);
    assert_int_equal(d.n, ndev);
    for (size_t i = 0; i < ndev; i++) {
        assert_int_equal(d.devs[i].bus, i / 32);
        assert_int_equal(d.devs[i].fn, i % 8);
        assert_int_equal(d.devs[i].len, 1);
        assert_int_equal(d.devs[i].cfg[0], i);
    }
    pcidump_free(&d);
    free(text);
}

static void test_very_long_lines(void **state)
{
    /* A 100000-character name, 100000 characters of text, then 5000 tokens. */
    const size_t longn = 100000, ntok = 5000;
    size_t cap = 2 * longn + ntok * 3 + 100, n = 0;
    char *text = malloc(cap);
    struct pcidump d;

    (void)state;
    assert_non_null(text);
    n += (size_t)sprintf(text, "00:02.0 ");
    memset(text + n, 'N', longn);
    n += longn;
    text[n++] = '\n';
    text[n++] = '\t';
    memset(text + n, 'x', longn);
    n += longn;
    text[n++] = '\n';
    n += (size_t)sprintf(text + n, "00:");
    for (size_t i = 0; i < ntok; i++)
        n += (size_t)sprintf(text + n, " %02x", (unsigned)(i & 0x7f));
    text[n++] = '\n';
    n += (size_t)sprintf(text + n, "10: 99\n");
    assert_true(n <= cap);

    assert_int_equal(pcidump_parse(text, n, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.devs[0].dev, 2);
    assert_int_equal(d.bad_lines, 1); /* the 5000 tokens run past 4096 */
    assert_int_equal(d.devs[0].len, 4096);
    for (size_t i = 0; i < 4096; i++) {
        if (d.devs[0].cfg[i] != (i == 0x10 ? 0x99 : (i & 0x7f)))
            fail_msg("cfg[0x%zx] = 0x%02x", i, d.devs[0].cfg[i]);
    }
    pcidump_free(&d);
    free(text);
}

/* ---- the corpus ---------------------------------------------------------- */

/*
 * Read a dump file independently of pcidump: the address in its first line
 * (sscanf), the first 16 bytes (the first "00: " line) and the number of
 * device headers (lines matching a POSIX regular expression).
 */
static void read_file_independently(const char *path, unsigned addr[4], uint8_t bytes[16],
                                    size_t *headers)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    bool got_bytes = false;
    regex_t re;

    assert_non_null(f);
    assert_int_equal(regcomp(&re,
                             "^([0-9a-fA-F]{4,6}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-9a-fA-F] ",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    *headers = 0;
    for (size_t lineno = 0; getline(&line, &cap, f) >= 0; lineno++) {
        unsigned v[16];

        if (regexec(&re, line, 0, NULL, 0) == 0)
            ++*headers;
        if (lineno == 0) {
            if (sscanf(line, "%x:%x:%x.%x", &addr[0], &addr[1], &addr[2], &addr[3]) != 4) {
                assert_int_equal(sscanf(line, "%x:%x.%x", &addr[1], &addr[2], &addr[3]), 3);
                addr[0] = 0;
            }
            continue;
        }
        if (got_bytes || strncmp(line, "00: ", 4) != 0)
            continue;
        assert_int_equal(sscanf(line + 4, "%x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x", &v[0],
                                &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                                &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]),
                         16);
        for (int i = 0; i < 16; i++)
            bytes[i] = (uint8_t)v[i];
        got_bytes = true;
    }
    free(line);
    regfree(&re);
    fclose(f);
    if (!got_bytes)
        fail_msg("%s: no \"00: \" line", path);
}

typedef void (*corpus_fn)(const char *path, const struct pcidump *d, void *arg);

/* Load every file in every folder of TEST_DATA_DIR; returns the file count. */
static size_t for_each_corpus_file(corpus_fn fn, void *arg)
{
    DIR *top = opendir(TEST_DATA_DIR);
    struct dirent *e;
    size_t files = 0;

    assert_non_null(top);
    while ((e = readdir(top)) != NULL) {
        char dir[4096];
        struct stat st;
        DIR *sub;
        struct dirent *fe;

        if (e->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", TEST_DATA_DIR, e->d_name);
        assert_int_equal(stat(dir, &st), 0);
        if (!S_ISDIR(st.st_mode))
            continue; /* README.md */
        sub = opendir(dir);
        assert_non_null(sub);
        while ((fe = readdir(sub)) != NULL) {
            char path[8192];
            struct pcidump d;
            int r;

            if (fe->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, fe->d_name);
            assert_int_equal(stat(path, &st), 0);
            if (!S_ISREG(st.st_mode))
                continue;
            r = pcidump_load(path, &d);
            if (r != 0)
                fail_msg("%s: pcidump_load() = %d", path, r);
            fn(path, &d, arg);
            pcidump_free(&d);
            files++;
        }
        closedir(sub);
    }
    closedir(top);
    return files;
}

static void check_corpus_file(const char *path, const struct pcidump *d, void *arg)
{
    size_t *total = arg;
    unsigned addr[4];
    uint8_t bytes[16];
    size_t headers;

    if (d->n < 1)
        fail_msg("%s: no device", path);
    if (d->bad_lines != 0)
        fail_msg("%s: %u bad lines", path, d->bad_lines);
    read_file_independently(path, addr, bytes, &headers);
    if (d->n != headers)
        fail_msg("%s: %zu devices, %zu header lines", path, d->n, headers);
    assert_int_equal(d->devs[0].domain, addr[0]);
    assert_int_equal(d->devs[0].bus, addr[1]);
    assert_int_equal(d->devs[0].dev, addr[2]);
    assert_int_equal(d->devs[0].fn, addr[3]);
    assert_memory_equal(d->devs[0].cfg, bytes, 16);
    for (size_t i = 0; i < d->n; i++) {
        size_t len = d->devs[i].len;

        if (len != 64 && len != 128 && len != 256 && len != 4096)
            fail_msg("%s: device %zu has %zu bytes", path, i, len);
        assert_ff_from(&d->devs[i], len);
    }
    *total += d->n;
}

static void test_corpus_loads(void **state)
{
    size_t total = 0, files;

    (void)state;
    files = for_each_corpus_file(check_corpus_file, &total);
    /* At least 41 pciutils files, 2 pcics, 1 local; 172 + 2 + 6 functions. */
    assert_true(files >= 44);
    assert_true(total >= 180);
}

static void test_corpus_values(void **state)
{
    struct pcidump d;
    const struct pcidump_dev *v;

    (void)state;
    /* Sky Lake-E root port 8086:2030, 4096 bytes, AER at 0x100. */
    assert_int_equal(pcidump_load(TEST_DATA_DIR "/pcics/8086_2030.lspci", &d), 0);
    assert_int_equal(d.n, 1);
    v = &d.devs[0];
    assert_int_equal(v->len, 4096);
    assert_memory_equal(v->cfg, "\x86\x80\x30\x20\x47\x05\x10\x00", 8);
    assert_memory_equal(v->cfg + 0x100, "\x0b\x00\x01\x11\x02\x00\xc0\x00", 8);
    assert_memory_equal(v->cfg + 0x110, "\x0d\x00\x81\x14\x1f\x00", 6);
    pcidump_free(&d);

    /* Cannon Point-LP HDA 8086:9dc8, 256 bytes. */
    assert_int_equal(pcidump_load(TEST_DATA_DIR "/pcics/8086_9dc8.lspci", &d), 0);
    assert_int_equal(d.n, 1);
    v = &d.devs[0];
    assert_int_equal(v->len, 256);
    assert_memory_equal(v->cfg, "\x86\x80\xc8\x9d", 4);
    assert_memory_equal(v->cfg + 0xf8, "\xb5\x0f\x30\x01", 4);
    assert_ff_from(v, 256);
    pcidump_free(&d);

    /* 31 functions in domains 0 to 4; 0002:01:01.0 is an Intel 82545EM 8086:100f. */
    assert_int_equal(pcidump_load(TEST_DATA_DIR "/pciutils/PCI-X-bridges-and-domains", &d), 0);
    assert_int_equal(d.n, 31);
    assert_int_equal(d.devs[0].domain, 0);
    assert_int_equal(d.devs[0].dev, 1);
    assert_memory_equal(d.devs[0].cfg, "\x14\x10\xe0\x00", 4);
    v = NULL;
    for (size_t i = 0; i < d.n; i++) {
        if (d.devs[i].domain == 2 && d.devs[i].bus == 1 && d.devs[i].dev == 1 && d.devs[i].fn == 0)
            v = &d.devs[i];
    }
    assert_non_null(v);
    assert_memory_equal(v->cfg, "\x86\x80\x0f\x10\x47\x01\x30\x02", 8);
    assert_int_equal(d.devs[30].domain, 4);
    pcidump_free(&d);

    /* Broadcom HT2100 1166:0140 at 0a:01.0 (no domain in the file). */
    assert_int_equal(pcidump_load(TEST_DATA_DIR "/pciutils/cap-MSI-mapping", &d), 0);
    assert_int_equal(d.devs[0].domain, 0);
    assert_int_equal(d.devs[0].bus, 0x0a);
    assert_int_equal(d.devs[0].dev, 1);
    assert_memory_equal(d.devs[0].cfg, "\x66\x11\x40\x01", 4);
    pcidump_free(&d);
}

static void test_load_errors(void **state)
{
    struct pcidump d = {.n = 7};

    (void)state;
    assert_int_equal(pcidump_load(TEST_DATA_DIR "/no-such-file", &d), -ENOENT);
    assert_int_equal(d.n, 0);
    assert_null(d.devs);
    assert_int_equal(pcidump_load(TEST_DATA_DIR, &d), -EISDIR);
    assert_int_equal(d.n, 0);
    pcidump_free(&d);
}

/* ---- writing ------------------------------------------------------------- */

static void test_write_format(void **state)
{
    struct pcidump_dev dev = {.domain = 1, .bus = 2, .dev = 0x1f, .fn = 7};
    char *s;

    (void)state;
    for (size_t i = 0; i < PCIDUMP_CFG_SIZE; i++)
        dev.cfg[i] = (uint8_t)i;

    s = write_str(&dev, dev.cfg, 32, "Ethernet controller: Intel Corporation 82545EM");
    assert_string_equal(s, "0001:02:1f.7 Ethernet controller: Intel Corporation 82545EM\n"
                           "00: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"
                           "10: 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f\n"
                           "\n");
    free(s);

    /* 4096 bytes: two-digit offsets below 0x100, three-digit ones from 0x100. */
    s = write_str(&dev, dev.cfg, 4096, NULL);
    assert_int_equal(strlen(s), strlen("0001:02:1f.7 \n") + 16 * (4 + 48) + 240 * (5 + 48) + 1);
    assert_non_null(strstr(s, "\nf0: f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff\n"
                              "100: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"));
    assert_non_null(strstr(s, "\nff0: f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff\n\n"));
    assert_int_equal(strncmp(s, "0001:02:1f.7 \n00: ", 18), 0);
    assert_string_equal(s + strlen(s) - 2, "\n\n");
    free(s);
}

static void test_write_names(void **state)
{
    struct pcidump_dev dev = {.bus = 0xab, .dev = 3, .fn = 1};
    char *s;

    (void)state;
    memset(dev.cfg, 0x5a, sizeof(dev.cfg));
    /* No name, or an empty one: the space after the function stays. */
    s = write_str(&dev, NULL, 0, NULL);
    assert_string_equal(s, "0000:ab:03.1 \n\n");
    free(s);
    s = write_str(&dev, NULL, 0, "");
    assert_string_equal(s, "0000:ab:03.1 \n\n");
    free(s);
    /* A name cannot break the header line. */
    s = write_str(&dev, NULL, 16, "two\nlines\r\n00: 11");
    assert_string_equal(s, "0000:ab:03.1 two lines  00: 11\n"
                           "00: 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a\n\n");
    free(s);
    /* No device: address 0000:00:00.0. */
    s = write_str(NULL, dev.cfg, 0, "x");
    assert_string_equal(s, "0000:00:00.0 x\n\n");
    free(s);
}

static void test_write_lengths(void **state)
{
    struct pcidump_dev dev = {.fn = 2};
    uint8_t small[10];
    char *s;
    struct pcidump d;

    (void)state;
    for (size_t i = 0; i < sizeof(small); i++)
        small[i] = (uint8_t)(0xa0 + i);
    /* Rounded up to 16; bytes past @len are not read but written as ff. */
    s = write_str(&dev, small, sizeof(small), NULL);
    assert_string_equal(s, "0000:00:00.2 \n"
                           "00: a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 ff ff ff ff ff ff\n\n");
    free(s);

    /* More than 4096 is cut to 4096. */
    memset(dev.cfg, 0, sizeof(dev.cfg));
    s = write_str(&dev, NULL, (size_t)-1, NULL);
    parse_str(s, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.devs[0].len, 4096);
    assert_memory_equal(d.devs[0].cfg, dev.cfg, 4096);
    pcidump_free(&d);
    free(s);
}

static void test_write_errors(void **state)
{
    struct pcidump_dev dev = {0};
    FILE *f;

    (void)state;
    f = tmpfile();
    assert_non_null(f);
    assert_int_equal(pcidump_write(NULL, &dev, NULL, 64, NULL), -EINVAL);
    assert_int_equal(pcidump_write(f, NULL, NULL, 64, NULL), -EINVAL);
    dev.domain = 0x1000000;
    assert_int_equal(pcidump_write(f, &dev, NULL, 64, NULL), -EINVAL);
    dev.domain = 0xffffff;
    dev.bus = 0x100;
    assert_int_equal(pcidump_write(f, &dev, NULL, 64, NULL), -EINVAL);
    dev.bus = 0;
    dev.dev = 0x100;
    assert_int_equal(pcidump_write(f, &dev, NULL, 64, NULL), -EINVAL);
    dev.dev = 0;
    dev.fn = 0x10;
    assert_int_equal(pcidump_write(f, &dev, NULL, 64, NULL), -EINVAL);
    dev.fn = 0;
    assert_int_equal(ftell(f), 0); /* nothing written for a refused call */
    assert_int_equal(pcidump_write(f, &dev, NULL, 64, NULL), 0);
    fclose(f);

    /* A full device: every write fails. */
    f = fopen("/dev/full", "w");
    if (!f) {
        print_message("no /dev/full: write error not checked\n");
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(pcidump_write(f, &dev, NULL, 4096, "name"), -EIO);
    fclose(f);
}

/* ---- round trips --------------------------------------------------------- */

/* Write all of @d into a temporary file, named in @path. */
static void write_all(const struct pcidump *d, char *path, size_t pathsz)
{
    int fd;
    FILE *f;

    snprintf(path, pathsz, "/tmp/test-pcidump-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; i < d->n; i++)
        assert_int_equal(pcidump_write(f, &d->devs[i], d->devs[i].cfg, d->devs[i].len,
                                       i % 2 ? "Some device: name (rev 01)" : NULL),
                         0);
    assert_int_equal(fclose(f), 0);
}

static void round_trip_file(const char *path, const struct pcidump *d, void *arg)
{
    char tmp[64];
    struct pcidump again;

    (void)arg;
    write_all(d, tmp, sizeof(tmp));
    assert_int_equal(pcidump_load(tmp, &again), 0);
    unlink(tmp);
    if (again.n != d->n)
        fail_msg("%s: %zu devices, %zu after the round trip", path, d->n, again.n);
    assert_int_equal(again.bad_lines, 0);
    assert_same_devices(d, &again);
    pcidump_free(&again);
}

static void test_round_trip(void **state)
{
    char *text = dump_text("00:00.0 ", 4096, "\n");
    struct pcidump d, again;
    char tmp[64];

    (void)state;
    /* Every corpus file. */
    for_each_corpus_file(round_trip_file, NULL);

    /* A synthetic dump with a hole and a length that is not a multiple of 16. */
    parse_str("0003:04:05.6 \n00: 01 02 03\n200: 11 22\n", &d);
    write_all(&d, tmp, sizeof(tmp));
    assert_int_equal(pcidump_load(tmp, &again), 0);
    unlink(tmp);
    assert_int_equal(again.n, 1);
    assert_int_equal(again.devs[0].domain, 3);
    assert_int_equal(again.devs[0].len, 0x210); /* 0x202 rounded up to 16 */
    assert_memory_equal(again.devs[0].cfg, d.devs[0].cfg, PCIDUMP_CFG_SIZE);
    pcidump_free(&again);
    pcidump_free(&d);

    parse_str(text, &d);
    round_trip_file("4096 synthetic bytes", &d, NULL);
    pcidump_free(&d);
    free(text);
}

/* Run `lspci -F @path -xxxx` and parse what it prints. */
static void lspci_read(const char *path, struct pcidump *out)
{
    char cmd[256];
    FILE *p;
    char *text;
    size_t len;

    snprintf(cmd, sizeof(cmd), "%s -F '%s' -xxxx", LSPCI_PATH, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    text = slurp(p, &len);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(pcidump_parse(text, len, out), 0);
    free(text);
}

static const struct pcidump_dev *find_dev(const struct pcidump *d, const struct pcidump_dev *a)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct pcidump_dev *x = &d->devs[i];

        if (x->domain == a->domain && x->bus == a->bus && x->dev == a->dev && x->fn == a->fn)
            return x;
    }
    return NULL;
}

static void test_lspci_round_trip(void **state)
{
    struct pcidump d, back;
    char tmp[64];
    char *text;
    size_t n;

    (void)state;
    if (access(LSPCI_PATH, X_OK) != 0) {
        print_message("skipped: %s is missing, the lspci round trip needs it\n", LSPCI_PATH);
        skip();
    }

    /*
     * Devices of 4096, 256 and 64 bytes (what lspci -xxxx prints in full),
     * with and without a name, one in a domain of 5 digits, plus the devices
     * of two corpus files.
     */
    {
        char *a = dump_text("0000:00:00.0 ", 4096, "\n");
        char *b = dump_text("00:1f.3 Audio device: something", 256, "\n");
        char *c = dump_text("10000:3a:00.7 ", 64, "\n");
        size_t cap = strlen(a) + strlen(b) + strlen(c) + 4;

        text = malloc(cap);
        assert_non_null(text);
        n = (size_t)snprintf(text, cap, "%s\n%s\n%s", a, b, c);
        free(a);
        free(b);
        free(c);
    }
    assert_int_equal(pcidump_parse(text, n, &d), 0);
    free(text);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.devs[0].len, 4096);
    assert_int_equal(d.devs[2].domain, 0x10000);

    for (int round = 0; round < 3; round++) {
        if (round == 1) {
            pcidump_free(&d);
            assert_int_equal(pcidump_load(TEST_DATA_DIR "/pcics/8086_2030.lspci", &d), 0);
        } else if (round == 2) {
            pcidump_free(&d);
            assert_int_equal(pcidump_load(TEST_DATA_DIR "/pciutils/PCI-X-bridges-and-domains", &d),
                             0);
        }
        write_all(&d, tmp, sizeof(tmp));
        lspci_read(tmp, &back);
        unlink(tmp);
        assert_int_equal(back.n, d.n);
        assert_int_equal(back.bad_lines, 0);
        for (size_t i = 0; i < d.n; i++) {
            const struct pcidump_dev *x = find_dev(&back, &d.devs[i]);

            if (!x)
                fail_msg("lspci lost %04x:%02x:%02x.%x", d.devs[i].domain, d.devs[i].bus,
                         d.devs[i].dev, d.devs[i].fn);
            assert_int_equal(x->len, d.devs[i].len);
            assert_memory_equal(x->cfg, d.devs[i].cfg, PCIDUMP_CFG_SIZE);
        }
        pcidump_free(&back);
    }
    pcidump_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_short_form),
        cmocka_unit_test(test_header_domains),
        cmocka_unit_test(test_header_names_ignored),
        cmocka_unit_test(test_header_not_recognised),
        cmocka_unit_test(test_decoded_text_between_hex_lines),
        cmocka_unit_test(test_dump_64_bytes),
        cmocka_unit_test(test_dump_256_bytes),
        cmocka_unit_test(test_dump_4096_bytes),
        cmocka_unit_test(test_dump_short_last_line),
        cmocka_unit_test(test_token_not_hex),
        cmocka_unit_test(test_token_wrong_length),
        cmocka_unit_test(test_token_separators),
        cmocka_unit_test(test_offset_missing_space),
        cmocka_unit_test(test_offset_length),
        cmocka_unit_test(test_bytes_past_4096),
        cmocka_unit_test(test_byte_lines_before_header),
        cmocka_unit_test(test_byte_lines_after_blank_line),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_several_devices),
        cmocka_unit_test(test_many_devices),
        cmocka_unit_test(test_very_long_lines),
        cmocka_unit_test(test_corpus_loads),
        cmocka_unit_test(test_corpus_values),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_write_format),
        cmocka_unit_test(test_write_names),
        cmocka_unit_test(test_write_lengths),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lspci_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
