#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""demo suite: vmsix-demo's command line, run as a user runs it.

Usage: test_demo.py CASE --demo PATH --data DIR [--lspci PATH]

Cases: default, json, vectors, lspci, dump, dump-lspci, ineligible,
bad-args, help, amdvi, nomask. Exit 0 pass, 1 fail, 77 skip (with the reason;
only the lspci cases skip, and only when lspci is missing).

The default trace is two stories: the function with its per-vector mask
bits, then without them (software masking: the divert hook, a live
rewrite); --no-mask-bits runs the second alone, and a dumped function
without mask bits has only that one.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

OK_LINE = re.compile(r'^vmsix-demo: (\d+)/(\d+) vectors delivered to their guest vector '
                     r'and CPU \.\.\. OK$')
DUMP = 'pciutils/tree-fsl-p2020'
NOMASK_DUMP = 'pciutils/cap-dvsec-cxl'  # 7f:00.0, Xilinx c084: 16 vectors, no mask bits
NOMASK_HEADER = ('vmsix-demo: MSI-X emulated on multi-message MSI without mask bits, by '
                 'software masking (vmsix ')


class Failure(Exception):
    pass


def run(demo, *args, expect=0):
    p = subprocess.run([demo] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if p.returncode != expect:
        raise Failure('vmsix-demo %s: exit %d, expected %d\nstdout (end):\n%s\nstderr:\n%s'
                      % (' '.join(args), p.returncode, expect, p.stdout[-2000:], p.stderr))
    if 'Sanitizer' in p.stderr or 'runtime error' in p.stderr:
        raise Failure('vmsix-demo %s: sanitizer report:\n%s' % (' '.join(args), p.stderr))
    return p


def expect(cond, what):
    if not cond:
        raise Failure(what)


def check_trace(p, n, stories=1):
    lines = p.stdout.rstrip('\n').split('\n')
    m = OK_LINE.match(lines[-1])
    expect(m and int(m.group(1)) == n and int(m.group(2)) == n,
           'last line is not the OK line with %d/%d: %r' % (n, n, lines[-1]))
    oks = [i for i, l in enumerate(lines) if OK_LINE.match(l)]
    expect(len(oks) == stories, '%d OK lines, not %d (one per story)' % (len(oks), stories))
    if stories == 2:
        # the second story starts after a blank line that ends the first
        expect(lines[oks[0] + 1] == '' and lines[oks[0] + 2].startswith(NOMASK_HEADER),
               'no second story after the first OK line: %r' % lines[oks[0]:oks[0] + 3])
        expect(OK_LINE.match(lines[oks[0]]).group(1) == str(n),
               'first story: %r' % lines[oks[0]])
    expect('CHECK FAILED' not in p.stdout, 'a check failed:\n' + p.stdout)
    expect(p.stderr == '', 'unexpected stderr: %r' % p.stderr)


def check_nomask_trace(p, n, m, r, vtd=True):
    """The story without mask bits (the last one of the trace): masked
    vector @m's two messages go to its divert target and pend it, the PBA
    shows it, the unmask delivers one; live vector @r is rewritten in place."""
    text = p.stdout[p.stdout.rindex(NOMASK_HEADER):]
    base = int(re.search(r'block reserved: IRTE (\d+)\.\.', text).group(1))
    one = ' (1 128-bit store)' if vtd else ''
    want = [
        'no per-vector masking; no MSI-X:\n  eligible with software masking\n',
        'divert hook: masked vector k -> host vector 0xc0 + k on CPU0',
        'every IRTE present before MSI Enable, at its divert target: IRTE %d + k -> host '
        '0xc0 + k/CPU0\n' % base,
        'Enable+, no mask bits; INTx Disable+ at the function\n',
        '%d vectors active; %d IRTEs switched from the divert target to the guest\'s%s\n' %
        (n, n, ' (%d 128-bit stores)' % n if vtd else ''),
        '[7] the guest masks vector %d; the function, which has no mask bit, fires it twice\n' % m,
        'IRTE %d switched to the divert target, host 0x%02x/CPU0%s\n' % (base + m, 0xc0 + m, one),
        '-> IRTE %3d -> host 0x%02x/CPU0 (divert) -> vmsix_dev_irq(%d) -> pended\n' %
        (base + m, 0xc0 + m, m),
        '2 messages held for the guest, nothing delivered; PBA qword 0 = 0x%016x: bit %d set\n' %
        (1 << m, m),
        'vmsix injects 0x%02x/vCPU%d delivered once (2 messages, one pending bit)\n' %
        (0x30 + m, m % 4),
        '[10] the guest rewrites live vector %d\'s Message Address' % r,
        'IRTE %d switched in place, host CPU' % (base + r),
        'delivered (rewritten)\n',
        '[11] the guest masks every entry, disables MSI-X and clears INTx Disable\n',
        'no IRTE present; physical MSI Enable-, INTx Disable-\n',
    ]
    for w in want:
        expect(w in text, 'the story without mask bits lacks %r:\n%s' % (w, text))
    expect(text.count('(divert) -> vmsix_dev_irq(%d) -> pended\n' % m) == 2,
           'not two pended messages of vector %d:\n%s' % (m, text))
    expect(('IRTE %d switched in place' % (base + r)) in text and
           re.search(r'switched in place, host CPU\d -> CPU\d%s\n' % re.escape(one), text),
           'the rewrite is not one store in place:\n' + text)


KEYS = {
    'device': ['sid', 'vectors'],
    'block': ['base', 'size'],
    'physical_msi': ['addr', 'data', 'mme', 'enabled'],
    'pending_check': ['pended', 'pba_bit_seen', 'delivered_once_on_unmask'],
}
IRTE_KEYS = ['index', 'present', 'svt', 'sq', 'sid', 'vector', 'dest', 'delivery_mode', 'posted']
AMDVI_IRTE_KEYS = ['index', 'devid', 'remap_en', 'vector', 'dest', 'int_type', 'raw']
DELIVERY_KEYS = ['vector', 'guest_vector', 'expected_guest_vector', 'dest', 'count']


def check_json(p, n, sid, addr64, iommu='vtd', nomask=False):
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        raise Failure('--json output does not parse: %s\n%s' % (e, p.stdout[:2000]))
    for obj, keys in KEYS.items():
        expect(obj in j, 'no key %r' % obj)
        for k in keys:
            expect(k in j[obj], 'no key %s.%s' % (obj, k))
    for k in ('irtes', 'deliveries', 'ok'):
        expect(k in j, 'no key %r' % k)
    expect(j['ok'] is True, 'ok is not true')
    expect(j.get('iommu') == iommu, 'iommu: %r, not %r' % (j.get('iommu'), iommu))
    expect(j.get('masking') == ('software' if nomask else 'function') and
           j['device'].get('per_vector_mask') is (not nomask),
           'masking %r, per_vector_mask %r' % (j.get('masking'),
                                               j['device'].get('per_vector_mask')))
    dev, blk, msi = j['device'], j['block'], j['physical_msi']
    expect(dev['sid'] == sid and dev['vectors'] == n, 'device: %r' % dev)
    expect(dev['addr64'] is addr64, 'device.addr64: %r' % dev['addr64'])
    expect(blk['size'] == n and blk['base'] % n == 0, 'block: %r' % blk)
    irtes = j['irtes']
    expect(len(irtes) == n, '%d IRTEs listed, not %d' % (len(irtes), n))
    if iommu == 'vtd':
        # the composed remappable MSI: handle = base, SHV, data 0, MME = log2(n)
        want = 0xfee00000 | (blk['base'] & 0x7fff) << 5 | 0x10 | 0x08 | (blk['base'] >> 15) << 2
        want_data = 0
    else:
        # AMD-Vi: the interrupt range, data = the block's first index (the
        # function replaces its low log2(n) bits with k)
        want, want_data = 0xfee00000, blk['base']
        expect(blk['base'] != 0, 'block at 0: entry 0 is kept unused: %r' % blk)
    expect(msi['addr'] == want and msi['data'] == want_data and msi['enabled'] is True and
           (1 << msi['mme']) == n, 'physical_msi %r, want addr %#x data %#x' %
           (msi, want, want_data))
    for i, e in enumerate(irtes):
        for k in IRTE_KEYS if iommu == 'vtd' else AMDVI_IRTE_KEYS:
            expect(k in e, 'irtes[%d] has no %r' % (i, k))
        expect(e['index'] == blk['base'] + i, 'irtes[%d].index %r' % (i, e['index']))
        if iommu == 'vtd':
            expect(e['present'] is True and e['svt'] == 1 and e['sq'] == 0 and e['sid'] == sid and
                   e['delivery_mode'] in (0, 1) and e['posted'] is False,
                   'irtes[%d]: %r' % (i, e))
        else:
            # the 32-bit entry, by its bit table: RemapEn (0), IntType (4:2),
            # DM (6) 0, Destination (15:8), Vector (23:16), the rest 0
            raw = 1 | e['int_type'] << 2 | e['dest'] << 8 | e['vector'] << 16
            expect(e['devid'] == sid and e['remap_en'] is True and e['int_type'] in (0, 1) and
                   e['raw'] == raw, 'irtes[%d]: %r, raw want %#x' % (i, e, raw))
    unit = j[iommu]
    expect(unit['present'] == n, 'present IRTEs in the table: %r' % unit)
    expect(unit['pool_free_end'] == unit['pool_free_start'],
           'the pool is not back at its start: %r' % unit)
    pc = j['pending_check']
    expect(pc['pended'] is True and pc['pba_bit_seen'] is True and
           pc['delivered_once_on_unmask'] is True, 'pending_check: %r' % pc)
    # one delivery per vector; the pending-check vector and the moved one
    # were fired once more each, and without mask bits the rewritten one
    twice = [pc['vector'], j['move']['vector']]
    expect(len(set(twice)) == 2 and j['move']['delivered'] is True, 'move: %r' % j['move'])
    if nomask:
        dv, lr = j.get('divert'), j.get('live_rewrite')
        expect(msi['mask'] is None, 'a mask register without mask bits: %r' % msi)
        expect(dv == {'vector': pc['vector'], 'host_vector': 0xc0 + pc['vector'], 'host_cpu': 0,
                      'messages': 2}, 'divert: %r' % dv)
        expect(lr is not None and lr['in_place'] is True and lr['delivered'] is True and
               lr['from'] != lr['to'] and
               lr['stores_128'] == (1 if iommu == 'vtd' else None), 'live_rewrite: %r' % lr)
        twice.append(lr['vector'])
    else:
        expect('divert' not in j and 'live_rewrite' not in j, 'software masking keys')
    dels = j['deliveries']
    expect(len(dels) == n, '%d deliveries listed, not %d' % (len(dels), n))
    for k, x in enumerate(dels):
        for key in DELIVERY_KEYS:
            expect(key in x, 'deliveries[%d] has no %r' % (k, key))
        want_count = 1 + twice.count(k)
        expect(x['vector'] == k and x['count'] == want_count and
               x['count'] == x['expected_count'] and
               x['guest_vector'] == x['expected_guest_vector'] == 0x30 + k and
               x['dest'] == x['expected_dest'] and
               irtes[k]['vector'] == x['host_vector'] and irtes[k]['dest'] == x['host_cpu'],
               'deliveries[%d]: %r (IRTE %r)' % (k, x, irtes[k]))
    return j


def lspci_decode(lspci, text):
    with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([lspci, '-vvv', '-F', path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    finally:
        os.unlink(path)
    if p.returncode != 0:
        raise Failure('lspci -vvv -F failed (%d): %s' % (p.returncode, p.stderr))
    return p.stdout


def check_lspci(out, n, bar, bar_addr):
    want = ['MSI-X: Enable+ Count=%d ' % n,
            'Vector table: BAR=%d offset=00000000' % bar,
            'PBA: BAR=%d offset=00000800' % bar,
            'Region %d: Memory at %08x (32-bit, non-prefetchable)' % (bar, bar_addr)]
    for w in want:
        expect(w in out, 'lspci does not show %r:\n%s' % (w, out))
    expect('MSI:' not in out, 'lspci shows an MSI capability:\n' + out)


def need_lspci(a):
    if not a.lspci or not os.access(a.lspci, os.X_OK):
        print('skipped: lspci is not installed (apt-get install pciutils)')
        sys.exit(77)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('case')
    ap.add_argument('--demo', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--lspci', default='')
    a = ap.parse_args()
    demo, dump = a.demo, os.path.join(a.data, DUMP)

    if a.case == 'default':
        p = run(demo)
        check_trace(p, 32, stories=2)
        check_nomask_trace(p, 32, 5, 3)
        print('ok: default run, 32/32 ... OK with mask bits, then without them')
    elif a.case == 'json':
        j = check_json(run(demo, '--json'), 32, 0x0300, True)
        print('ok: --json: %d keys, 32 present IRTEs at %d, SVT 1, SQ 0, SID 0x0300'
              % (len(j), j['block']['base']))
    elif a.case == 'vectors':
        check_trace(run(demo, '--vectors', '4'), 4, stories=2)
        check_json(run(demo, '--vectors', '4', '--json'), 4, 0x0300, True)
        check_trace(run(demo, '--vectors=2'), 2, stories=2)
        print('ok: --vectors 4 and 2')
    elif a.case == 'lspci':
        need_lspci(a)
        p = run(demo, '--lspci')
        expect(p.stdout.startswith('0000:03:00.0 '), 'header: %r' % p.stdout[:40])
        check_lspci(lspci_decode(a.lspci, p.stdout), 32, 2, 0xfe004000)
        print('ok: lspci -vvv -F decodes the guest view: MSI-X Enable+ Count=32, no MSI')
    elif a.case == 'dump':
        check_trace(run(demo, '--dump', dump, '-s', '05:00.0'), 8, stories=2)
        check_json(run(demo, '--dump', dump, '-s', '0000:05:00.0', '--json'), 8, 0x0500, False)
        check_trace(run(demo, '--dump', dump, '--slot', '0001:03:00.0'), 4, stories=2)
        print('ok: --dump %s -s 05:00.0 (8/8) and 0001:03:00.0 (4/4)' % DUMP)
    elif a.case == 'dump-lspci':
        need_lspci(a)
        p = run(demo, '--dump', dump, '-s', '05:00.0', '--lspci')
        expect(p.stdout.startswith('0000:05:00.0 '), 'header: %r' % p.stdout[:40])
        check_lspci(lspci_decode(a.lspci, p.stdout), 8, 2, 0xfe100000)
        print('ok: lspci decodes the Atheros guest view: MSI-X Enable+ Count=8, no MSI')
    elif a.case == 'ineligible':
        for slot in ('04:00.0', '0001:02:00.0', '0002:01:00.0'):
            p = run(demo, '--dump', dump, '-s', slot, expect=2)
            expect(p.stdout == '', 'output on stdout: %r' % p.stdout)
            expect('not eligible' in p.stderr, 'no verdict: %r' % p.stderr)
        p = run(demo, '--dump', dump, '-s', '04:00.0', expect=2)
        expect('no-msi' in p.stderr and 'bridge' in p.stderr, 'reasons: %r' % p.stderr)
        p = run(demo, '--dump', dump, '-s', '0002:01:00.0', expect=2)
        expect('has-msix' in p.stderr and 'no-per-vector-mask' in p.stderr,
               'reasons: %r' % p.stderr)
        # without mask bits and without a free BAR slot: software masking
        # cannot serve it either, and the message says what remains
        p = run(demo, '--dump', os.path.join(a.data, 'pciutils/tree-asus-p6t6'), '-s', '00:1f.2',
                expect=2)
        expect(p.stderr == 'vmsix-demo: 0000:00:1f.2 (8086:3a22) is not eligible for MSI-X '
               'emulation: no-per-vector-mask, no-free-bar (with software masking: '
               'no-free-bar)\n', 'reasons: %r' % p.stderr)
        print('ok: bridges, an MSI-X function and one without mask bits or a free BAR exit 2 '
              'naming the reasons')
    elif a.case == 'amdvi':
        p = run(demo, '--iommu', 'amdvi')
        check_trace(p, 32, stories=2)
        check_nomask_trace(p, 32, 5, 3, vtd=False)
        j = check_json(run(demo, '--iommu=amdvi', '--json'), 32, 0x0300, True, 'amdvi')
        check_trace(run(demo, '--iommu', 'amdvi', '--vectors', '4'), 4, stories=2)
        check_json(run(demo, '--iommu', 'amdvi', '--vectors', '4', '--json'), 4, 0x0300, True,
                   'amdvi')
        check_json(run(demo, '--dump', dump, '-s', '05:00.0', '--iommu', 'amdvi', '--json'), 8,
                   0x0500, False, 'amdvi')
        check_trace(run(demo, '--iommu', 'vtd'), 32, stories=2)
        print('ok: --iommu amdvi: 32 IRTEs at %d of DeviceID 0x0300, data = the index; 4; '
              'a dump; --iommu vtd' % j['block']['base'])
    elif a.case == 'bad-args':
        cases = [
            ['--bogus'], ['extra'], ['--vectors'], ['--vectors', '3'], ['--vectors', '1'],
            ['--vectors', '64'], ['--vectors', '4x'], ['--vectors', ''], ['--json=yes'],
            ['--json', '--lspci'], ['-s', '05:00.0'], ['--dump'], ['--dump', ''],
            ['--dump', os.path.join(a.data, 'no-such-file')],
            ['--dump', dump], ['--dump', dump, '-s', 'zz'], ['--dump', dump, '-s', '05:00'],
            ['--dump', dump, '-s', '09:00.0'], ['--dump', dump, '-s', '05:00.0', '--vectors', '16'],
            ['--dump', a.data], ['--iommu'], ['--iommu', 'intel'], ['--iommu='],
            ['--no-mask-bits=yes'], ['--no-mask-bits', '--json', '--lspci'],
        ]
        for c in cases:
            p = run(demo, *c, expect=2)
            expect(p.stderr.startswith('vmsix-demo: ') and p.stdout == '',
                   '%r: stdout %r, stderr %r' % (c, p.stdout, p.stderr))
        print('ok: %d bad argument lists exit 2 with a message' % len(cases))
    elif a.case == 'help':
        for h in ('--help', '-h'):
            p = run(demo, h)
            for w in ('Usage: vmsix-demo', '--json', '--lspci', '--vectors', '--dump', '--iommu',
                      '--no-mask-bits', 'divert hook', '32 vectors', 'at most 8 vectors',
                      'Exit status'):
                expect(w in p.stdout, '%s does not mention %r' % (h, w))
        print('ok: --help')
    elif a.case == 'nomask':
        # the story without mask bits alone, on every unit, every size
        p = run(demo, '--no-mask-bits')
        check_trace(p, 32)
        expect(p.stdout.startswith(NOMASK_HEADER), 'header: %r' % p.stdout[:100])
        check_nomask_trace(p, 32, 5, 3)
        check_json(run(demo, '--no-mask-bits', '--json'), 32, 0x0300, True, nomask=True)
        p = run(demo, '--no-mask-bits', '--iommu', 'amdvi')
        check_trace(p, 32)
        check_nomask_trace(p, 32, 5, 3, vtd=False)
        check_json(run(demo, '--no-mask-bits', '--iommu', 'amdvi', '--json'), 32, 0x0300, True,
                   'amdvi', nomask=True)
        for n, m, r in ((4, 3, 1), (2, 1, 0)):
            p = run(demo, '--no-mask-bits', '--vectors', str(n))
            check_trace(p, n)
            check_nomask_trace(p, n, m, r)
            check_json(run(demo, '--no-mask-bits', '--vectors', str(n), '--json'), n, 0x0300,
                       True, nomask=True)
        # a real function without mask bits: only this story, without the flag
        nm = os.path.join(a.data, NOMASK_DUMP)
        p = run(demo, '--dump', nm, '-s', '7f:00.0')
        check_trace(p, 16)
        expect(p.stdout.startswith(NOMASK_HEADER), 'header: %r' % p.stdout[:100])
        check_nomask_trace(p, 16, 5, 3)
        check_json(run(demo, '--dump', nm, '-s', '7f:00.0', '--json'), 16, 0x7f00, True,
                   nomask=True)
        check_json(run(demo, '--dump', nm, '-s', '7f:00.0', '--iommu', 'amdvi', '--json'), 16,
                   0x7f00, True, 'amdvi', nomask=True)
        # the Atheros with its mask bits dropped (32-bit MSI: 10 bytes)
        p = run(demo, '--dump', dump, '-s', '05:00.0', '--no-mask-bits')
        check_trace(p, 8)
        check_nomask_trace(p, 8, 5, 3)
        expect('MSI-X covers the old MSI bytes 0x50..0x59; no MSI capability is visible\n' in
               p.stdout, 'old MSI bytes:\n' + p.stdout)
        if a.lspci and os.access(a.lspci, os.X_OK):
            p = run(demo, '--no-mask-bits', '--lspci')
            check_lspci(lspci_decode(a.lspci, p.stdout), 32, 2, 0xfe004000)
        print('ok: --no-mask-bits (VT-d, AMD-Vi, 32, 4, 2 vectors, JSON), the Xilinx c084 '
              'without mask bits (16/16), the Atheros with its mask bits dropped')
    else:
        raise Failure('unknown case %r' % a.case)


if __name__ == '__main__':
    try:
        main()
    except Failure as e:
        print('FAIL: %s' % e)
        sys.exit(1)
