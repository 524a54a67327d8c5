#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The BAR layout vmsix-probe prints (DESIGN 4.6), at 4, 16 and 64 KiB pages.

For every function of tests/data with MSI-X, the JSON `layout` must be the
layout that the rule gives, restated here page by page: a page is trapped
when it holds a table or PBA byte (a BAR below a page is one trapped page);
in a trapped page the table and PBA bytes are emulated and the rest is
forwarded; every other page is mapped. The table's and the PBA's BAR and
offsets are read from the dumped bytes, the BAR's size is the smallest
power of two that holds them unless --bar-sizes gives it (sizes taken from
the dump's `[size=...]` text). For every function a backend can serve (with
its mask bits or with software masking) the emulated table BAR is one page,
table at 0, PBA at half of it, as the guest view of --virtual --bar-size
PAGE says. The text output shows the same ranges; the
default page size is the host's; bad --page-size values exit 2; and the
devices of the field reports (cloud-hypervisor 7898, PR 7939), as synthetic
dumps, give the layouts their unit tests give.

Usage: layout.py PROBE DATA_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verdicts import corpus  # noqa: E402

probe, data = sys.argv[1:3]
PAGES = (4096, 16384, 65536)
errors = []
checked = {'functions': 0, 'layouts': 0, 'sized': 0, 'emulated': 0, 'text': 0}


def fail(what, msg):
    errors.append('%s: %s' % (what, msg))


def run(args):
    return subprocess.run([probe] + args, capture_output=True, text=True)


def probe_json(args):
    p = run(args + ['--json'])
    if p.returncode != 0:
        fail(' '.join(args), 'exit %d: %s' % (p.returncode, p.stderr))
        return []
    return json.loads(p.stdout)


# ---- the dump's bytes and decoded sizes ----

SLOT_RE = re.compile(r'^(?:([0-9a-f]{4,6}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ')
BYTES_RE = re.compile(r'^([0-9a-f]{2,8}): ((?:[0-9a-f]{2} ?)+)$')
REGION_RE = re.compile(r'^\s+Region (\d): (?:Memory|I/O ports) at .*\[size=(\d+)([KMGT]?)\]')


def read_dump(path):
    """{slot: (bytes dict offset -> value, sizes dict bar -> bytes)}"""
    funcs, cur = {}, None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = SLOT_RE.match(line)
            if m:
                slot = '%04x:%s:%s.%s' % (int(m.group(1) or '0', 16), m.group(2), m.group(3),
                                          m.group(4))
                cur = funcs.setdefault(slot, ({}, {}))
                continue
            if cur is None:
                continue
            m = BYTES_RE.match(line)
            if m:
                off = int(m.group(1), 16)
                for i, b in enumerate(m.group(2).split()):
                    cur[0][off + i] = int(b, 16)
                continue
            m = REGION_RE.match(line)
            if m:
                mult = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
                cur[1][int(m.group(1))] = int(m.group(2)) * mult[m.group(3)]
            elif line == '':
                cur = None
    return funcs


def rd32(b, off):
    return sum(b.get(off + i, 0xff) << (8 * i) for i in range(4))


# ---- the rule, page by page ----

def expected(size, page, table, pba, n):
    """[(offset, length, kind)] for a BAR of @size with the table at @table
    and the PBA at @pba (None: not in this BAR)."""
    guarded = []
    if table is not None:
        guarded.append((table, table + 16 * n))
    if pba is not None:
        guarded.append((pba, pba + 8 * ((n + 63) // 64)))
    out = []

    def push(off, length, kind):
        if length <= 0:
            return
        if out and out[-1][2] == kind and out[-1][0] + out[-1][1] == off:
            out[-1] = (out[-1][0], out[-1][1] + length, kind)
        else:
            out.append((off, length, kind))

    def is_guarded(a, b):
        return any(a < hi and lo < b for lo, hi in guarded)

    def trapped(a, b):
        cuts = sorted({a, b} | {x for g in guarded for x in g if a < x < b})
        for x, y in zip(cuts, cuts[1:]):
            push(x, y - x, 'emulate' if is_guarded(x, y) else 'forward')

    if size < page:
        trapped(0, size)
        return out
    pages = sorted({k for lo, hi in guarded for k in range(lo // page, (hi - 1) // page + 1)})
    at = 0
    for k in pages:
        push(at, k * page - at, 'map')
        trapped(k * page, (k + 1) * page)
        at = (k + 1) * page
    push(at, size - at, 'map')
    return out


def pow2_at_least(v):
    p = 16
    while p < v:
        p <<= 1
    return p


def ranges_of(bar):
    return [(r['offset'], r['length'], r['kind']) for r in bar['ranges']]


def check_device_bar(what, bar, page, bir, table, pba, n, size):
    if bar['bar'] != bir or bar['emulated']:
        fail(what, 'bar %s emulated %s, want %d' % (bar['bar'], bar['emulated'], bir))
        return
    if (bar['table_offset'], bar['pba_offset']) != (table, pba):
        fail(what, 'offsets %s %s, want %s %s' % (bar['table_offset'], bar['pba_offset'], table, pba))
    if size is None:
        ends = [x for x in ((table or 0) + 16 * n if table is not None else 0,
                            pba + 8 * ((n + 63) // 64) if pba is not None else 0)]
        size = pow2_at_least(max(ends))
        if bar['size_known']:
            fail(what, 'size_known without sizes')
    elif not bar['size_known']:
        fail(what, 'size given but size_known false')
    if bar['size'] != size:
        fail(what, 'size %d, want %d' % (bar['size'], size))
        return
    overlap = (table is not None and pba is not None and table < pba + 8 * ((n + 63) // 64)
               and pba < table + 16 * n)
    fits = all(x is None or x + l <= size for x, l in
               ((table, 16 * n), (pba, 8 * ((n + 63) // 64))))
    if overlap or not fits:
        if bar['error'] is None or bar['ranges']:
            fail(what, 'laid out although the structures overlap or do not fit')
        return
    if bar['error'] is not None:
        fail(what, 'error %r' % bar['error'])
        return
    want = expected(size, page, table, pba, n)
    if ranges_of(bar) != want:
        fail(what, 'ranges %s, want %s' % (ranges_of(bar), want))
    checked['layouts'] += 1


def served(o):
    """Eligible with a backend: with the mask bits, or with software masking
    (which accepts every function the mask bits accept)."""
    return o['software_masking']['eligible']


def check_function(what, o, dump, page, sizes=None):
    lay = o.get('layout', 'missing')
    if lay == 'missing':
        fail(what, 'no layout key')
        return
    if o['msix'] is None and not served(o):
        if lay is not None:
            fail(what, 'a layout without MSI-X: %s' % lay)
        return
    if served(o):
        n = o['msi']['vectors']
        bars = lay['bars'] if lay else []
        if len(bars) != 1 or not bars[0]['emulated'] or \
                bars[0]['bar'] != o['software_masking']['table_bar']:
            fail(what, 'emulated table BAR %s' % lay)
            return
        b = bars[0]
        want = [(0, 16 * n, 'emulate'), (16 * n, page // 2 - 16 * n, 'zero'),
                (page // 2, 8, 'emulate'), (page // 2 + 8, page // 2 - 8, 'zero')]
        if (b['size'], b['table_offset'], b['pba_offset']) != (page, 0, page // 2) or \
                ranges_of(b) != want:
            fail(what, 'emulated BAR %s, want size %d and %s' % (b, page, want))
        checked['emulated'] += 1
        return
    b = dump[0]
    table, pba = rd32(b, o['msix']['offset'] + 4), rd32(b, o['msix']['offset'] + 8)
    tb, pb, n = table & 7, pba & 7, o['msix']['vectors']
    if tb > 5 or pb > 5:
        if lay is not None:
            fail(what, 'a layout with a reserved BIR')
        return
    if lay is None or lay['page_size'] != page:
        fail(what, 'layout %s at page %d' % (lay, page))
        return
    nbars = 1 if pb == tb else 2
    if len(lay['bars']) != nbars:
        fail(what, '%d bars, want %d' % (len(lay['bars']), nbars))
        return
    size = (lambda i: sizes[i]) if sizes else (lambda i: None)
    check_device_bar(what + ' table BAR', lay['bars'][0], page, tb, table & ~7,
                     pba & ~7 if pb == tb else None, n, size(tb))
    if nbars == 2:
        check_device_bar(what + ' PBA BAR', lay['bars'][1], page, pb, None, pba & ~7, n,
                         size(pb))


def check_corpus():
    for rel in corpus(data):
        path = os.path.join(data, rel)
        dump = read_dump(path)
        for page in PAGES:
            for o in probe_json(['--dump', path, '--page-size', str(page)]):
                what = '%s %s page %d' % (rel, o['slot'], page)
                d = dump.get(o['slot'])
                if d is None:
                    fail(what, 'not in the dump')
                    continue
                if page == PAGES[0] and (o['msix'] or served(o)):
                    checked['functions'] += 1
                check_function(what, o, d, page)
                # the sizes the dump's text gives, through --bar-sizes
                if o['msix'] and d[1]:
                    sizes = [d[1].get(i, 0) for i in range(6)]
                    arg = ','.join(str(s) for s in sizes)
                    got = probe_json(['--dump', path, '-s', o['slot'], '--bar-sizes', arg,
                                      '--page-size', str(page)])
                    if len(got) == 1:
                        check_function(what + ' --bar-sizes', got[0], d, page, sizes)
                        checked['sized'] += 1
                # the emulated BAR is where the guest view puts the table
                if served(o):
                    p = run(['--dump', path, '-s', o['slot'], '--virtual', '--bar-size',
                             str(page)])
                    view = {}
                    for line in p.stdout.splitlines():
                        m = BYTES_RE.match(line)
                        if m:
                            for i, x in enumerate(m.group(2).split()):
                                view[int(m.group(1), 16) + i] = int(x, 16)
                    off = o['msi']['offset']
                    bar = o['software_masking']['table_bar']
                    if (rd32(view, off + 4), rd32(view, off + 8)) != (bar, page // 2 | bar):
                        fail(what, 'the guest view places the table otherwise')


def check_text():
    """The text output shows the JSON's ranges."""
    for rel in ('pciutils/cap-pcie-2', 'pciutils/tree-fsl-p2020', 'pciutils/cap-vendor-virtio'):
        path = os.path.join(data, rel)
        for page in PAGES:
            js = probe_json(['--dump', path, '--page-size', str(page)])
            p = run(['--dump', path, '--page-size', str(page)])
            blocks = re.split(r'^(?=[0-9a-f]{4}:)', p.stdout, flags=re.M)
            for o, text in zip(js, [b for b in blocks if b]):
                want = []
                for bar in (o['layout'] or {}).get('bars', []):
                    want += [(r['offset'], r['offset'] + r['length'], r['kind'])
                             for r in bar['ranges']]
                got = [(int(a, 16), int(b, 16), k) for a, b, k in
                       re.findall(r'^\t\t\[0x([0-9a-f]+), 0x([0-9a-f]+)\) (\w+)$', text, re.M)]
                if got != want:
                    fail('text %s %s page %d' % (rel, o['slot'], page),
                         '%s, want %s' % (got, want))
                heads = re.findall(r'^\tlayout at (\d+) KiB pages: BAR (\d)', text, re.M)
                if o['layout'] and [int(h[0]) * 1024 for h in heads] != \
                        [page] * len(o['layout']['bars']):
                    fail('text %s %s page %d' % (rel, o['slot'], page), 'headings %s' % heads)
                checked['text'] += 1


def synthetic(path, slot, bar0, msix_off, n, table, pba):
    """A dump of one function: BAR 0 as given, MSI-X at @msix_off."""
    b = [0] * 256
    b[0:4] = [0x86, 0x80, 0x00, 0x09]       # vendor:device
    b[6] = 0x10                             # Status: capability list
    b[0x0a:0x0c] = [0x08, 0x01]             # class 0108 (NVMe)
    b[0x10:0x14] = list(bar0.to_bytes(4, 'little'))
    b[0x34] = msix_off
    b[msix_off:msix_off + 4] = [0x11, 0x00] + list((n - 1).to_bytes(2, 'little'))
    b[msix_off + 4:msix_off + 8] = list(table.to_bytes(4, 'little'))
    b[msix_off + 8:msix_off + 12] = list(pba.to_bytes(4, 'little'))
    with open(path, 'w') as f:
        f.write(slot + ' synthetic\n')
        for i in range(0, 256, 16):
            f.write('%02x: %s\n' % (i, ' '.join('%02x' % x for x in b[i:i + 16])))
        f.write('\n')


def check_field_reports(tmp):
    """The devices of the field reports, as the unit tests have them."""
    M, E, F = 'map', 'emulate', 'forward'
    cases = [
        # cloud-hypervisor 7898: KIOXIA CD8P, BAR 0 64 KiB 64-bit, 129 vectors
        ('ch7898', 0xc6710004, 0xb0, 129, 0x5200, 0xd600, 0x10000, 4096,
         [(0, 0x5000, M), (0x5000, 0x200, F), (0x5200, 0x810, E), (0x5a10, 0x5f0, F),
          (0x6000, 0x7000, M), (0xd000, 0x600, F), (0xd600, 0x18, E), (0xd618, 0x9e8, F),
          (0xe000, 0x2000, M)]),
        # cloud-hypervisor PR 7939: a 16 KiB BAR 0 at 64 KiB pages: one trapped page
        ('ch-pr7939', 0x40010004, 0x50, 136, 0x2000, 0x3000, 0x4000, 65536,
         [(0, 0x2000, F), (0x2000, 0x880, E), (0x2880, 0x780, F), (0x3000, 0x18, E),
          (0x3018, 0xfe8, F)]),
    ]
    for name, bar0, cap, n, table, pba, size, page, want in cases:
        path = os.path.join(tmp, name)
        synthetic(path, '21:00.0', bar0, cap, n, table, pba)
        got = probe_json(['--dump', path, '--bar-sizes', str(size), '--page-size', str(page)])
        if len(got) != 1 or not got[0]['layout']:
            fail(name, 'no layout: %s' % got)
            continue
        bar = got[0]['layout']['bars'][0]
        if ranges_of(bar) != want:
            fail(name, 'ranges %s, want %s' % (ranges_of(bar), want))
        if expected(size, page, table, pba, n) != want:
            fail(name, 'the page-by-page rule disagrees with the unit test')
        checked['layouts'] += 1


def check_options():
    fsl = os.path.join(data, 'pciutils', 'tree-fsl-p2020')
    host = os.sysconf('SC_PAGE_SIZE')
    host = host if host >= 4096 else 4096
    for o in probe_json(['--dump', fsl]):
        if o['layout'] and o['layout']['page_size'] != host:
            fail('default page size', '%d, the host has %d' % (o['layout']['page_size'], host))
    for v in ('0', '1', '2048', '4095', '12288', '0x100000000', 'x', '-4096'):
        p = run(['--dump', fsl, '--page-size', v])
        if p.returncode != 2 or '--page-size' not in p.stderr or p.stdout:
            fail('--page-size %s' % v, 'exit %d, %r' % (p.returncode, p.stderr))
    p = run(['--dump', fsl, '-s', '05:00.0', '--virtual', '--page-size', '4096'])
    if p.returncode != 2 or '--page-size' not in p.stderr:
        fail('--page-size with --virtual', 'exit %d, %r' % (p.returncode, p.stderr))
    p = run(['--dump', fsl, '--page-size', '0x10000'])
    if p.returncode != 0 or 'layout at 64 KiB pages' not in p.stdout:
        fail('--page-size 0x10000', p.stdout[:300])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_corpus()
        check_text()
        check_field_reports(tmp)
        check_options()
    for e in errors[:50]:
        print('FAIL', e)
    print('layout: %d MSI-X or eligible (any backend) functions at %s-byte pages; %d device '
          'layouts equal to the page-by-page rule (%d with the dump\'s sizes), %d emulated table BARs, %d text '
          'outputs; %d failed' % (checked['functions'], '/'.join(map(str, PAGES)),
                                  checked['layouts'], checked['sized'], checked['emulated'],
                                  checked['text'], len(errors)))
    if checked['layouts'] < 50 or checked['emulated'] < 15:
        print('FAIL too few cases checked')
        return 1
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
