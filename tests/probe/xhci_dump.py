# SPDX-License-Identifier: BSD-3-Clause
"""A synthetic `lspci -xxx` dump of QEMU's NEC xHCI (1033:0194) as
`-device nec-usb-xhci,msi=on,msix=off` on a q35 machine's root bus shows
it: the one endpoint of QEMU 7.2 with more than one MSI vector (issue 15).

The layout follows QEMU's hw/usb/hcd-xhci-pci.c and hw/pci/pcie.c: class
0c0330, BAR 0 a 64-bit memory BAR of 16 KiB, MSI at 0x70 with 16 vectors,
a 64-bit address and no per-vector masking (msi_init(dev, 0x70, 16, true,
false)), a PCI Express v2 capability at 0xa0 (a root-complex integrated
endpoint on pcie.0) added after it, so that the list runs 0x34 -> 0xa0 ->
0x70 (QEMU puts each new capability at the head). Registers vmsix does not
look at hold plausible values; this is not a capture of a live machine.

Usage (a module): dump_text() returns the dump; SLOT is its function.
"""
import struct

SLOT = '0000:00:04.0'


def config():
    c = bytearray(256)

    def w16(o, v):
        c[o:o + 2] = struct.pack('<H', v)

    def w32(o, v):
        c[o:o + 4] = struct.pack('<I', v)
    w16(0x00, 0x1033)           # NEC
    w16(0x02, 0x0194)           # uPD720200 USB 3.0 host controller
    w16(0x06, 0x0010)           # Status: capability list
    c[0x08:0x0c] = bytes([0x03, 0x30, 0x03, 0x0c])  # rev 3, class 0c0330 (xHCI)
    c[0x0c] = 0x10              # cache line size
    w32(0x10, 0xfe600004)       # BAR 0: 64-bit memory, 16 KiB
    w32(0x14, 0)
    w16(0x2c, 0x1af4)           # subsystem: QEMU's default
    w16(0x2e, 0x1100)
    c[0x34] = 0xa0
    c[0x3c:0x3e] = bytes([0x0b, 0x01])  # IRQ 11, INTA
    c[0x60] = 0x30              # serial bus release number: USB 3.0
    # MSI: 16 vectors (MMC 4), 64-bit, no per-vector masking; 14 bytes
    c[0x70:0x72] = bytes([0x05, 0x00])
    w16(0x72, 0x0080 | 4 << 1)
    # PCI Express v2, root-complex integrated endpoint (type 9)
    c[0xa0:0xa2] = bytes([0x10, 0x70])
    w16(0xa2, 0x0092)
    w32(0xa4, 0x00008000)       # DevCap: role-based error reporting
    w16(0xa8, 0x2810)           # DevCtl
    w32(0xac, 0x00000411)       # LnkCap: x1, 2.5 GT/s
    w16(0xb2, 0x0011)           # LnkSta
    return bytes(c)


def dump_text(slot=SLOT):
    cfg = config()
    lines = [slot + ' USB controller: NEC Corporation uPD720200 USB 3.0 Host Controller '
             '(rev 03) [synthetic: QEMU nec-usb-xhci,msi=on,msix=off]']
    for i in range(0, len(cfg), 16):
        lines.append('%02x: %s' % (i, ' '.join('%02x' % b for b in cfg[i:i + 16])))
    return '\n'.join(lines) + '\n\n'
