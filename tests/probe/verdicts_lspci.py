#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The verdict of every corpus function derived from lspci's own decode, and
compared with `vmsix-probe --json` (the review of expected-verdicts.txt,
repeated on every run).

From `lspci -vvv -F FILE`: MSI "Count=x/y" (y < 2: single-vector; y > 32: a
reserved encoding, malformed-chain), "Maskable-" (no-per-vector-mask),
"64bit", an "MSI-X:" capability (has-msix), no MSI and no marker (no-msi),
"Bus: primary=" (header types 1 and 2), bridge: those, class 06h (from the
-xxx bytes) or an "Express" capability naming a root, switch or bridge port;
the "Region N" lines (the
slots in use; a 64-bit region uses N+1 too; 6 slots for type 0, 2 for type 1,
1 for type 2; none free: no-free-bar), "<chain looped>"/"<chain broken>"
(malformed-chain), "<access denied>" (truncated). The header type itself is
read from lspci's -xxxx output and must agree with the bridge lines.

The verdict with software masking is the same without no-per-vector-mask,
and the backends follow from the two: VT-d and AMD-Vi with the function's
mask bits when it is eligible with them, else with software masking (the
divert hook and a live switch); VFIO + KVM with software masking (the host
grants the vectors); none when software masking is not eligible either.

Usage: verdicts_lspci.py PROBE DATA_DIR LSPCI   (exit 77 without lspci)
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspci_decode  # noqa: E402
from verdicts import corpus  # noqa: E402


def header_types(lspci, path):
    """Header type and class code (base) of each function, from -xxx."""
    out = subprocess.run([lspci, '-D', '-xxx', '-F', path], capture_output=True, text=True,
                         check=True).stdout
    types, cur = {}, None
    for line in out.splitlines():
        m = lspci_decode.SLOT_RE.match(line)
        if m:
            cur = m.group(1)
        elif line.startswith('00: ') and cur:
            b = line.split()
            types[cur] = (int(b[15], 16) & 0x7f, int(b[12], 16))
    return types


# lspci's names of PCI Express port types that are bridges
BRIDGE_PORTS = ('Root Port', 'Upstream Port', 'Downstream Port',
                'PCI-Express to PCI/PCI-X Bridge', 'PCI/PCI-X to PCI-Express Bridge')


def is_bridge_port(f):
    for off, ext, text, sub in f.caps:
        if not ext and text.startswith('Express ('):
            return any(p in text for p in BRIDGE_PORTS)
    return False


def expected(f, ht):
    htype, klass = ht
    reasons = set()
    if f.marker in ('chain looped', 'chain broken'):
        reasons.add('malformed-chain')
    elif f.marker == 'access denied':
        reasons.add('truncated')
    elif f.marker is not None:
        raise SystemExit('%s: unknown lspci marker <%s>' % (f.slot, f.marker))
    msi, msix = f.msi(), f.msix()
    if msi is None and f.marker is None:
        reasons.add('no-msi')
    if msix:
        reasons.add('has-msix')
    if msi:
        if msi['vectors'] > 32:
            reasons.add('malformed-chain')
        elif msi['vectors'] < 2:
            reasons.add('single-vector')
        if not msi['per_vector_mask']:
            reasons.add('no-per-vector-mask')
    if f.bus_line != (htype in (1, 2)):
        raise SystemExit('%s: header type %d but lspci bridge lines: %s' %
                         (f.slot, htype, f.bus_line))
    if htype in (1, 2) or klass == 0x06 or is_bridge_port(f):
        reasons.add('bridge')
    free = [i for i in range({0: 6, 1: 2, 2: 1}.get(htype, 0)) if i not in f.regions]
    if not free:
        reasons.add('no-free-bar')
    return reasons, msi, msix, (free[0] if free and not reasons else None), free


def expected_backends(reasons, free):
    """software_masking and backends as lspci's facts give them."""
    sw = reasons - {'no-per-vector-mask'}
    software = {'eligible': not sw, 'reasons': sorted(sw),
                'table_bar': free[0] if free and not sw else None}
    backends = {}
    for k in ('vtd', 'amdvi', 'vfio'):
        if sw:
            b = (None, sorted(sw), [])
        elif k != 'vfio' and not reasons:
            b = ('function', [], [])
        elif k != 'vfio':
            b = ('software', [], ['divert-hook', 'live-switch'])
        else:
            b = ('software', [], ['host-multi-msi'])
        backends[k] = {'eligible': not sw, 'masking': b[0], 'reasons': b[1], 'requires': b[2]}
    return software, backends


def sorted_reasons(v):
    """@v with its reasons sorted (the probe lists them in bit order)."""
    return dict(v, reasons=sorted(v['reasons'])) if v else v


def main():
    probe, data, lspci = sys.argv[1:4]
    if not lspci or lspci == '-' or not os.path.exists(lspci):
        print('skipped: lspci (pciutils) was not found when the build was configured')
        return 77
    n = bad = elig = sw_elig = 0
    for rel in corpus(data):
        path = os.path.join(data, rel)
        funcs = lspci_decode.decode(lspci, path)
        types = header_types(lspci, path)
        got = json.loads(subprocess.run([probe, '--dump', path, '--json'], capture_output=True,
                                        text=True, check=True).stdout)
        if sorted(o['slot'] for o in got) != sorted(funcs):
            print('FAIL %s: probe functions %s, lspci %s' % (rel, [o['slot'] for o in got],
                                                           sorted(funcs)))
            bad += 1
            continue
        for o in got:
            n += 1
            reasons, msi, msix, bar, free = expected(funcs[o['slot']], types[o['slot']])
            software, backends = expected_backends(reasons, free)
            want = (not reasons, sorted(reasons), msi, msix, bar, software, backends)
            have = (o['eligible'], sorted(o['reasons']), o['msi'], o['msix'], o['table_bar'],
                    sorted_reasons(o.get('software_masking')), {
                        k: sorted_reasons(b) for k, b in o.get('backends', {}).items()})
            elig += o['eligible']
            sw_elig += bool(o.get('software_masking', {}).get('eligible'))
            if want != have:
                bad += 1
                print('FAIL %s %s\n  lspci says: %s\n  probe says: %s' % (rel, o['slot'], want,
                                                                        have))
    print('%d functions: %d eligible, %d with software masking, %d disagree with lspci' %
          (n, elig, sw_elig, bad))
    return 1 if bad or n == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
