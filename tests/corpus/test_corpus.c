/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Corpus test: every function of every real dump in tests/data parses
 * without a sanitizer report, and the chain we find (offsets, kinds,
 * extended versions, IDs) is the chain the real `lspci -vvv -F` decodes.
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

#include <vmsix/capchain.h>

#include "lspci_caps.h"
#include "pcidump.h"

static struct vmsix_capchain chain;

/* Every function parses; a view of 64 bytes or more never gives -EINVAL. */
static void test_corpus_parses(void **state)
{
    size_t nfiles, devices = 0, caps = 0, malformed = 0;
    char **files = corpus_files(&nfiles);

    (void)state;
    assert_true(nfiles >= 40);
    for (size_t f = 0; f < nfiles; f++) {
        struct pcidump d;
        assert_int_equal(pcidump_load(files[f], &d), 0);
        assert_true(d.n > 0);
        for (size_t i = 0; i < d.n; i++) {
            int rc = vmsix_capchain_parse(d.devs[i].cfg, d.devs[i].len, &chain);
            if (d.devs[i].len < 64) {
                assert_int_equal(rc, -EINVAL);
                continue;
            }
            assert_true(rc == 0 || rc == -EBADMSG);
            assert_true(chain.n <= VMSIX_CAPCHAIN_MAX);
            malformed += rc != 0;
            caps += chain.n;
            devices++;
            /* every listed capability lies inside the view and its space */
            for (unsigned k = 0; k < chain.n; k++) {
                const struct vmsix_cap *c = &chain.cap[k];
                assert_true(c->off + c->len <= d.devs[i].len);
                if (!c->ext)
                    assert_true(c->off >= 0x40 && c->off + c->len <= 0x100);
                else
                    assert_true(c->off >= 0x100);
            }
        }
        pcidump_free(&d);
    }
    print_message("corpus: %zu files, %zu functions, %zu capabilities, %zu malformed chains\n",
                  nfiles, devices, caps, malformed);
    assert_true(devices >= 170);
    corpus_files_free(files, nfiles);
}

static void test_corpus_matches_lspci(void **state)
{
    size_t nfiles, compared = 0, caps = 0, by_name = 0, offset_only = 0;
    char **files;

    (void)state;
    if (!lspci_path()) {
        print_message("skipped: lspci (pciutils) was not found when the build was configured\n");
        skip();
    }
    files = corpus_files(&nfiles);
    for (size_t f = 0; f < nfiles; f++) {
        struct pcidump d;
        struct ldev *ld;
        size_t nld;

        assert_int_equal(pcidump_load(files[f], &d), 0);
        assert_int_equal(lspci_run(files[f], &ld, &nld), 0);
        for (size_t i = 0; i < d.n; i++) {
            const struct pcidump_dev *pd = &d.devs[i];
            struct ldev *l = lspci_find(ld, nld, pd->domain, pd->bus, pd->dev, pd->fn);
            int rc;

            if (!l)
                fail_msg("%s %04x:%02x:%02x.%x: not in lspci's output", files[f], pd->domain,
                         pd->bus, pd->dev, pd->fn);
            rc = vmsix_capchain_parse(pd->cfg, pd->len, &chain);
            if (rc == -EBADMSG && (chain.flags & VMSIX_CHAIN_TRUNCATED) && chain.n == 0 &&
                pd->len < 256) {
                /* lspci cannot read past a short dump either */
                assert_string_equal(l->marker, "access denied");
                compared++;
                continue;
            }
            if (rc != 0)
                fail_msg("%s %02x:%02x.%x: parse %d flags %#x at %#x (lspci: %u caps, '%s')",
                         files[f], pd->bus, pd->dev, pd->fn, rc, chain.flags, chain.fault_at,
                         l->n, l->marker);
            if (l->marker[0] || l->n != chain.n)
                fail_msg("%s %02x:%02x.%x: we see %u capabilities, lspci %u ('%s')", files[f],
                         pd->bus, pd->dev, pd->fn, chain.n, l->n, l->marker);
            for (unsigned k = 0; k < chain.n; k++) {
                const struct vmsix_cap *c = &chain.cap[k];
                const struct lcap *lc = &l->caps[k];
                int m;
                if (c->off != lc->off || c->ext != lc->ext || (c->ext && c->ver != lc->ver))
                    fail_msg("%s %02x:%02x.%x cap %u: we %#x%s v%u, lspci %#x%s v%u '%s'",
                             files[f], pd->bus, pd->dev, pd->fn, k, c->off, c->ext ? " ext" : "",
                             c->ver, lc->off, lc->ext ? " ext" : "", lc->ver, lc->text);
                m = lspci_id_matches(lc, c->id);
                if (m == 0)
                    fail_msg("%s %02x:%02x.%x cap at %#x: we read ID %#x, lspci says '%s'",
                             files[f], pd->bus, pd->dev, pd->fn, c->off, c->id, lc->text);
                if (m > 0)
                    by_name++;
                else
                    offset_only++;
                caps++;
            }
            compared++;
        }
        lspci_free(ld, nld);
        pcidump_free(&d);
    }
    print_message("lspci agrees on %zu functions, %zu capabilities (%zu IDs by name, %zu by "
                  "offset only)\n",
                  compared, caps, by_name, offset_only);
    assert_true(compared >= 170);
    assert_true(by_name > 9 * caps / 10);
    corpus_files_free(files, nfiles);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_parses),
        cmocka_unit_test(test_corpus_matches_lspci),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
