/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci.c - configuration mechanism 1 on bus 0.
 *
 * 0xCF8 (dword accesses only) latches an address: bit 31 enable, 23:16
 * bus, 15:11 device, 10:8 function, 7:2 register. 0xCFC..0xCFF then read
 * or write that dword of the function's configuration space, 1, 2 or 4
 * bytes, naturally aligned. Absent functions, other buses and a disabled
 * address read all ones and ignore writes. Byte and word accesses to
 * 0xCF8..0xCFB are not claimed (0xCF9 is the chipset's reset register,
 * vcpu.c handles it), as on a PC chipset.
 *
 * The host bridge at 00:00.0 is read-only: class 06/00/00, so that Linux's
 * mechanism 1 sanity check finds a host bridge.
 */
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "vmm.h"

#define CONF1_ADDR 0xcf8u
#define CONF1_DATA 0xcfcu
#define CONF1_ENABLE 0x80000000u

/* The host bridge's identity: the ID QEMU gives its generic host bridge
 * (1b36:0008); Linux has no driver or quirk for it. */
#define HB_VENDOR 0x1b36u
#define HB_DEVICE 0x0008u

struct pci_slot {
    const struct pci_func_ops *ops;
    void *ctx;
};

struct pci_bus {
    pthread_mutex_t lock; /* the address latch */
    uint32_t addr;
    struct pci_slot fn[256];
    uint8_t hb_cfg[256];
};

static uint32_t hb_read(void *ctx, uint16_t off, unsigned size)
{
    const uint8_t *cfg = ctx;
    uint32_t v = 0;

    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)cfg[off + i] << (8 * i);
    return v;
}

static void hb_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
    (void)ctx;
    (void)off;
    (void)size;
    (void)val; /* read-only */
}

static bool hb_mmio(void *ctx, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
    (void)ctx;
    (void)gpa;
    (void)data;
    (void)len;
    (void)is_write;
    return false; /* no BARs */
}

static const struct pci_func_ops hb_ops = {hb_read, hb_write, hb_mmio};

struct pci_bus *pci_create(void)
{
    struct pci_bus *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->hb_cfg[0x00] = HB_VENDOR & 0xff;
    b->hb_cfg[0x01] = HB_VENDOR >> 8;
    b->hb_cfg[0x02] = HB_DEVICE & 0xff;
    b->hb_cfg[0x03] = HB_DEVICE >> 8;
    b->hb_cfg[0x04] = 0x06; /* Command: memory and bus master decode */
    b->hb_cfg[0x0b] = 0x06; /* class: bridge, subclass 00: host bridge */
    b->fn[PCI_DEVFN(0, 0)].ops = &hb_ops;
    b->fn[PCI_DEVFN(0, 0)].ctx = b->hb_cfg;
    return b;
}

int pci_add(struct pci_bus *b, uint8_t devfn, const struct pci_func_ops *ops, void *ctx)
{
    if (b->fn[devfn].ops)
        return -1;
    b->fn[devfn].ops = ops;
    b->fn[devfn].ctx = ctx;
    return 0;
}

bool pci_io(struct pci_bus *b, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
    const struct pci_slot *s = NULL;
    uint32_t addr;
    uint16_t off;

    if (port >= CONF1_ADDR && port < CONF1_DATA) {
        if (port != CONF1_ADDR || size != 4)
            return false;
        pthread_mutex_lock(&b->lock);
        if (is_write)
            b->addr = (uint32_t)pci_le_get(data, 4) & 0x80fffffcu; /* reserved bits read 0 */
        else
            pci_le_put(data, 4, b->addr);
        pthread_mutex_unlock(&b->lock);
        return true;
    }
    if (port < CONF1_DATA || port >= CONF1_DATA + 4)
        return false;

    pthread_mutex_lock(&b->lock);
    addr = b->addr;
    pthread_mutex_unlock(&b->lock);
    off = (uint16_t)((addr & 0xfcu) + (port - CONF1_DATA));
    if ((addr & CONF1_ENABLE) && ((addr >> 16) & 0xffu) == 0 &&
        (size == 1 || size == 2 || size == 4) && !(off & (size - 1)))
        s = &b->fn[(addr >> 8) & 0xffu];
    if (!s || !s->ops) {
        if (!is_write)
            pci_le_put(data, size, 0xffffffffu);
        return true;
    }
    if (is_write)
        s->ops->cfg_write(s->ctx, off, size, (uint32_t)pci_le_get(data, size));
    else
        pci_le_put(data, size, s->ops->cfg_read(s->ctx, off, size));
    return true;
}

bool pci_mmio(struct pci_bus *b, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
    for (unsigned i = 0; i < 256; i++)
        if (b->fn[i].ops && b->fn[i].ops->mmio(b->fn[i].ctx, gpa, data, len, is_write))
            return true;
    return false;
}
