/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end-to-end test function of examples/kvm-vmm: its identity and the
 * control registers in its BAR 0. Shared, as the contract, by the VMM
 * (which emulates the function) and the guest's kernel module
 * (tests/e2e/guest), so it holds only #defines: it is included both from
 * user space and from a Linux kernel module.
 *
 * The function is examples/sim's simulated function (simfn_init(f, 5,
 * true): multi-message MSI with 32 vectors, a 64-bit address, per-vector
 * masking, a 64-bit memory BAR of 16 KiB in slots 0-1, BAR slot 2 free) with
 * this vendor/device ID. With vmsix on, the guest sees it as an MSI-X
 * function (table and PBA in BAR 2); with vmsix off, as the plain MSI
 * function.
 *
 * Registers: 32-bit, little-endian, in BAR 0; reads of undefined offsets
 * return 0, writes to them and to read-only registers are ignored.
 * E2E_EXIT_PORT: the same verdict as an I/O port, for a passed-through
 * device that has no such register.
 */
#ifndef VMSIX_E2E_REGS_H
#define VMSIX_E2E_REGS_H

/* 7e57 is not assigned in the PCI ID database (pci.ids); a test ID only. */
#define E2E_VENDOR_ID 0x7e57
#define E2E_DEVICE_ID 0x0001

#define E2E_MAGIC 0x7e57e2e0u
#define E2E_MODE_MSI 0u   /* vmsix off: the guest sees the plain MSI function */
#define E2E_MODE_VMSIX 1u /* vmsix on: the guest sees MSI-X */

#define E2E_REG_MAGIC 0x000 /* RO: E2E_MAGIC */
#define E2E_REG_MODE 0x004  /* RO: E2E_MODE_* */
#define E2E_REG_DOORBELL                                                                           \
    0x008                      /* WO: write k: the function raises its interrupt k                 \
                                  (sends message k, or holds it pending when k is                  \
                                  masked; nothing when MSI is off or k >= 2^MME) */
#define E2E_REG_NVEC 0x00c     /* RO: interrupts the function can raise (32) */
#define E2E_REG_SENT 0x010     /* RO: messages the function sent */
#define E2E_REG_PENDED 0x014   /* RO: interrupts held pending (masked) */
#define E2E_REG_DROPPED 0x018  /* RO: interrupts not sendable */
#define E2E_REG_INJECTED 0x01c /* RO: interrupts the VMM injected into the guest */
#define E2E_REG_FAULTS 0x020   /* RO: messages the remapping unit refused */
#define E2E_REG_EXIT                                                                               \
    0x024 /* WO: the guest's verdict; the VMM ends the run:                                        \
             E2E_EXIT_PASS or E2E_EXIT_FAIL */
#define E2E_REG_VEC_INJECTED(k) (0x040 + 4 * (k)) /* RO: injections of vector k, k < 32 */

#define E2E_EXIT_PASS 0x900du
#define E2E_EXIT_FAIL 0xbadu

/*
 * The verdict of a run on a device that has no E2E_REG_EXIT (the guest
 * module's xHCI mode: QEMU's nec-usb-xhci passed through with --vfio): a
 * one-byte OUT to this I/O port, E2E_EXIT_PORT_PASS or E2E_EXIT_PORT_FAIL;
 * the VMM ends the run there, as on E2E_REG_EXIT (any other value or size
 * is a FAIL). Free in the VMM (no I/O BARs, nothing else there) and in a
 * q35 machine; QEMU's -device isa-debug-exit,iobase=0xe2e,iosize=1 takes
 * the same write (QEMU exits with status 2 * value + 1: 1 PASS, 3 FAIL).
 */
#define E2E_EXIT_PORT 0x0e2eu
#define E2E_EXIT_PORT_PASS 0x00u
#define E2E_EXIT_PORT_FAIL 0x01u

#endif
