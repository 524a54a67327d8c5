/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lspci oracle: edit real functions (hide every capability in turn, replace
 * MSI by MSI-X and Power Management by a vendor-specific capability, insert
 * a vendor-specific capability), print the results in `lspci -xxxx` format,
 * decode them with the real `lspci -vvv -F`, and check that the chain lspci
 * sees is the one we meant, and that our own re-parse agrees.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>

#include "lspci_caps.h"
#include "pcidump.h"

/* What a variant should look like. */
struct want_cap {
    uint16_t off, id;
    bool ext;
    uint8_t ver;
};

struct variant {
    struct pcidump_dev dev; /* address = the variant's index */
    char what[128];
    unsigned n;
    struct want_cap caps[VMSIX_CAPCHAIN_MAX];
    char must_show[2][96]; /* lines lspci must print for it ("" = none) */
    char must_not_show[32];
};

static struct vmsix_capchain chain, rechain;
static struct variant *vars;
static size_t nvars, capvars;
static unsigned kinds[5];

static struct variant *new_variant(const struct pcidump_dev *src, const char *what)
{
    struct variant *v;

    if (nvars == capvars) {
        capvars = capvars ? 2 * capvars : 64;
        vars = realloc(vars, capvars * sizeof(*vars));
        assert_non_null(vars);
    }
    v = &vars[nvars];
    memset(v, 0, sizeof(*v));
    v->dev = *src;
    v->dev.domain = (unsigned)(nvars >> 16);
    v->dev.bus = (unsigned)((nvars >> 8) & 0xff);
    v->dev.dev = (unsigned)((nvars >> 3) & 0x1f);
    v->dev.fn = (unsigned)(nvars & 7);
    snprintf(v->what, sizeof(v->what), "%s", what);
    nvars++;
    return v;
}

static void want_from_chain(struct variant *v, const struct vmsix_capchain *c, int skip_index,
                            bool drop_ext)
{
    v->n = 0;
    for (unsigned k = 0; k < c->n; k++) {
        if ((int)k == skip_index || (drop_ext && c->cap[k].ext))
            continue;
        v->caps[v->n++] = (struct want_cap){c->cap[k].off, c->cap[k].id, c->cap[k].ext,
                                            c->cap[k].ver};
    }
}

/* Build every variant of one function. */
static void make_variants(const struct pcidump_dev *pd, const char *file)
{
    char what[128];
    struct vmsix_cap msi, pm;

    if (pd->len < 256 || vmsix_capchain_parse(pd->cfg, pd->len, &chain) != 0)
        return;

    /* hide each capability in turn */
    for (unsigned k = 0; k < chain.n; k++) {
        const struct vmsix_cap *c = &chain.cap[k];
        struct variant *v;
        snprintf(what, sizeof(what), "%s %02x:%02x.%x hide %s %#x", file, pd->bus, pd->dev,
                 pd->fn, c->ext ? "ext" : "std", c->off);
        v = new_variant(pd, what);
        assert_int_equal(vmsix_capchain_hide(v->dev.cfg, v->dev.len, c->ext, c->off), 0);
        if (c->ext && c->off == 0x100) {
            want_from_chain(v, &chain, -1, false);
            v->caps[k].id = 0; /* stays, as the Null capability */
        } else {
            /* hiding the PCIe capability takes the extended list with it */
            bool other_exp = false;
            for (unsigned j = 0; j < chain.n; j++)
                other_exp |= j != k && !chain.cap[j].ext && chain.cap[j].id == VMSIX_CAP_ID_EXP;
            want_from_chain(v, &chain, (int)k,
                            !c->ext && c->id == VMSIX_CAP_ID_EXP && !other_exp);
        }
        kinds[0]++;
    }

    /* MSI -> MSI-X in place: table in the lowest free BAR, PBA at 0x800 */
    if (vmsix_capchain_find(&chain, false, VMSIX_CAP_ID_MSI, &msi) == 0) {
        unsigned mmc = (pd->cfg[msi.off + 2] >> 1) & 7;
        unsigned nvec = 1u << (mmc > 5 ? 5 : mmc), bir = 0, idx = 0;
        uint8_t msix[12] = {VMSIX_CAP_ID_MSIX, 0};
        struct variant *v;

        if (vmsix_bar_free_slot(pd->cfg, pd->len, NULL, &bir) != 0)
            bir = 0;
        msix[2] = (uint8_t)(nvec - 1);
        msix[4] = (uint8_t)bir;
        msix[8] = (uint8_t)(0x800 | bir);
        msix[9] = 0x08;
        snprintf(what, sizeof(what), "%s %02x:%02x.%x MSI->MSI-X at %#x", file, pd->bus, pd->dev,
                 pd->fn, msi.off);
        v = new_variant(pd, what);
        assert_int_equal(vmsix_capchain_replace(v->dev.cfg, v->dev.len, false, msi.off, msix, 12),
                         0);
        want_from_chain(v, &chain, -1, false);
        for (idx = 0; idx < v->n; idx++)
            if (!v->caps[idx].ext && v->caps[idx].off == msi.off)
                v->caps[idx].id = VMSIX_CAP_ID_MSIX;
        snprintf(v->must_show[0], sizeof(v->must_show[0]),
                 "[%02x] MSI-X: Enable- Count=%u Masked-", msi.off, nvec);
        snprintf(v->must_show[1], sizeof(v->must_show[1]), "PBA: BAR=%u offset=00000800", bir);
        snprintf(v->must_not_show, sizeof(v->must_not_show), "[%02x] MSI:", msi.off);
        kinds[1]++;
    }

    /* Power Management -> an 8-byte vendor-specific capability */
    if (vmsix_capchain_find(&chain, false, VMSIX_CAP_ID_PM, &pm) == 0) {
        static const uint8_t vndr[8] = {VMSIX_CAP_ID_VNDR, 0xff, 0x08, 0xa5, 0x5a, 0, 0, 0};
        struct variant *v;

        snprintf(what, sizeof(what), "%s %02x:%02x.%x PM->vendor at %#x", file, pd->bus, pd->dev,
                 pd->fn, pm.off);
        v = new_variant(pd, what);
        assert_int_equal(vmsix_capchain_replace(v->dev.cfg, v->dev.len, false, pm.off, vndr, 8),
                         0);
        want_from_chain(v, &chain, -1, false);
        for (unsigned i = 0; i < v->n; i++)
            if (!v->caps[i].ext && v->caps[i].off == pm.off)
                v->caps[i].id = VMSIX_CAP_ID_VNDR;
        snprintf(v->must_show[0], sizeof(v->must_show[0]),
                 "[%02x] Vendor Specific Information: Len=08", pm.off);
        kinds[2]++;
    }

    /* insert a vendor-specific capability at the end of the standard list */
    {
        static const uint8_t vndr[8] = {VMSIX_CAP_ID_VNDR, 0, 0x08, 1, 2, 3, 4, 5};
        struct variant *v;
        uint16_t off = 0;
        unsigned last_std = 0;

        snprintf(what, sizeof(what), "%s %02x:%02x.%x insert vendor", file, pd->bus, pd->dev,
                 pd->fn);
        v = new_variant(pd, what);
        if (vmsix_capchain_insert(v->dev.cfg, v->dev.len, false, vndr, 8, &off) != 0) {
            nvars--; /* no room: nothing to check */
        } else {
            want_from_chain(v, &chain, -1, false);
            for (unsigned i = 0; i < v->n; i++)
                if (!v->caps[i].ext)
                    last_std = i + 1;
            memmove(&v->caps[last_std + 1], &v->caps[last_std],
                    (v->n - last_std) * sizeof(v->caps[0]));
            v->caps[last_std] = (struct want_cap){off, VMSIX_CAP_ID_VNDR, false, 0};
            v->n++;
            snprintf(v->must_show[0], sizeof(v->must_show[0]),
                     "[%02x] Vendor Specific Information: Len=08", off);
            kinds[3]++;
        }
    }
}

static void check_variant(const struct variant *v, struct ldev *l)
{
    /* our own re-parse */
    assert_int_equal(vmsix_capchain_parse(v->dev.cfg, v->dev.len, &rechain), 0);
    if (rechain.n != v->n)
        fail_msg("%s: re-parse finds %u capabilities, want %u", v->what, rechain.n, v->n);
    for (unsigned k = 0; k < v->n; k++) {
        const struct vmsix_cap *c = &rechain.cap[k];
        if (c->off != v->caps[k].off || c->id != v->caps[k].id || c->ext != v->caps[k].ext)
            fail_msg("%s: re-parse cap %u is %#x id %#x, want %#x id %#x", v->what, k, c->off,
                     c->id, v->caps[k].off, v->caps[k].id);
    }
    /* lspci */
    if (!l)
        fail_msg("%s: missing from lspci's output", v->what);
    if (l->marker[0] || l->n != v->n)
        fail_msg("%s: lspci sees %u capabilities ('%s'), want %u", v->what, l->n, l->marker,
                 v->n);
    for (unsigned k = 0; k < v->n; k++) {
        const struct lcap *lc = &l->caps[k];
        if (lc->off != v->caps[k].off || lc->ext != v->caps[k].ext ||
            (lc->ext && lc->ver != v->caps[k].ver))
            fail_msg("%s: lspci cap %u at %#x, want %#x", v->what, k, lc->off, v->caps[k].off);
        if (lspci_id_matches(lc, v->caps[k].id) == 0)
            fail_msg("%s: lspci names cap %#x '%s', want ID %#x", v->what, lc->off, lc->text,
                     v->caps[k].id);
    }
    for (unsigned i = 0; i < 2; i++)
        if (v->must_show[i][0] && !strstr(l->body, v->must_show[i]))
            fail_msg("%s: lspci does not show '%s':\n%s", v->what, v->must_show[i], l->body);
    if (v->must_not_show[0] && strstr(l->body, v->must_not_show))
        fail_msg("%s: lspci still shows '%s'", v->what, v->must_not_show);
}

static void test_edits_decoded_by_lspci(void **state)
{
    size_t nfiles, checked = 0;
    char **files;
    char tmpl[] = "/tmp/vmsix-oracle-XXXXXX";
    int fd;

    (void)state;
    if (!lspci_path()) {
        print_message("skipped: lspci (pciutils) was not found when the build was configured\n");
        skip();
    }
    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    files = corpus_files(&nfiles);
    for (size_t f = 0; f < nfiles; f++) {
        struct pcidump d;
        struct ldev *ld;
        size_t nld;
        FILE *out;

        assert_int_equal(pcidump_load(files[f], &d), 0);
        nvars = 0;
        for (size_t i = 0; i < d.n; i++)
            make_variants(&d.devs[i], strrchr(files[f], '/') + 1);
        out = fopen(tmpl, "w");
        assert_non_null(out);
        for (size_t i = 0; i < nvars; i++)
            assert_int_equal(pcidump_write(out, &vars[i].dev, vars[i].dev.cfg, vars[i].dev.len,
                                           vars[i].what),
                             0);
        assert_int_equal(fclose(out), 0);
        assert_int_equal(lspci_run(tmpl, &ld, &nld), 0);
        for (size_t i = 0; i < nvars; i++) {
            const struct pcidump_dev *vd = &vars[i].dev;
            check_variant(&vars[i], lspci_find(ld, nld, vd->domain, vd->bus, vd->dev, vd->fn));
            checked++;
        }
        lspci_free(ld, nld);
        pcidump_free(&d);
    }
    unlink(tmpl);
    print_message("lspci decoded %zu edited functions as intended: %u hides, %u MSI->MSI-X, "
                  "%u PM->vendor, %u inserts\n",
                  checked, kinds[0], kinds[1], kinds[2], kinds[3]);
    assert_true(kinds[0] > 500 && kinds[1] > 20 && kinds[2] > 50 && kinds[3] > 20);
    corpus_files_free(files, nfiles);
    free(vars);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edits_decoded_by_lspci),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
