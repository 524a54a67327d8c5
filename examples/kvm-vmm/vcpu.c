/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vcpu.c - vCPUs: creation, CPUID, boot registers, the run loop.
 *
 * vCPU n has initial APIC ID n (KVM's default); its CPUID is what
 * KVM_GET_SUPPORTED_CPUID offers with the APIC ID patched into leaf 1
 * (EBX 31:24) and the x2APIC ID of leaves 0xB and 0x1F (EDX), and the
 * hypervisor bit (leaf 1 ECX 31) set, without which Linux ignores KVM's
 * leaves 0x40000000+ (no kvm-clock, no TSC frequency). vCPU 0 is
 * the boot CPU and starts at the kernel's 32-bit entry; the others wait in
 * the in-kernel local APIC for the guest's INIT/SIPI.
 *
 * Each vCPU runs KVM_RUN in its own thread and handles the exits that
 * reach user space: port I/O (serial, RTC, PCI configuration, the reset
 * register, the guest's verdict port E2E_EXIT_PORT) and MMIO (PCI BARs).
 * vm_end() stops them: it sets kvm_run.immediate_exit and sends SIGUSR1,
 * so that KVM_RUN returns EINTR whether the thread was inside it or about
 * to enter it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "pci.h"
#include "rtc.h"
#include "serial.h"
#include "vmm.h"

#define PORT_RESET_CONTROL 0xcf9u /* bit 2: reset the CPU */

static int set_cpuid(struct vcpu *c)
{
    const struct kvm_cpuid2 *base = c->vm->cpuid;
    size_t size = sizeof(*base) + base->nent * sizeof(base->entries[0]);
    struct kvm_cpuid2 *cpuid = malloc(size);
    int rc;

    if (!cpuid)
        return -1;
    memcpy(cpuid, base, size);
    for (uint32_t i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

        if (e->function == 1) {
            e->ebx = (e->ebx & 0x00ffffffu) | (c->id << 24);
            e->ecx |= 1u << 31; /* "running on a hypervisor": kvm-clock, PV */
        } else if (e->function == 0xb || e->function == 0x1f)
            e->edx = c->id;
    }
    rc = ioctl(c->fd, KVM_SET_CPUID2, cpuid);
    if (rc < 0)
        vmm_log("KVM_SET_CPUID2 (vCPU %u): %s", c->id, strerror(errno));
    free(cpuid);
    return rc < 0 ? -1 : 0;
}

int vcpu_create_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->ncpu; i++) {
        struct vcpu *c = &vm->cpu[i];

        c->vm = vm;
        c->id = i;
        c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)i);
        if (c->fd < 0) {
            vmm_log("KVM_CREATE_VCPU %u: %s", i, strerror(errno));
            return -1;
        }
        c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
        if (c->run == MAP_FAILED) {
            vmm_log("mmap of vCPU %u: %s", i, strerror(errno));
            c->run = NULL;
            return -1;
        }
        if (set_cpuid(c))
            return -1;
    }
    return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffffu;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->dpl = 0;
    s->db = 1; /* 32-bit */
    s->s = 1;  /* code or data */
    s->g = 1;  /* 4 KiB granularity */
}

int vcpu_set_boot_regs(struct vcpu *c, uint32_t entry, uint32_t boot_params)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;

    if (ioctl(c->fd, KVM_GET_SREGS, &sregs) < 0) {
        vmm_log("KVM_GET_SREGS: %s", strerror(errno));
        return -1;
    }
    /* protected mode, paging off, flat 4 GiB segments: __BOOT_CS = 0x10,
     * __BOOT_DS = 0x18, as boot.rst asks (the GDT at GPA_BOOT_GDT matches) */
    flat_segment(&sregs.cs, 0x10, 0xb);
    flat_segment(&sregs.ds, 0x18, 0x3);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = GPA_BOOT_GDT;
    sregs.gdt.limit = 4 * 8 - 1;
    sregs.cr0 = (sregs.cr0 | 0x1u) & ~0x80000000ull; /* PE, no PG */
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (ioctl(c->fd, KVM_SET_SREGS, &sregs) < 0) {
        vmm_log("KVM_SET_SREGS: %s", strerror(errno));
        return -1;
    }
    memset(&regs, 0, sizeof(regs));
    regs.rflags = 0x2; /* interrupts off */
    regs.rip = entry;
    regs.rsi = boot_params;
    if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0) {
        vmm_log("KVM_SET_REGS: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- exits ---- */

static void port_io(struct vcpu *c, uint16_t port, uint8_t *data, unsigned size, bool out)
{
    struct vm *vm = c->vm;

    if (serial_io(vm->uart, port, data, size, out) || rtc_io(vm->rtc, port, data, size, out) ||
        pci_io(vm->pci, port, data, size, out))
        return;
    if (port == E2E_EXIT_PORT) {
        /* the guest's verdict (e2e_regs.h): one byte; anything else is FAIL */
        if (!out)
            memset(data, 0xff, size);
        else if (size == 1 && data[0] == E2E_EXIT_PORT_PASS)
            vm_end(vm, VMM_EXIT_PASS, "PASS", "the guest wrote E2E_EXIT_PORT_PASS to port %#x",
                   port);
        else if (size == 1 && data[0] == E2E_EXIT_PORT_FAIL)
            vm_end(vm, VMM_EXIT_FAIL, "FAIL", "the guest wrote E2E_EXIT_PORT_FAIL to port %#x",
                   port);
        else
            vm_end(vm, VMM_EXIT_FAIL, "FAIL", "the guest wrote %#x to port %#x (%u-byte access)",
                   (unsigned)data[0], port, size);
        return;
    }
    if (port == PORT_RESET_CONTROL && size == 1) {
        if (out && (data[0] & 0x04))
            vm_end(vm, VMM_EXIT_NO_VERDICT, "NONE", "the guest reset the machine (port 0xcf9)");
        else if (!out)
            data[0] = 0;
        return;
    }
    /* nothing here: reads float high, writes vanish (port 0x80 delays...) */
    if (!out)
        memset(data, 0xff, size);
}

static void handle_io(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;

    if (size != 1 && size != 2 && size != 4)
        return;
    /* string I/O (rep ins/outs) comes as count consecutive items */
    for (uint32_t i = 0; i < run->io.count; i++, data += size)
        port_io(c, run->io.port, data, size, run->io.direction == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    unsigned len = run->mmio.len;

    if (len == 0 || len > sizeof(run->mmio.data))
        return;
    if (pci_mmio(c->vm->pci, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write))
        return;
    if (!run->mmio.is_write)
        memset(run->mmio.data, 0xff, len); /* nothing decodes it */
    if (c->vm->verbose)
        vmm_log("vCPU %u: unclaimed MMIO %s at %#llx", c->id, run->mmio.is_write ? "write" : "read",
                (unsigned long long)run->mmio.phys_addr);
}

/* One exit; false when the run must stop. */
static bool handle_exit(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    struct vm *vm = c->vm;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(c);
        return true;
    case KVM_EXIT_MMIO:
        handle_mmio(c);
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_SHUTDOWN:
        /* a triple fault: reboot=t, a reboot, a panic with panic=-1 ... */
        vm_end(vm, VMM_EXIT_NO_VERDICT, "NONE", "the guest shut down (vCPU %u: triple fault)",
               c->id);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        vm_end(vm, VMM_EXIT_NO_VERDICT, "NONE", "the guest asked for a system event %u",
               run->system_event.type);
        return false;
    case KVM_EXIT_HLT:
        vm_end(vm, VMM_EXIT_NO_VERDICT, "NONE", "vCPU %u halted", c->id);
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        vm_end(vm, VMM_EXIT_ERROR, "ERROR", "vCPU %u: entry failed, reason %#llx", c->id,
               (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        vm_end(vm, VMM_EXIT_ERROR, "ERROR", "vCPU %u: KVM internal error, suberror %u", c->id,
               run->internal.suberror);
        return false;
    default:
        vm_end(vm, VMM_EXIT_ERROR, "ERROR", "vCPU %u: unexpected exit reason %u", c->id,
               run->exit_reason);
        return false;
    }
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *c = arg;
    struct vm *vm = c->vm;
    sigset_t set;

    /* the kick signal is blocked everywhere except in vCPU threads */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    while (!vm_ended(vm)) {
        if (ioctl(c->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            vm_end(vm, VMM_EXIT_ERROR, "ERROR", "vCPU %u: KVM_RUN: %s", c->id, strerror(errno));
            break;
        }
        if (!handle_exit(c))
            break;
    }
    pthread_mutex_lock(&vm->end_lock);
    vm->running--;
    pthread_cond_broadcast(&vm->end_cond);
    pthread_mutex_unlock(&vm->end_lock);
    return NULL;
}

static void kick_handler(int sig)
{
    (void)sig; /* only there to interrupt KVM_RUN */
}

int vcpu_start_all(struct vm *vm)
{
    struct sigaction sa;
    sigset_t set;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN returns EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        return -1;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    for (unsigned i = 0; i < vm->ncpu; i++) {
        struct vcpu *c = &vm->cpu[i];

        pthread_mutex_lock(&vm->end_lock);
        vm->running++;
        pthread_mutex_unlock(&vm->end_lock);
        if (pthread_create(&c->thread, NULL, vcpu_thread, c)) {
            pthread_mutex_lock(&vm->end_lock);
            vm->running--;
            pthread_mutex_unlock(&vm->end_lock);
            vmm_log("cannot start the thread of vCPU %u", i);
            return -1;
        }
        c->started = true;
    }
    return 0;
}

void vcpu_kick_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->ncpu; i++) {
        struct vcpu *c = &vm->cpu[i];

        if (c->run)
            c->run->immediate_exit = 1;
        if (c->started && !pthread_equal(c->thread, pthread_self()))
            pthread_kill(c->thread, SIGUSR1);
    }
}
