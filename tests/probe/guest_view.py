#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lspci oracle on the guest view (DESIGN 6).

For every corpus function a backend can serve (with its mask bits or with
software masking), for synthetic functions with 32- and 64-bit MSI (2, 4, 8,
16 and 32 vectors, with and without per-vector masking; table BARs of 4096
and 65536 bytes) and for a synthetic dump of QEMU's xHCI (16 vectors, no
mask bits),
`vmsix-probe --dump F -s SLOT --virtual` is decoded by the real
`lspci -vvv -F`, which must show
    MSI-X: Enable- Count=N Masked-
        Vector table: BAR=B offset=00000000
        PBA: BAR=B offset=<bar_size/2, 8 hex digits>
at the offset where the physical function has MSI, no MSI capability, and
otherwise exactly what lspci prints for the physical function (the same
capability chain with the same offsets, every other line equal).

Usage: guest_view.py PROBE DATA_DIR LSPCI   (exit 77 without lspci)
"""
import re
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspci_decode  # noqa: E402
import xhci_dump  # noqa: E402
from verdicts import corpus  # noqa: E402

errors = []
checked = 0


def fail(what, msg):
    errors.append('%s: %s' % (what, msg))


def strip_cap(func, off):
    """lspci's lines of @func without the capability at @off (and its sub-lines)."""
    out, skip = [], False
    for line in func.lines:
        m = lspci_decode.CAP_RE.match(line)
        if m:
            skip = int(m.group(1), 16) == off and len(m.group(1)) == 2
        elif not line.startswith('\t\t'):
            skip = False
        if not skip:
            out.append(line)
    return out


# Every BAR and the ROM are virtual in the guest view: the same region, of
# the same type, but unassigned (no host address reaches the guest). lspci
# may already print a physical region as <unassigned> (the Xilinx c084 of
# cap-dvsec-cxl: the upper halves of its 64-bit BARs, as 32-bit ones).
REGION_ADDR_RE = re.compile(r'^(\t(?:Region \d+: (?:Memory|I/O ports) at |Expansion ROM at ))'
                            r'(?:[0-9a-f]+|<unassigned>)')


def unassigned(lines):
    """The physical lines as the guest view must show them: a 32-bit
    non-prefetchable memory BAR at address 0 reads 0, as an unimplemented
    slot does, so lspci cannot list it (a guest sizes it to find it)."""
    out = []
    for line in lines:
        if REGION_ADDR_RE.match(line) and '(32-bit, non-prefetchable)' in line:
            continue
        out.append(REGION_ADDR_RE.sub(r'\1<unassigned>', line))
    return out


def check_view(what, phys, virt, nvec, bar, bar_size):
    global checked
    checked += 1
    msi = phys.msi()
    if msi is None:
        return fail(what, 'the physical function has no MSI')
    off = msi['offset']
    if any(text.startswith('MSI:') for _, ext, text, _ in virt.caps if not ext):
        fail(what, 'lspci still shows an MSI capability')
    caps = {c[0]: c for c in virt.caps if not c[1]}
    cap = caps.get(off)
    if not cap:
        return fail(what, 'no capability at 0x%02x' % off)
    want = 'MSI-X: Enable- Count=%d Masked-' % nvec
    if cap[2] != want:
        fail(what, 'capability at 0x%02x is "%s", not "%s"' % (off, cap[2], want))
    for line in ('\t\tVector table: BAR=%d offset=00000000' % bar,
                 '\t\tPBA: BAR=%d offset=%08x' % (bar, bar_size // 2)):
        if line not in cap[3]:
            fail(what, 'lspci does not show "%s" (it shows %s)' % (line.strip(), cap[3]))
    pchain = [(c[0], c[1]) for c in phys.caps]
    vchain = [(c[0], c[1]) for c in virt.caps]
    if pchain != vchain:
        fail(what, 'chain %s, physical %s' % (vchain, pchain))
    if phys.marker != virt.marker:
        fail(what, 'lspci marker <%s>, physical <%s>' % (virt.marker, phys.marker))
    rest_p, rest_v = unassigned(strip_cap(phys, off)), strip_cap(virt, off)
    if rest_p != rest_v:
        diff = [(a, b) for a, b in zip(rest_p, rest_v) if a != b][:3]
        fail(what, 'other lines differ (%d vs %d lines): %s' % (len(rest_p), len(rest_v), diff))


def run_virtual(probe, lspci, path, slot, args, tmp):
    p = subprocess.run([probe, '--dump', path, '-s', slot, '--virtual'] + args,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, 'vmsix-probe exited %d: %s' % (p.returncode, p.stderr.strip())
    out = os.path.join(tmp, 'view')
    with open(out, 'w', encoding='ascii') as f:
        f.write(p.stdout)
    funcs = lspci_decode.decode(lspci, out)
    if list(funcs) != [slot]:
        return None, 'lspci decoded %s from the view' % list(funcs)
    return funcs[slot], None


# ---- synthetic functions ----

def synth(mmc, addr64, pvm=True):
    """A function with PM -> MSI -> (PCIe + AER + DSN | vendor-specific).
    32-bit MSI: BAR0 32-bit memory, 256 bytes, the table goes to BAR1.
    64-bit MSI: BAR0 64-bit (upper half 0), BAR2 I/O, 4096 bytes, PCI Express
    with extended capabilities; the table goes to BAR3. Without @pvm the MSI
    capability has no mask and pending registers (10 or 14 bytes)."""
    c = bytearray(4096 if addr64 else 256)

    def w16(o, v):
        c[o:o + 2] = struct.pack('<H', v)

    def w32(o, v):
        c[o:o + 4] = struct.pack('<I', v)
    w16(0x00, 0x1234)
    w16(0x02, 0x0d00 | (mmc << 4) | (8 if addr64 else 0))
    w16(0x04, 0x0006)
    w16(0x06, 0x0010)
    c[0x08:0x0c] = bytes([0x01, 0x00, 0x80, 0x02])  # network controller
    if addr64:
        w32(0x10, 0xfe00000c)
        w32(0x14, 0)
        w32(0x18, 0x0000e001)
    else:
        w32(0x10, 0xfe000000)
    w16(0x2c, 0x1234)
    w16(0x2e, 0x0001)
    c[0x34] = 0x40
    c[0x3d] = 1  # INTA
    c[0x40:0x44] = bytes([0x01, 0x50, 0x03, 0x00])  # PM
    c[0x50:0x52] = bytes([0x05, 0x70])  # MSI
    w16(0x52, (mmc << 1) | (0x80 if addr64 else 0) | (0x100 if pvm else 0))
    w32(0x54, 0xfee00000)
    if addr64:
        w32(0x58, 0)
        w16(0x5c, 0x4021)
        if pvm:
            w32(0x60, 0x0000000f)  # mask bits
    else:
        w16(0x58, 0x4021)
        if pvm:
            w32(0x5c, 0x0000000f)
    if addr64:
        c[0x70:0x72] = bytes([0x10, 0x00])  # PCI Express v2 endpoint
        w16(0x72, 0x0002)
        w32(0x74, 0x00008fc1)  # DevCap
        w32(0x7c, 0x00437c12)  # LnkCap
        w32(0x100, 0x14010001)  # AER v1 -> 0x140
        w32(0x140, 0x00010003)  # DSN v1, last
        w32(0x144, 0x12345678)
        w32(0x148, 0x9abcdef0)
    else:
        c[0x70:0x74] = bytes([0x09, 0x00, 0x08, 0x00])  # vendor-specific, 8 bytes
    return bytes(c)


def dump_text(slot, cfg):
    lines = [slot + ' synthetic']
    for i in range(0, len(cfg), 16):
        lines.append('%02x: %s' % (i, ' '.join('%02x' % b for b in cfg[i:i + 16])))
    return '\n'.join(lines) + '\n\n'


def main():
    probe, data, lspci = sys.argv[1:4]
    if not lspci or lspci == '-' or not os.path.exists(lspci):
        print('skipped: lspci (pciutils) was not found when the build was configured')
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        # every function of the corpus a backend can serve
        ncorpus = nsoftware = 0
        for rel in corpus(data):
            path = os.path.join(data, rel)
            got = json.loads(subprocess.run([probe, '--dump', path, '--json'],
                                            capture_output=True, text=True, check=True).stdout)
            elig = [o for o in got if o['software_masking']['eligible']]
            if not elig:
                continue
            phys = lspci_decode.decode(lspci, path)
            for o in elig:
                ncorpus += 1
                nsoftware += not o['eligible']
                vec, bar = o['msi']['vectors'], o['software_masking']['table_bar']
                for args, nvec, size in (([], vec, 4096), (['--bar-size', '4096'], vec, 4096),
                                         (['--bar-size', '65536'], vec, 65536),
                                         (['--vectors', '2'], 2, 4096)):
                    what = '%s %s %s' % (rel, o['slot'], ' '.join(args))
                    virt, err = run_virtual(probe, lspci, path, o['slot'], args, tmp)
                    if err:
                        fail(what, err)
                    else:
                        check_view(what, phys[o['slot']], virt, nvec, bar, size)
        if ncorpus == 0 or nsoftware == 0:
            fail('corpus', '%d eligible functions found, %d of them without mask bits' %
                 (ncorpus, nsoftware))

        # synthetic functions, with and without mask bits, and QEMU's xHCI
        path = os.path.join(tmp, 'synthetic')
        slots = []
        with open(path, 'w', encoding='ascii') as f:
            for pvm in (True, False):
                for addr64 in (False, True):
                    for mmc in range(1, 6):
                        slot = '0000:01:%02x.0' % len(slots)
                        slots.append((slot, addr64, mmc, pvm))
                        f.write(dump_text(slot, synth(mmc, addr64, pvm)))
            f.write(xhci_dump.dump_text())
        phys = lspci_decode.decode(lspci, path)
        xhci = xhci_dump.SLOT
        if phys[xhci].msi() != dict(offset=0x70, vectors=16, addr64=True, per_vector_mask=False):
            fail(xhci, 'lspci decodes the xHCI MSI as %s' % phys[xhci].msi())
        for args, nvec, size in (([], 16, 4096), (['--vectors', '8', '--bar-size', '65536'], 8,
                                                  65536)):
            virt, err = run_virtual(probe, lspci, path, xhci, args, tmp)
            if err:
                fail('xHCI %s' % ' '.join(args), err)
            else:
                check_view('xHCI %s' % ' '.join(args), phys[xhci], virt, nvec, 2, size)
        for slot, addr64, mmc, pvm in slots:
            bar = 3 if addr64 else 1
            m = phys[slot].msi()
            if m != dict(offset=0x50, vectors=1 << mmc, addr64=addr64, per_vector_mask=pvm):
                fail(slot, 'lspci decodes the synthetic MSI as %s' % m)
            cases = [(['--bar-size', '4096'], 1 << mmc, bar, 4096),
                     (['--bar-size', '65536'], 1 << mmc, bar, 65536)]
            if mmc == 5:
                cases += [(['--vectors', '4'], 4, bar, 4096),
                          (['--vectors', '16', '--bar-size', '0x10000'], 16, bar, 65536),
                          (['--table-bar', '4'], 32, 4, 4096)]
            if not addr64 and mmc == 3:
                # BAR1 reads 0 but is implemented: sizing moves the table to 2
                cases += [(['--bar-sizes', '0x1000,0x1000'], 8, 2, 4096)]
            for args, nvec, b, size in cases:
                what = 'synthetic %s (%d-bit, %d vectors%s) %s' % (
                    slot, 64 if addr64 else 32, 1 << mmc, '' if pvm else ', no mask bits',
                    ' '.join(args))
                virt, err = run_virtual(probe, lspci, path, slot, args, tmp)
                if err:
                    fail(what, err)
                else:
                    check_view(what, phys[slot], virt, nvec, b, size)
    for e in errors:
        print('FAIL', e)
    print('%d guest views decoded by lspci (%d eligible corpus functions, %d of them without '
          'mask bits), %d errors' % (checked, ncorpus, nsoftware, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
