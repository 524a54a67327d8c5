/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mptable.h - the Intel MultiProcessor Specification 1.4 table, which tells
 * a guest booted without ACPI (acpi=off) its CPUs, its IOAPIC and how ISA
 * interrupts reach the IOAPIC.
 */
#ifndef KVM_VMM_MPTABLE_H
#define KVM_VMM_MPTABLE_H

#include "vmm.h"

#define MPTABLE_IOAPIC_PINS 24u /* KVM's in-kernel IOAPIC */

/* Write the floating pointer and the configuration table at GPA_BIOS.
 * Returns 0 or -1. */
int mptable_write(struct vm *vm);

#endif
