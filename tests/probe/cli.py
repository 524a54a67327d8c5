#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Command-line tests of vmsix-probe: --help and the man page, exit status 2
with a message for every bad argument and unreadable input, --json is valid
JSON (python3 -m json.tool) with the documented keys, lspci's slot syntax
(compared with lspci -s when lspci is installed), a 64-byte dump says
truncated, --bar-sizes, the live path (and, when run as root, the same scan
as an unprivileged user must never give a wrong verdict).

Usage: cli.py PROBE DATA_DIR MANPAGE [LSPCI]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

probe, data, manpage = sys.argv[1:4]
lspci = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] not in ('', '-') else None
errors = []
count = 0
FSL = os.path.join(data, 'pciutils', 'tree-fsl-p2020')
ASUS = os.path.join(data, 'pciutils', 'tree-asus-p6t6')


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
    p = run(['--dump', ASUS, '-s', '00:1f.2'])
    expect('text', p.stdout.endswith('\tverdict: not eligible: no-per-vector-mask, no-free-bar\n'),
           p.stdout)

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
                else:
                    expect(w, (u['eligible'], u['reasons'], u['table_bar']) ==
                           (r['eligible'], r['reasons'], r['table_bar']),
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
