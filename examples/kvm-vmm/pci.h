/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.h - PCI bus 0: configuration mechanism 1 (ports 0xCF8/0xCFC), a host
 * bridge at 00:00.0, and functions that devices register. MMIO exits go
 * to every function in turn; each decodes its own BARs.
 */
#ifndef KVM_VMM_PCI_H
#define KVM_VMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_DEVFN(dev, fn) ((uint8_t)(((dev) << 3) | (fn)))

/* The value of @n (<= 8) little-endian bytes: configuration and MMIO data. */
static inline uint64_t pci_le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Store the low @n (<= 8) bytes of @v little-endian. */
static inline void pci_le_put(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* What a function does. Called without any lock held; the function
 * serializes itself. Offsets are 0..255 (mechanism 1 reaches no further),
 * sizes 1, 2 or 4, naturally aligned. */
struct pci_func_ops {
    uint32_t (*cfg_read)(void *ctx, uint16_t off, unsigned size);
    void (*cfg_write)(void *ctx, uint16_t off, unsigned size, uint32_t val);
    /* An MMIO access at guest physical @gpa: true when one of the
     * function's BARs claims it (reads fill @data). */
    bool (*mmio)(void *ctx, uint64_t gpa, uint8_t *data, unsigned len, bool is_write);
};

struct pci_bus;

/* Bus 0 with the host bridge at 00:00.0. NULL on allocation failure. */
struct pci_bus *pci_create(void);

/* Put a function at @devfn (device 1..31). Returns 0 or -1 (taken). */
int pci_add(struct pci_bus *b, uint8_t devfn, const struct pci_func_ops *ops, void *ctx);

/* A port access; false when @port is not 0xCF8..0xCFF. */
bool pci_io(struct pci_bus *b, uint16_t port, uint8_t *data, unsigned size, bool is_write);

/* An MMIO access; false when no function claims it. */
bool pci_mmio(struct pci_bus *b, uint64_t gpa, uint8_t *data, unsigned len, bool is_write);

#endif
