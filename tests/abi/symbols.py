#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/symbols: exports == VMSIX_API declarations == the version script.

Three sets of names must be equal, and every name must start with vmsix_:
  - the defined dynamic symbols of libvmsix.so (`nm -D --defined-only`),
  - the functions declared with VMSIX_API in the public headers,
  - the global names of the version script (src/libvmsix.map).
Every difference is reported by name.
"""
import argparse
import os
import re
import subprocess
import sys


def strip_c(text):
    """Drop comments, string literals and preprocessor lines from C text."""
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    out, cont = [], False
    for line in text.splitlines():
        is_pp = cont or line.lstrip().startswith('#')
        cont = is_pp and line.rstrip().endswith('\\')
        if not is_pp:
            out.append(line)
    return '\n'.join(out)


def header_names(headers):
    names = {}
    for h in headers:
        with open(h, encoding='utf-8') as f:
            text = strip_c(f.read())
        for m in re.finditer(r'\bVMSIX_API\b[^;{}()]*?\b([A-Za-z_]\w*)\s*\(', text):
            names.setdefault(m.group(1), os.path.basename(h))
    return names


def map_names(path):
    """Global names and version-node names of a GNU ld version script."""
    with open(path, encoding='utf-8') as f:
        text = re.sub(r'/\*.*?\*/', ' ', f.read(), flags=re.S)
    text = re.sub(r'#[^\n]*', ' ', text)
    tokens = re.findall(r'"[^"]*"|[{}:;]|[^\s{}:;]+', text)
    globals_, nodes, wild = set(), set(), set()
    depth, scope, prev = 0, 'global', None
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t == '{':
            if depth == 0 and prev not in (None, '}', ';'):
                nodes.add(prev)
            depth += 1
            scope = 'global'
        elif t == '}':
            depth -= 1
        elif depth > 0 and t in ('global', 'local') and nxt == ':':
            scope = t
        elif depth > 0 and t not in (':', ';') and nxt == ';' and scope == 'global':
            if re.search(r'[*?\[]', t):
                wild.add(t)
            else:
                globals_.add(t)
        prev = t
    return globals_, nodes, wild


def dynamic_names(nm, lib, nodes):
    proc = subprocess.run([nm, '-D', '--defined-only', lib], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit('FAIL: %s -D --defined-only %s exited with %d'
                         % (nm, lib, proc.returncode))
    names = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1].split('@', 1)[0]
        if kind == 'A' and name in nodes:
            continue  # the version node itself (e.g. VMSIX_0), not a symbol
        names.add(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--nm', required=True)
    ap.add_argument('--shared', required=True)
    ap.add_argument('--map', required=True)
    ap.add_argument('headers', nargs='+')
    a = ap.parse_args()

    hdr = header_names(a.headers)
    mapped, nodes, wild = map_names(a.map)
    dyn = dynamic_names(a.nm, a.shared, nodes)
    sets = [
        ('exported by %s' % os.path.basename(a.shared), dyn),
        ('declared VMSIX_API in the public headers', set(hdr)),
        ('global in %s' % os.path.basename(a.map), mapped),
    ]
    print('checking: these sets are equal and every name starts with vmsix_:')
    for label, s in sets:
        print('  %3d %s' % (len(s), label))

    problems = 0
    for w in sorted(wild):
        print('  FAIL: %s: wildcard in a global section of the version script' % w)
        problems += 1
    everything = set().union(*(s for _, s in sets))
    for name in sorted(everything):
        missing = [label for label, s in sets if name not in s]
        where = ' (%s)' % hdr[name] if name in hdr else ''
        if missing:
            print('  FAIL: %s%s: not %s' % (name, where, '; not '.join(missing)))
            problems += 1
        if not name.startswith('vmsix_'):
            print('  FAIL: %s%s: does not start with vmsix_' % (name, where))
            problems += 1
    for label, s in sets:
        if not s:
            print('  FAIL: no names %s' % label)
            problems += 1
    if problems:
        print('FAIL: %d problem(s)' % problems)
        return 1
    print('ok: %d symbols, the same in all three: %s' % (len(everything), ', '.join(sorted(everything))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
