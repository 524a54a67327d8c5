#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Command-line tests of vmsix-probe: --help and the man page, exit status 2
with a message for every bad argument and unreadable input, --json is valid
JSON (python3 -m json.tool) with the documented keys, the verdict per
backend (with the function's mask bits, with software masking: text and
JSON, on real functions without mask bits and on a synthetic dump of QEMU's
xHCI), lspci's slot syntax (compared with lspci -s when lspci is
installed), a 64-byte dump says truncated, --bar-sizes, the live path (and,
when run as root, the same scan as an unprivileged user must never give a
wrong verdict).

Usage: cli.py PROBE DATA_DIR MANPAGE [LSPCI]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xhci_dump  # noqa: E402

probe, data, manpage = sys.argv[1:4]
lspci = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] not in ('', '-') else None
errors = []
count = 0
FSL = os.path.join(data, 'pciutils', 'tree-fsl-p2020')
ASUS = os.path.join(data, 'pciutils', 'tree-asus-p6t6')
CXL = os.path.join(data, 'pciutils', 'cap-dvsec-cxl')
BACKENDS = ('vtd', 'amdvi', 'vfio')
# what software masking needs of the host, per backend
REQUIRES = {'vtd': ['divert-hook', 'live-switch'], 'amdvi': ['divert-hook', 'live-switch'],
            'vfio': ['host-multi-msi']}
# the backend lines of the text output, after the verdict
TEXT_MASK_BITS = ('\t\tVT-d: eligible with the function\'s mask bits\n'
                  '\t\tAMD-Vi: eligible with the function\'s mask bits\n')
TEXT_SOFTWARE = ('\t\tVT-d: eligible with software masking (needs the divert hook and a '
                 '128-bit atomic store: cmpxchg16b on x86-64, else store128)\n'
                 '\t\tAMD-Vi: eligible with software masking (needs the divert hook, and '
                 '32-bit IRTEs or a 128-bit atomic store)\n')
TEXT_VFIO = ('\t\tVFIO + KVM: eligible with software masking (needs the host to grant %d MSI '
             'vectors: on x86, with interrupt remapping)\n')


def run(args, **kw):
    return subprocess.run([probe] + args, capture_output=True, text=True, **kw)


def expect(what, cond, detail=''):
    global count
    count += 1
    if not cond:
        errors.append('%s %s' % (what, detail))


def expect_bad(args, needle=None):
    p = run(args)
    what = 'vmsix-probe %s' % ' '.join(args)
    expect(what, p.returncode == 2, 'exited %d (want 2); stderr %r' % (p.returncode, p.stderr))
    expect(what, p.stderr.startswith('vmsix-probe: ') and p.stderr.endswith('\n'),
           'message %r' % p.stderr)
    expect(what, p.stdout == '', 'printed on stdout: %r' % p.stdout[:200])
    if needle:
        expect(what, needle in p.stderr, 'message %r lacks %r' % (p.stderr, needle))


def probe_json(args, json_tool=False):
    """The probe's --json output, parsed (and checked by python3 -m json.tool)."""
    p = run(args + ['--json'])
    what = 'vmsix-probe %s --json' % ' '.join(args)
    expect(what, p.returncode == 0, 'exited %d: %s' % (p.returncode, p.stderr))
    if json_tool:
        t = subprocess.run([sys.executable, '-m', 'json.tool'], input=p.stdout,
                           capture_output=True, text=True)
        expect(what, t.returncode == 0, 'json.tool: %s' % t.stderr)
    try:
        v = json.loads(p.stdout)
    except ValueError as e:
        errors.append('%s: not JSON: %s' % (what, e))
        return []
    expect(what, isinstance(v, list), 'not an array')
    for o in v:
        check_object(what, o)
    return v


def check_object(what, o):
    for k in ('slot', 'vendor', 'device', 'msi', 'msix', 'eligible', 'reasons', 'table_bar',
              'layout'):
        expect(what, k in o, 'no key %s in %s' % (k, o))
    expect(what, re.fullmatch(r'[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]', o['slot']) is not None,
           'slot %r' % o['slot'])
    expect(what, re.fullmatch(r'[0-9a-f]{4}', o['vendor']) is not None, 'vendor')
    expect(what, re.fullmatch(r'[0-9a-f]{4}', o['device']) is not None, 'device')
    if o['msi'] is not None:
        expect(what, sorted(o['msi']) == ['addr64', 'offset', 'per_vector_mask', 'vectors'],
               'msi keys %s' % sorted(o['msi']))
    if o['msix'] is not None:
        expect(what, sorted(o['msix']) == ['offset', 'vectors'], 'msix keys')
    names = {'no-msi', 'has-msix', 'single-vector', 'no-per-vector-mask', 'no-free-bar',
             'bridge', 'malformed-chain', 'truncated'}
    expect(what, set(o['reasons']) <= names, 'reasons %s' % o['reasons'])
    expect(what, o['eligible'] == (o['reasons'] == []), 'eligible vs reasons')
    expect(what, (o['table_bar'] is None) == (not o['eligible']), 'table_bar vs eligible')
    check_backends(what, o)


def check_backends(what, o):
    """software_masking and backends, against the verdict with mask bits."""
    for k in ('software_masking', 'backends'):
        expect(what, k in o, 'no key %s in %s' % (k, o))
        if k not in o:
            return
    sw, be = o['software_masking'], o['backends']
    expect(what, sorted(sw) == ['eligible', 'reasons', 'table_bar'], 'software_masking keys')
    # software masking drops exactly no-per-vector-mask; the slot is the same
    want = [r for r in o['reasons'] if r != 'no-per-vector-mask']
    expect(what, sw['reasons'] == want, 'software reasons %s, want %s' % (sw['reasons'], want))
    expect(what, sw['eligible'] == (want == []), 'software eligible vs reasons')
    expect(what, (sw['table_bar'] is None) == (not sw['eligible']), 'software table_bar')
    if o['eligible']:
        expect(what, sw['table_bar'] == o['table_bar'], 'software table_bar %s' % sw)
    expect(what, sorted(be) == sorted(BACKENDS), 'backends %s' % sorted(be))
    for k in BACKENDS:
        b = be.get(k, {})
        w = '%s backends.%s' % (what, k)
        expect(w, sorted(b) == ['eligible', 'masking', 'reasons', 'requires'], 'keys %s' % b)
        if sorted(b) != ['eligible', 'masking', 'reasons', 'requires']:
            continue
        expect(w, b['eligible'] == sw['eligible'], 'eligible %s' % b)
        if not sw['eligible']:
            expect(w, (b['masking'], b['reasons'], b['requires']) == (None, sw['reasons'], []),
                   '%s' % b)
        elif k != 'vfio' and o['eligible']:
            expect(w, (b['masking'], b['reasons'], b['requires']) == ('function', [], []),
                   '%s' % b)
        else:
            expect(w, (b['masking'], b['reasons'], b['requires']) == ('software', [],
                                                                      REQUIRES[k]), '%s' % b)


def by_slot(v):
    return {o['slot']: o for o in v}


def main():
    tmp = tempfile.mkdtemp()
    try:
        return tests(tmp)
    finally:
        shutil.rmtree(tmp)


def tests(tmp):
    # --help, --version, the man page documents every option
    p = run(['--help'])
    expect('--help', p.returncode == 0 and p.stdout.startswith('Usage: vmsix-probe'),
           'exited %d' % p.returncode)
    opts = sorted(set(re.findall(r'(--[a-z][a-z-]+)', p.stdout)))
    expect('--help', len(opts) >= 9, 'options %s' % opts)
    man = open(manpage, encoding='utf-8').read().replace('\\-', '-')
    for o in opts:
        expect('man page', o in man, 'does not document %s' % o)
    expect('man page', 'EXIT STATUS' in man and '.TH VMSIX-PROBE 1' in man, 'sections')
    p = run(['-h'])
    expect('-h', p.returncode == 0 and 'Usage' in p.stdout)
    p = run(['--version'])
    expect('--version', p.returncode == 0 and p.stdout.startswith('vmsix-probe '), p.stdout)

    # bad arguments
    missing = os.path.join(tmp, 'no-such-file')
    empty = os.path.join(tmp, 'empty')
    open(empty, 'w').close()
    text = os.path.join(tmp, 'text')
    with open(text, 'w') as f:
        f.write('this is not a dump\n')
    expect_bad(['--bogus'], '--bogus')
    expect_bad(['-x'], '-x')
    expect_bad(['extra'], 'extra')
    expect_bad(['-s'], 'needs an argument')
    expect_bad(['--dump'], 'needs an argument')
    expect_bad(['--dump', missing], missing)
    expect_bad(['--dump', tmp], tmp)
    expect_bad(['--dump', empty], empty)
    expect_bad(['--dump', text], text)
    for slot in ('zz:00.0', '00:20.0', '00:00.8', '100:00.0', '1:2:3:4', '00:1f.0x', '0x5:00.0',
                 '00:00.0.0', 'g', '-1', '00:00.-1'):
        expect_bad(['--dump', FSL, '-s', slot], slot)
    expect_bad(['--dump', FSL, '-s', '7f:1f.7'], 'no such function')
    expect_bad(['-s', 'ff:1f.7', '--dump', ASUS], 'no such function')
    expect_bad(['--dump', FSL, '--virtual'], '--virtual needs -s')
    expect_bad(['--dump', ASUS, '-s', '00:1c', '--virtual'], 'exactly one')
    expect_bad(['--dump', ASUS, '-s', '00:1f.2', '--virtual'], 'no-per-vector-mask')
    expect_bad(['--dump', ASUS, '-s', '00:1f.2', '--virtual'], 'not eligible')
    expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--json'], '--json')
    for v in ('0', '1', '3', '64', 'abc', '-2', '8x', ''):
        expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--vectors', v], '--vectors')
    expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--vectors', '16'], 'only 8')
    for v in ('0', '1000', '2048', '6144', '0x100000000', 'big'):
        expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--bar-size', v], '--bar-size')
    for v in ('6', '-1', 'x'):
        expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--table-bar', v],
                   '--table-bar')
    for v in ('0', '1'):  # the 64-bit BAR and its upper half
        expect_bad(['--dump', FSL, '-s', '05:00.0', '--virtual', '--table-bar', v], 'not free')
    expect_bad(['--dump', FSL, '-s', '05:00.0', '--bar-size', '4096'], 'need --virtual')
    expect_bad(['--dump', FSL, '--vectors', '2'], 'need --virtual')
    expect_bad(['--bar-sizes', '0x1000'], 'needs --dump')
    for v in ('3', '0x1000,,0', ',1', '1,', '1,2,4,8,16,32,64', 'x'):
        expect_bad(['--dump', FSL, '--bar-sizes', v], '--bar-sizes')

    # --json on every corpus file
    nfuncs = 0
    for dp, _, fs in os.walk(data):
        for f in sorted(fs):
            if 'README' not in f and not f.endswith('.txt'):
                nfuncs += len(probe_json(['--dump', os.path.join(dp, f)],
                                         json_tool=f == 'tree-fsl-p2020'))
    expect('corpus', nfuncs >= 180, '%d functions' % nfuncs)

    # the text output
    p = run(['--dump', FSL])
    expect('text', p.returncode == 0)
    expect('text', '0000:05:00.0 168c:003c\n\tMSI: offset 0x50, 8 vectors, 32-bit address, '
           'per-vector mask\n\tMSI-X: none\n\tverdict: eligible, table in BAR 2\n' in p.stdout,
           p.stdout[:400])
    # the backends: VT-d and AMD-Vi with the function's mask bits, VFIO + KVM
    # always with software masking
    expect('text backends', '\tverdict: eligible, table in BAR 2\n' + TEXT_MASK_BITS +
           TEXT_VFIO % 8 + '\tlayout at ' in p.stdout, p.stdout[:800])
    p = run(['--dump', ASUS, '-s', '00:1f.2'])
    expect('text', p.stdout.endswith('\tverdict: not eligible: no-per-vector-mask, no-free-bar\n'),
           p.stdout)
    # no backend line where no backend can serve it
    expect('text backends', '\t\t' not in p.stdout, p.stdout)

    # a real function without mask bits (Xilinx c084, 16 vectors): every
    # backend with software masking, the table BAR emulated, and --virtual
    p = run(['--dump', CXL, '-s', '7f:00.0'])
    expect('no mask bits', p.returncode == 0 and p.stdout.startswith(
        '0000:7f:00.0 10ee:c084\n\tMSI: offset 0xe0, 16 vectors, 64-bit address, no per-vector '
        'mask\n\tMSI-X: none\n\tverdict: eligible with software masking, table in BAR 4\n' +
        TEXT_SOFTWARE + TEXT_VFIO % 16 + '\tlayout at 4 KiB pages: BAR 4, 4 KiB, emulated by '
        'vmsix, table at 0x0, PBA at 0x800\n'), p.stdout)
    o = probe_json(['--dump', CXL, '-s', '7f:00.0', '--page-size', '4096'], json_tool=True)[0]
    expect('no mask bits --json', (o['eligible'], o['reasons'], o['table_bar']) ==
           (False, ['no-per-vector-mask'], None), str(o))
    expect('no mask bits --json', o['software_masking'] ==
           {'eligible': True, 'reasons': [], 'table_bar': 4}, str(o['software_masking']))
    for k in BACKENDS:
        expect('no mask bits --json', o['backends'][k] == {
            'eligible': True, 'masking': 'software', 'reasons': [], 'requires': REQUIRES[k]},
            '%s: %s' % (k, o['backends'][k]))
    bars = o['layout']['bars'] if o['layout'] else []
    expect('no mask bits --json', len(bars) == 1 and bars[0]['emulated'] and
           (bars[0]['bar'], bars[0]['table_offset'], bars[0]['pba_offset']) == (4, 0, 2048),
           str(o['layout']))
    p = run(['--dump', CXL, '-s', '7f:00.0', '--virtual'])
    expect('no mask bits --virtual', p.returncode == 0 and
           re.search(r'^e0: 11 f8 0f 00 04 00 00 00 04 08 00 00 00 00 ', p.stdout, re.M)
           is not None, p.stdout[:800] + p.stderr)
    # with every BAR slot sized, no backend can serve it
    o = probe_json(['--dump', CXL, '-s', '7f:00.0', '--bar-sizes', '1,1,1,1,1,1'])[0]
    expect('no mask bits, no free BAR', not o['software_masking']['eligible'] and
           o['software_masking']['reasons'] == ['no-free-bar'] and o['layout'] is None and
           all(not o['backends'][k]['eligible'] and o['backends'][k]['reasons'] ==
               ['no-free-bar'] for k in BACKENDS), str(o))
    expect_bad(['--dump', CXL, '-s', '7f:00.0', '--bar-sizes', '1,1,1,1,1,1', '--virtual'],
               'no-per-vector-mask, no-free-bar (with software masking: no-free-bar)')
    expect_bad(['--dump', ASUS, '-s', '00:1f.2', '--virtual'],
               'no-per-vector-mask, no-free-bar (with software masking: no-free-bar)')

    # QEMU's xHCI as issue 15 uses it (16 vectors, 64-bit, no mask bits)
    xhci = os.path.join(tmp, 'xhci')
    with open(xhci, 'w') as f:
        f.write(xhci_dump.dump_text())
    p = run(['--dump', xhci])
    expect('xHCI', p.returncode == 0 and p.stdout.startswith(
        '0000:00:04.0 1033:0194\n\tMSI: offset 0x70, 16 vectors, 64-bit address, no per-vector '
        'mask\n\tMSI-X: none\n\tverdict: eligible with software masking, table in BAR 2\n' +
        TEXT_SOFTWARE + TEXT_VFIO % 16), p.stdout)
    o = probe_json(['--dump', xhci], json_tool=True)
    expect('xHCI --json', len(o) == 1 and o[0]['msi'] == {
        'offset': 0x70, 'vectors': 16, 'addr64': True, 'per_vector_mask': False} and
        o[0]['software_masking']['table_bar'] == 2 and
        all(o[0]['backends'][k]['masking'] == 'software' for k in BACKENDS), str(o))
    p = run(['--dump', xhci, '-s', '00:04.0', '--virtual', '--vectors', '4'])
    expect('xHCI --virtual', p.returncode == 0 and
           re.search(r'^70: 11 00 03 00 02 00 00 00 02 08 00 00 00 00 ', p.stdout, re.M)
           is not None, p.stdout[:800] + p.stderr)

    # a 64-byte dump: truncated, never no-msi; and one that proves no MSI
    full = by_slot(probe_json(['--dump', FSL]))
    d64 = os.path.join(tmp, 'dump64')
    with open(FSL) as f:
        src = f.read().split('\n')
    out, keep, n64 = [], False, 0
    for line in src:
        if re.match(r'^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ', line):
            keep = True
            out.append(line)
        elif re.match(r'^[0-3]0: ', line) and keep:
            out.append(line)
            n64 += 1
        elif line == '':
            if keep:
                out.append('')
            keep = False
    with open(d64, 'w') as f:
        f.write('\n'.join(out) + '\n')
    v64 = by_slot(probe_json(['--dump', d64]))
    expect('64-byte dump', sorted(v64) == sorted(full) and n64 == 4 * len(full),
           '%s vs %s' % (sorted(v64), sorted(full)))
    for slot, o in v64.items():
        w = 'a 64-byte dump of %s' % slot
        status = full[slot]
        expect(w, not o['eligible'], 'eligible')
        expect(w, not o['software_masking']['eligible'], 'eligible with software masking')
        expect(w, 'no-msi' not in o['reasons'] or status['msi'] is None,
               'no-msi claimed: %s' % o['reasons'])
        expect(w, o.get('config_bytes') == 64, 'config_bytes %s' % o.get('config_bytes'))
        expect(w, any('64 bytes' in n for n in o.get('notes', [])), 'no note: %s' % o)
    o = v64['0000:05:00.0']
    expect('64-byte 05:00.0', o['reasons'] == ['truncated'] and o['msi'] is None, str(o))
    p = run(['--dump', d64, '-s', '05:00.0'])
    expect('64-byte text', p.returncode == 0 and 'not eligible: truncated' in p.stdout and
           'only 64 bytes' in p.stdout, p.stdout)
    expect_bad(['--dump', d64, '-s', '05:00.0', '--virtual'], 'truncated')
    # the same header with Status bit 4 clear proves that there is no MSI
    nocap = os.path.join(tmp, 'nocap')
    with open(nocap, 'w') as f:
        f.write('00:01.0 x\n00: 86 80 00 01 06 00 00 00 01 00 00 02 00 00 00 00\n'
                '10: 00 00 00 fe 00 00 00 00 00 00 00 00 00 00 00 00\n'
                '20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n'
                '30: 00 00 00 00 40 00 00 00 00 00 00 00 00 00 00 00\n\n')
    o = probe_json(['--dump', nocap])
    expect('64-byte, no list', len(o) == 1 and o[0]['reasons'] == ['no-msi'], str(o))

    # --bar-sizes: an implemented BAR that reads 0 is not free
    o = by_slot(probe_json(['--dump', FSL, '-s', '05:00.0']))['0000:05:00.0']
    expect('--bar-sizes', o['table_bar'] == 2, str(o))
    o = probe_json(['--dump', FSL, '-s', '05:00.0', '--bar-sizes', '0x200000,0,0x1000'])[0]
    expect('--bar-sizes', o['eligible'] and o['table_bar'] == 3, str(o))
    o = probe_json(['--dump', FSL, '-s', '05:00.0', '--bar-sizes',
                    '0x200000,0,0x1000,0x1000,0x1000,0x100'])[0]
    expect('--bar-sizes', not o['eligible'] and o['reasons'] == ['no-free-bar'], str(o))
    p = run(['--dump', FSL, '-s', '05:00.0', '--bar-sizes', '0x200000,0,0x1000', '--virtual'])
    expect('--bar-sizes --virtual', p.returncode == 0 and
           re.search(r'^50: 11 70 07 00 03 00 00 00 03 08 00 00 ', p.stdout, re.M) is not None,
           p.stdout[:600])
    expect_bad(['--dump', FSL, '-s', '05:00.0', '--bar-sizes', '0x200000,0,0x1000', '--virtual',
                '--table-bar', '2'], 'not free')

    # lspci's slot syntax: the probe selects what lspci -s selects
    slots = ['05:00.0', '0001:03:00.0', '03:00.0', '03:00', '00.0', ':00.0', '*:*.*', '0:0.0',
             '0001:', '0001::', '0001:*:*.*', '.0', '1f.7', '0000:00:00.0', '00:00.0', '0',
             '0:0', '*:0.*']
    for slot in slots:
        p = run(['--dump', FSL, '-s', slot, '--json'])
        got = sorted(o['slot'] for o in json.loads(p.stdout)) if p.returncode == 0 else []
        if lspci:
            lp = subprocess.run([lspci, '-D', '-F', FSL, '-s', slot], capture_output=True,
                                text=True)
            want = sorted(l.split()[0] for l in lp.stdout.splitlines() if l)
            expect('-s %s' % slot, got == want, 'probe %s, lspci %s' % (got, want))
            if not want:
                expect('-s %s' % slot, p.returncode == 2, 'exit %d' % p.returncode)
        else:
            expect('-s %s' % slot, p.returncode in (0, 2))

    # the live path works whatever the machine has (maybe nothing)
    live = probe_json([], json_tool=True)
    p = run([])
    expect('live', p.returncode == 0, p.stderr)
    skipped = ''
    if live and os.geteuid() == 0 and shutil.which('setpriv'):
        # unprivileged: only 64 bytes are readable; never a wrong verdict
        p = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                            probe, '--json'], capture_output=True, text=True)
        if p.returncode == 0:
            user = by_slot(json.loads(p.stdout))
            root = by_slot(live)
            expect('non-root', sorted(user) == sorted(root), 'functions differ')
            for slot, u in user.items():
                r = root.get(slot)
                if not r:
                    continue
                w = 'non-root %s' % slot
                if u['config_bytes'] < 256:
                    expect(w, any('bytes' in n for n in u['notes']), 'no note')
                if 'truncated' in u['reasons']:
                    expect(w, not u['eligible'], 'eligible and truncated')
                    expect(w, not u['software_masking']['eligible'],
                           'eligible with software masking and truncated')
                else:
                    expect(w, (u['eligible'], u['reasons'], u['table_bar'],
                               u['software_masking'], u['backends']) ==
                           (r['eligible'], r['reasons'], r['table_bar'],
                            r['software_masking'], r['backends']),
                           '%s vs root %s' % (u, r))
        else:
            skipped = ' (non-root run not possible here: %s)' % p.stderr.strip()[:100]
    elif not live:
        skipped = ' (no PCI function visible on this machine)'
    else:
        skipped = ' (not root: no unprivileged comparison)'

    for e in errors:
        print('FAIL', e)
    print('%d checks, %d failed%s' % (count, len(errors), skipped))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
