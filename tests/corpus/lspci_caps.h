/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helpers: run the real `lspci -D -vvv -F FILE` and read the
 * capability lines it prints, so that our parser is compared with an
 * independent decoder. Also: list the corpus files.
 */
#ifndef VMSIX_TESTS_LSPCI_CAPS_H
#define VMSIX_TESTS_LSPCI_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#define LCAP_MAX 1024

struct lcap {
    unsigned off;
    bool ext;
    unsigned ver;   /* extended: the "vN" lspci printed, 0 when none */
    char text[160]; /* what follows "] " */
};

struct ldev {
    unsigned dom, bus, dev, fn;
    unsigned n;
    struct lcap caps[LCAP_MAX];
    char marker[48]; /* "", or what lspci printed instead of a capability:
                        "access denied", "chain looped", "chain broken" */
    char *body;      /* every line lspci printed for the device (malloc'ed) */
};

/* Path of lspci, or NULL when the build did not find it. */
const char *lspci_path(void);

/* Run lspci on @file; *@out is malloc'ed (free with lspci_free). 0 or -1. */
int lspci_run(const char *file, struct ldev **out, size_t *n);
void lspci_free(struct ldev *d, size_t n);
struct ldev *lspci_find(struct ldev *d, size_t n, unsigned dom, unsigned bus, unsigned dev,
                        unsigned fn);

/*
 * The capability ID that lspci's text names, for the names lspci 3.x
 * prints; for "#xx" and "Extended Capability ID 0xNN" the number itself.
 * Returns 0, or -1 when the name is not in the table (compare offsets only).
 */
int lspci_name_id(const char *text, bool ext, unsigned *id);

/* 1 when lspci's name of @lc is capability @id, 0 when it names another,
 * -1 when the name is not in the table. */
int lspci_id_matches(const struct lcap *lc, unsigned id);

/* Every dump file under TEST_DATA_DIR (no suffix, or .lspci), sorted. */
char **corpus_files(size_t *n);
void corpus_files_free(char **files, size_t n);

#endif
