/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mptable.c - the MP table (Intel MultiProcessor Specification 1.4).
 *
 * Linux finds the 16-byte floating pointer ("_MP_") by scanning the BIOS
 * area 0xF0000-0xFFFFF; it points at the configuration table ("PCMP"):
 * a header, then entries:
 *   processor  one per vCPU, APIC ID = vCPU index, vCPU 0 the BSP
 *   bus        0 = PCI, 1 = ISA
 *   IOAPIC     ID = ncpu (after the local APIC IDs), at 0xFEC00000
 *   I/O irq    ISA IRQ n -> IOAPIC pin n, n = 0..15, as KVM's default GSI
 *              routing wires them (the in-kernel PIT raises GSI 0 = pin 0;
 *              COM1 is IRQ 4 = pin 4); "conforming" = ISA's edge, high
 *   local irq  ExtINT on LINT0 and NMI on LINT1 of every local APIC
 * PCI interrupts need no entry: the test function uses MSI / MSI-X only.
 */
#include <string.h>

#include "mptable.h"

#define MP_BUS_PCI 0u
#define MP_BUS_ISA 1u
#define MP_LAPIC_VERSION 0x14u
#define MP_IOAPIC_VERSION 0x11u

/* entry types */
#define MP_PROCESSOR 0u
#define MP_BUS 1u
#define MP_IOAPIC 2u
#define MP_INTSRC 3u
#define MP_LINTSRC 4u
/* interrupt types */
#define MP_INT 0u
#define MP_NMI 1u
#define MP_EXTINT 3u

#define CPU_ENABLED 0x1u
#define CPU_BSP 0x2u

struct mp_writer {
    uint8_t *base, *p;
    unsigned entries;
};

static void put(uint8_t *p, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum = (uint8_t)(sum + *p++);
    return (uint8_t)(0u - sum);
}

static void cpuid1(const struct vm *vm, uint32_t *eax, uint32_t *edx)
{
    *eax = *edx = 0;
    for (uint32_t i = 0; i < vm->cpuid->nent; i++) {
        if (vm->cpuid->entries[i].function == 1) {
            *eax = vm->cpuid->entries[i].eax;
            *edx = vm->cpuid->entries[i].edx;
        }
    }
}

static uint8_t *entry(struct mp_writer *w, unsigned len)
{
    uint8_t *e = w->p;

    memset(e, 0, len);
    w->p += len;
    w->entries++;
    return e;
}

/* Type 3 (I/O interrupt) or 4 (local interrupt): 8 bytes. */
static void irq_entry(struct mp_writer *w, uint8_t type, uint8_t irqtype, uint8_t bus,
                      uint8_t busirq, uint8_t dst, uint8_t pin)
{
    uint8_t *e = entry(w, 8);

    e[0] = type;
    e[1] = irqtype;
    put(e + 2, 2, 0); /* polarity and trigger: conforming to the bus */
    e[4] = bus;
    e[5] = busirq;
    e[6] = dst;
    e[7] = pin;
}

int mptable_write(struct vm *vm)
{
    struct mp_writer w;
    uint8_t *mpf = vm_gpa(vm, GPA_BIOS, 0x1000), *e;
    uint32_t sig, features;
    uint8_t ioapic_id = (uint8_t)vm->ncpu;

    if (!mpf)
        return -1;
    memset(mpf, 0, 0x1000);
    cpuid1(vm, &sig, &features);

    w.base = mpf + 16; /* the configuration table follows the pointer */
    w.p = w.base + 44; /* after its header */
    w.entries = 0;
    for (unsigned i = 0; i < vm->ncpu; i++) {
        e = entry(&w, 20);
        e[0] = MP_PROCESSOR;
        e[1] = (uint8_t)i; /* local APIC ID */
        e[2] = MP_LAPIC_VERSION;
        e[3] = (uint8_t)(CPU_ENABLED | (i == 0 ? CPU_BSP : 0));
        put(e + 4, 4, sig);
        put(e + 8, 4, features);
    }
    e = entry(&w, 8);
    e[0] = MP_BUS;
    e[1] = MP_BUS_PCI;
    memcpy(e + 2, "PCI   ", 6);
    e = entry(&w, 8);
    e[0] = MP_BUS;
    e[1] = MP_BUS_ISA;
    memcpy(e + 2, "ISA   ", 6);
    e = entry(&w, 8);
    e[0] = MP_IOAPIC;
    e[1] = ioapic_id;
    e[2] = MP_IOAPIC_VERSION;
    e[3] = 1; /* enabled */
    put(e + 4, 4, GPA_IOAPIC);
    for (uint8_t irq = 0; irq < 16; irq++)
        irq_entry(&w, MP_INTSRC, MP_INT, MP_BUS_ISA, irq, ioapic_id, irq);
    irq_entry(&w, MP_LINTSRC, MP_EXTINT, MP_BUS_ISA, 0, 0xff, 0);
    irq_entry(&w, MP_LINTSRC, MP_NMI, MP_BUS_ISA, 0, 0xff, 1);

    /* the configuration table header */
    memcpy(w.base, "PCMP", 4);
    put(w.base + 4, 2, (uint32_t)(w.p - w.base)); /* base table length */
    w.base[6] = 4;                                /* specification 1.4 */
    memcpy(w.base + 8, "VMSIX   ", 8);            /* OEM ID */
    memcpy(w.base + 16, "KVM-VMM     ", 12);      /* product ID */
    put(w.base + 34, 2, w.entries);
    put(w.base + 36, 4, GPA_LAPIC);
    w.base[7] = checksum(w.base, (size_t)(w.p - w.base));

    /* the floating pointer */
    memcpy(mpf, "_MP_", 4);
    put(mpf + 4, 4, GPA_BIOS + 16);
    mpf[8] = 1; /* length in 16-byte units */
    mpf[9] = 4; /* specification 1.4 */
    /* feature byte 1 = 0: the configuration table is present; feature
     * byte 2 = 0: virtual wire mode, no IMCR */
    mpf[10] = checksum(mpf, 16);
    return 0;
}
