/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.h - load a Linux bzImage (and an initrd) per the x86 boot protocol
 * (Documentation/arch/x86/boot.rst) and fill the boot_params "zero page"
 * with the command line and the e820 memory map.
 */
#ifndef KVM_VMM_BOOT_H
#define KVM_VMM_BOOT_H

#include <stdint.h>

#include "vmm.h"

/* Where the boot CPU starts: the 32-bit protected-mode entry. */
struct boot_entry {
    uint32_t eip;         /* code32_start */
    uint32_t boot_params; /* %esi: the zero page */
    uint32_t gdt;         /* a flat GDT: 0x10 = code, 0x18 = data */
};

/* Load @kernel (and @initrd, or NULL) into @vm's RAM with @cmdline.
 * Returns 0, or -1 with a message printed. */
int boot_load(struct vm *vm, const char *kernel, const char *initrd, const char *cmdline,
              struct boot_entry *out);

#endif
