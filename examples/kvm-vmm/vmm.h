/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmm.h - the pieces of the example KVM VMM and how they meet.
 *
 * One process runs one guest: a VM with its RAM, an in-kernel irqchip
 * (local APICs, IOAPIC, PIC) and PIT, N vCPU threads, and a few emulated
 * devices reached through port I/O and MMIO exits:
 *
 *   main.c     options, setup order, the end of the run, the watchdog
 *   vm.c       the KVM VM: /dev/kvm, RAM slots, irqchip, PIT
 *   vcpu.c     vCPUs: CPUID, boot registers, the run loop, exit dispatch
 *   boot.c     the Linux x86 boot protocol: bzImage, initrd, boot_params, e820
 *   mptable.c  the Intel MP table (CPUs, IOAPIC, ISA interrupt routing)
 *   serial.c   an 8250/16550A UART (COM1): the guest console
 *   rtc.c      a CMOS real-time clock, read-only time
 *   pci.c      configuration mechanism 1, the host bridge, function dispatch
 *   msixbar.c  a guest access to a vmsix device's MSI-X table BAR
 *   e2edev.c   the end-to-end test function: simfn + vmsix + a control BAR
 *   irq.c      the interrupt path: VT-d remapping, isolation policy, injection
 *   vfiodev.c  a real function passed through with VFIO (--vfio) + vmsix
 *
 * Threads: one per vCPU plus the main thread (watchdog); with --vfio, one
 * more that only counts the VMM's wakeups for the function's interrupts.
 * Each device has its own mutex; vmsix's device object is only ever called
 * with its device's mutex held (vmsix takes no locks: DESIGN section 3).
 */
#ifndef KVM_VMM_H
#define KVM_VMM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "e2e_regs.h"

#define VMM_MAX_CPUS 8

/* Guest physical memory map. */
#define GPA_BOOT_GDT 0x0500u        /* the flat GDT of the 32-bit boot entry */
#define GPA_BOOT_PARAMS 0x7000u     /* struct boot_params, the "zero page" */
#define GPA_CMDLINE 0x20000u        /* the kernel command line */
#define GPA_EBDA 0x9fc00u           /* RAM ends here in the first MiB */
#define GPA_BIOS 0xf0000u           /* reserved "BIOS" area: the MP table */
#define GPA_KERNEL 0x100000u        /* the protected-mode kernel */
#define GPA_LOW_LIMIT 0xc0000000ull /* RAM above this goes above 4 GiB */
#define GPA_HIGH_BASE 0x100000000ull
#define GPA_IOAPIC 0xfec00000u
#define GPA_LAPIC 0xfee00000u
#define GPA_TSS 0xfffbd000u /* KVM_SET_TSS_ADDR: 3 pages, outside RAM */

/* Process exit status: documented in --help and README.md. */
enum vmm_exit {
    VMM_EXIT_PASS = 0,       /* the guest's verdict: PASS */
    VMM_EXIT_FAIL = 1,       /* the guest's verdict: FAIL */
    VMM_EXIT_USAGE = 2,      /* bad options, or setup failed (files, /dev/kvm) */
    VMM_EXIT_TIMEOUT = 3,    /* the watchdog ended a guest without a verdict */
    VMM_EXIT_NO_VERDICT = 4, /* the guest shut down or reset without a verdict */
    VMM_EXIT_ERROR = 5,      /* KVM or the VMM failed while running */
    VMM_EXIT_SIGNAL = 6,     /* SIGINT or SIGTERM */
};

struct vm;
struct serial;
struct rtc;
struct pci_bus;
struct e2edev;
struct vfiodev;

struct vcpu {
    struct vm *vm;
    unsigned id; /* vCPU index = initial APIC ID */
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
};

struct vm {
    int kvm_fd, fd;
    uint8_t *ram;             /* host mapping of all guest RAM */
    uint64_t ram_size;        /* bytes of RAM */
    uint64_t low_size;        /* bytes at GPA 0; the rest is at GPA_HIGH_BASE */
    size_t run_size;          /* KVM_GET_VCPU_MMAP_SIZE */
    struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
    unsigned ncpu;
    struct vcpu cpu[VMM_MAX_CPUS];
    bool verbose;

    struct serial *uart;
    struct rtc *rtc;
    struct pci_bus *pci;
    struct e2edev *e2e;   /* the simulated test function, or */
    struct vfiodev *vfio; /* a real function passed through (--vfio) */

    /* the end of the run (main.c) */
    pthread_mutex_t end_lock;
    pthread_cond_t end_cond;
    atomic_bool ended;
    int exit_code;
    const char *verdict; /* "PASS", "FAIL", "TIMEOUT", "NONE", "ERROR" */
    char reason[160];
    char guest_line[1024]; /* the last "VMSIX-E2E:" console line */
    unsigned running;      /* vCPU threads still running */
};

/* ---- vm.c ---- */

/* Open /dev/kvm, make the VM with @mem_mib MiB of RAM, the in-kernel
 * irqchip and PIT. Returns 0 or -1 (message printed). */
int vm_create(struct vm *vm, uint64_t mem_mib, unsigned ncpu);

/* Map [@gpa, @gpa + @size) of guest physical memory to the VMM's @hva as
 * KVM memory slot @slot (KVM_SET_USER_MEMORY_REGION); @size 0 deletes the
 * slot. Returns 0 or -1 (message printed). */
int vm_set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);

/* The host address of guest physical [@gpa, @gpa + @len), or NULL when it
 * is not all RAM of one slot. */
void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len);

/* ---- vcpu.c ---- */

/* Create every vCPU with its CPUID. Returns 0 or -1. */
int vcpu_create_all(struct vm *vm);

/* Registers of the boot CPU for the 32-bit boot protocol entry. */
int vcpu_set_boot_regs(struct vcpu *c, uint32_t entry, uint32_t boot_params);

/* Start one thread per vCPU. Returns 0 or -1. */
int vcpu_start_all(struct vm *vm);

/* Make every vCPU leave KVM_RUN (after vm_end()). */
void vcpu_kick_all(struct vm *vm);

/* ---- main.c: the end of the run ---- */

/* End the run (first caller wins): record @code, @verdict and the reason,
 * wake the main thread, kick the vCPUs. Thread-safe. */
void vm_end(struct vm *vm, int code, const char *verdict, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Has the run ended? */
bool vm_ended(struct vm *vm);

/* One complete line of guest console output (without the newline). */
void vm_console_line(struct vm *vm, const char *line);

/* A VMM diagnostic on stderr, prefixed "vmm: ". */
void vmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A device's diagnostic, "vmm: <who>: <message>" on stderr. Without
 * @verbose at most VMM_DEV_LOG_LIMIT lines per device (*@logged counts
 * them; the last says that the rest is suppressed). */
#define VMM_DEV_LOG_LIMIT 32u
void vmm_dev_vlog(unsigned *logged, bool verbose, const char *who, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
