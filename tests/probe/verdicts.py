#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probe verdicts on the whole corpus against the checked-in table.

Runs `vmsix-probe --dump FILE --json` on every file of tests/data and
compares each function with tests/data/expected-verdicts.txt (one line per
function; see the header of that file). Also checks that every row of the
table in tests/data/README.md agrees with the table: the MSI offset, vector
count, address width and per-vector masking it states, and "not eligible"
where it says so. The table holds the verdict with the function's mask
bits; the functions that only software masking serves are listed below
(SOFTWARE_ONLY, reviewed with lspci: Maskable-, every other rule met).

Usage: verdicts.py PROBE DATA_DIR            compare (exit 0 / 1)
       verdicts.py PROBE DATA_DIR --write    print the table (to review)
"""
import json
import os
import re
import subprocess
import sys

HEADER = """\
# Eligibility of every function of tests/data, as vmsix-probe --json gives it.
# Produced with `tests/probe/verdicts.py BUILDDIR/tools/vmsix-probe tests/data
# --write`, then reviewed function by function against `lspci -vvv -F FILE`
# (MSI Count=x/y, Maskable, 64bit, MSI-X presence, header type, regions);
# tests/probe/verdicts_lspci.py repeats that review on every run, and
# tests/probe/verdicts.py compares the probe with this table.
#
# columns: file slot vendor:device verdict reasons msi msix table_bar
#   verdict    eligible | not-eligible
#   reasons    comma-separated identifiers of vmsix_elig_reason_name(), or -
#   msi        OFFSET/VECTORS/64bit+-/maskable+- (as lspci says it), or -
#   msix       OFFSET/VECTORS, or -
#   table_bar  the BAR slot the table would use, or - when not eligible
"""


# Functions of tests/data eligible with software masking but not with their
# own mask bits (MSI without per-vector masking, and nothing else wrong).
SOFTWARE_ONLY = {
    ('pciutils/cap-dvsec-cxl', '0000:7f:00.0'),  # Xilinx c084 (CXL): 16 vectors, 64-bit
    ('pciutils/cap-ptm-2', '0003:02:01.0'),  # Intel fd00: 2 vectors, 32-bit
}


def corpus(data):
    out = []
    for dp, _, fs in os.walk(data):
        for f in fs:
            if 'README' in f or f.endswith('.txt'):
                continue
            out.append(os.path.relpath(os.path.join(dp, f), data))
    return sorted(out)


def row(rel, o):
    msi = o['msi']
    msix = o['msix']
    return ' '.join([
        rel, o['slot'], o['vendor'] + ':' + o['device'],
        'eligible' if o['eligible'] else 'not-eligible',
        ','.join(o['reasons']) or '-',
        '0x%02x/%d/64bit%s/maskable%s' % (msi['offset'], msi['vectors'],
                                          '+' if msi['addr64'] else '-',
                                          '+' if msi['per_vector_mask'] else '-')
        if msi else '-',
        '0x%02x/%d' % (msix['offset'], msix['vectors']) if msix else '-',
        '-' if o['table_bar'] is None else str(o['table_bar']),
    ])


def probe_rows(probe, data, software_only=None):
    rows = []
    for rel in corpus(data):
        p = subprocess.run([probe, '--dump', os.path.join(data, rel), '--json'],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit('%s: vmsix-probe exited %d: %s' % (rel, p.returncode, p.stderr))
        for o in json.loads(p.stdout):
            rows.append(row(rel, o))
            if software_only is not None and not o['eligible'] and \
                    o.get('software_masking', {}).get('eligible'):
                software_only.add((rel, o['slot']))
    return rows


def check_readme(data, table):
    """Rows of README.md's table against the expected table. Returns errors."""
    errors = []
    by_key = {}
    for line in table:
        f = line.split()
        by_key[(f[0], f[1])] = f
    n = 0
    for line in open(os.path.join(data, 'README.md'), encoding='utf-8'):
        m = re.match(r'^\| (\S+/\S+) \| ([0-9a-f:.]+) \| ([^|]*) \| ([^|]*) \|$', line.strip())
        if not m:
            continue
        n += 1
        rel, slot, msi_text = m.group(1), m.group(2), m.group(4)
        if slot.count(':') == 1:
            slot = '0000:' + slot
        f = by_key.get((rel, slot))
        if not f:
            errors.append('README row %s %s: no such function' % (rel, slot))
            continue
        what = 'README row %s %s (%s)' % (rel, slot, msi_text.strip())
        if f[5] == '-':
            errors.append(what + ': the function has no MSI')
            continue
        off, vec, a64, mask = f[5].split('/')
        mo = re.search(r'at (0x[0-9a-f]+)', msi_text)
        if mo and int(mo.group(1), 16) != int(off, 16):
            errors.append(what + ': MSI is at ' + off)
        mv = re.search(r'(\d+) vectors?', msi_text)
        if mv and int(mv.group(1)) != int(vec):
            errors.append(what + ': MSI has %s vectors' % vec)
        if 'no per-vector mask' in msi_text and mask == 'maskable+':
            errors.append(what + ': MSI has per-vector masking')
        elif 'per-vector mask' in msi_text.replace('no per-vector mask', '') and \
                mask == 'maskable-':
            errors.append(what + ': MSI has no per-vector masking')
        if '64-bit' in msi_text and a64 != '64bit+':
            errors.append(what + ': MSI has a 32-bit address')
        if '32-bit' in msi_text and a64 != '64bit-':
            errors.append(what + ': MSI has a 64-bit address')
        if 'not eligible' in msi_text and f[3] != 'not-eligible':
            errors.append(what + ': the function is eligible')
        if 'one vector' in msi_text and 'single-vector' not in f[4].split(','):
            errors.append(what + ': not single-vector')
        if f[6] != '-':
            errors.append(what + ': the function has MSI-X (the table lists MSI without MSI-X)')
    if n == 0:
        errors.append('README.md: no table rows found')
    return errors


def main():
    probe, data = sys.argv[1], sys.argv[2]
    software_only = set()
    got = probe_rows(probe, data, software_only)
    if sys.argv[3:] == ['--write']:
        sys.stdout.write(HEADER + '\n'.join(got) + '\n')
        return 0
    table_path = os.path.join(data, 'expected-verdicts.txt')
    want = [l.rstrip('\n') for l in open(table_path, encoding='utf-8')
            if l.strip() and not l.startswith('#')]
    errors = []
    wk = {tuple(l.split()[:2]): l for l in want}
    gk = {tuple(l.split()[:2]): l for l in got}
    for k in sorted(set(wk) | set(gk)):
        if k not in gk:
            errors.append('missing from the probe output: ' + wk[k])
        elif k not in wk:
            errors.append('not in the table: ' + gk[k])
        elif wk[k].split() != gk[k].split():
            errors.append('differs:\n  table: %s\n  probe: %s' % (wk[k], gk[k]))
    if len(want) != len(wk):
        errors.append('the table has duplicate rows')
    errors += check_readme(data, want)
    if software_only != SOFTWARE_ONLY:
        errors.append('eligible with software masking only: %s, reviewed: %s' %
                      (sorted(software_only), sorted(SOFTWARE_ONLY)))
    for e in errors:
        print('FAIL', e)
    elig = sum(1 for l in want if l.split()[3] == 'eligible')
    print('%d functions in %d files (%d eligible, %d more with software masking), %d errors' %
          (len(got), len(corpus(data)), elig, len(software_only), len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
