/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm.c - the KVM VM: /dev/kvm, guest RAM, the in-kernel irqchip and PIT.
 *
 * RAM is one anonymous mapping. Up to GPA_LOW_LIMIT (3 GiB) it sits at
 * guest physical 0 (slot 0); the rest, if any, at 4 GiB (slot 1), leaving
 * the 32-bit PCI hole for BARs, the IOAPIC and the local APICs. A
 * passed-through function's BARs get slots of their own (vfiodev.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

int vm_set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
    struct kvm_userspace_memory_region r;

    memset(&r, 0, sizeof(r));
    r.slot = slot;
    r.guest_phys_addr = gpa;
    r.memory_size = size;
    r.userspace_addr = (uint64_t)(uintptr_t)hva;
    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        vmm_log("KVM_SET_USER_MEMORY_REGION (slot %u): %s", slot, strerror(errno));
        return -1;
    }
    return 0;
}

/* The CPUID leaves KVM can give a guest: the base of every vCPU's CPUID. */
static int get_supported_cpuid(struct vm *vm)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

        if (!c)
            return -1;
        c->nent = n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            vm->cpuid = c;
            return 0;
        }
        free(c);
        if (errno != E2BIG) {
            vmm_log("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
            return -1;
        }
    }
    return -1;
}

static bool has_cap(struct vm *vm, long cap)
{
    return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int vm_create(struct vm *vm, uint64_t mem_mib, unsigned ncpu)
{
    struct kvm_pit_config pit;
    int v;

    vm->ncpu = ncpu;
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        vmm_log("/dev/kvm: %s", strerror(errno));
        return -1;
    }
    v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION) {
        vmm_log("KVM API version %d, need %d", v, KVM_API_VERSION);
        return -1;
    }
    if (!has_cap(vm, KVM_CAP_IRQCHIP) || !has_cap(vm, KVM_CAP_SIGNAL_MSI) ||
        !has_cap(vm, KVM_CAP_PIT2) || !has_cap(vm, KVM_CAP_IMMEDIATE_EXIT) ||
        !has_cap(vm, KVM_CAP_USER_MEMORY)) {
        vmm_log("KVM lacks IRQCHIP, SIGNAL_MSI, PIT2, IMMEDIATE_EXIT or USER_MEMORY");
        return -1;
    }
    if ((unsigned)ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) < ncpu) {
        vmm_log("KVM supports fewer than %u vCPUs", ncpu);
        return -1;
    }
    v = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (v <= 0) {
        vmm_log("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        return -1;
    }
    vm->run_size = (size_t)v;
    if (get_supported_cpuid(vm))
        return -1;

    vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->fd < 0) {
        vmm_log("KVM_CREATE_VM: %s", strerror(errno));
        return -1;
    }
    /* Intel VMX needs 3 pages for the real-mode TSS; harmless elsewhere. */
    if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)GPA_TSS) < 0) {
        vmm_log("KVM_SET_TSS_ADDR: %s", strerror(errno));
        return -1;
    }
    /* Local APICs, IOAPIC (24 pins) and PIC in the kernel; the default GSI
     * routing sends ISA IRQ n to PIC pin n and IOAPIC pin n. */
    if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        vmm_log("KVM_CREATE_IRQCHIP: %s", strerror(errno));
        return -1;
    }
    memset(&pit, 0, sizeof(pit));
    if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
        vmm_log("KVM_CREATE_PIT2: %s", strerror(errno));
        return -1;
    }

    vm->ram_size = mem_mib << 20;
    vm->low_size = vm->ram_size < GPA_LOW_LIMIT ? vm->ram_size : GPA_LOW_LIMIT;
    vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->ram == MAP_FAILED) {
        vmm_log("cannot map %llu MiB of guest RAM: %s", (unsigned long long)mem_mib,
                strerror(errno));
        vm->ram = NULL;
        return -1;
    }
    if (vm_set_slot(vm, 0, 0, vm->low_size, vm->ram))
        return -1;
    if (vm->ram_size > vm->low_size &&
        vm_set_slot(vm, 1, GPA_HIGH_BASE, vm->ram_size - vm->low_size, vm->ram + vm->low_size))
        return -1;
    return 0;
}

void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t high = vm->ram_size - vm->low_size;

    if (gpa < vm->low_size && len <= vm->low_size - gpa)
        return vm->ram + gpa;
    if (gpa >= GPA_HIGH_BASE && gpa - GPA_HIGH_BASE < high && len <= high - (gpa - GPA_HIGH_BASE))
        return vm->ram + vm->low_size + (gpa - GPA_HIGH_BASE);
    return NULL;
}
