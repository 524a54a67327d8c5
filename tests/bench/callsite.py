#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per library call of each case of a vmsix benchmark, measured
at its call site by callgrind, with the hooks' own share beside it.

The benchmark (tests/bench/bench_msix.c) gives every case CASE a call site:
an out-of-line function site_CASE ('-' written '_') that makes exactly one
library call (a function named vmsix_*). Its hooks are functions named
hook_*. For each case that BENCH --list prints, this runs

    valgrind --tool=callgrind --toggle-collect=site_* BENCH --case CASE --iters N

(so that only what runs inside the call sites is counted), reads from
callgrind's output the call arc from site_CASE to the library function:
its inclusive cost (every instruction from the library function's entry to
its return, the hooks it called included) and its call count, and prints

    PREFIX: CASE instr=X hook=Y

with X = inclusive cost / calls (library + hooks) and Y = the instructions
executed in hook_* functions / calls (the hooks alone; X - Y is the
library's own). Nothing is subtracted from anything else. PREFIX is the
benchmark's name without "bench-" (bench-msix: "msix").

Usage: python3 tests/bench/callsite.py build/gcc/tests/bench/bench-msix
       [--iters N] [--case SUBSTRING ...] [--valgrind PATH]
Needs valgrind (Debian package valgrind). Exits 1 if a run fails or a call
site is not one library call.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind import list_cases  # noqa: E402  (the same --list protocol)


def parse_callgrind(path):
    """Self cost per function, and (calls, inclusive cost) per call arc."""
    names = {}
    self_cost = defaultdict(int)
    arcs = defaultdict(lambda: [0, 0])
    fn = cfn = None
    pending_calls = None

    def name_of(spec):
        # "(id) name" defines id; "(id)" refers to it; a bare name is itself
        m = re.match(r'\((\d+)\)(?:\s+(.*))?$', spec.strip())
        if not m:
            return spec.strip()
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names[m.group(1)]

    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('fn='):
                fn = name_of(line[3:])
            elif line.startswith('cfn='):
                cfn = name_of(line[4:])
            elif line.startswith('calls='):
                pending_calls = int(line[6:].split()[0])
            elif line and (line[0].isdigit() or line[0] in '+-*'):
                fields = line.split()
                cost = int(fields[1]) if len(fields) > 1 else 0
                if pending_calls is not None:
                    arc = arcs[(fn, cfn)]
                    arc[0] += pending_calls
                    arc[1] += cost
                    pending_calls = None
                else:
                    self_cost[fn] += cost
    return self_cost, arcs


def run_callgrind(valgrind, bench, case, iters, toggle):
    """Runs BENCH --case CASE --iters N under callgrind, counting only inside
    the functions TOGGLE matches; returns parse_callgrind()'s result."""
    with tempfile.TemporaryDirectory(prefix='vmsix-callsite.') as tmp:
        out = os.path.join(tmp, 'callgrind.out')
        cmd = [valgrind, '--tool=callgrind', '--toggle-collect=' + toggle,
               '--callgrind-out-file=' + out, bench, '--case', case, '--iters', str(iters)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit('callsite.py: `%s` exited with %d' % (' '.join(cmd), proc.returncode))
        return parse_callgrind(out)


def hook_cost(self_cost, arcs):
    """Instructions executed in hook_* functions (and what they call)."""
    hook = sum(c for f, c in self_cost.items() if f.startswith('hook_'))
    return hook + sum(c[1] for (caller, _), c in arcs.items() if caller.startswith('hook_'))


def measure(valgrind, bench, case, iters):
    site = 'site_' + case.replace('-', '_')
    self_cost, arcs = run_callgrind(valgrind, bench, case, iters, 'site_*')
    lib = [(callee, c) for (caller, callee), c in arcs.items()
           if caller == site and callee.startswith('vmsix_')]
    if len(lib) != 1:
        raise SystemExit('callsite.py: %s: %s calls %d library functions, not one: %s'
                         % (case, site, len(lib), ', '.join(x[0] for x in lib) or 'none'))
    callee, (calls, incl) = lib[0]
    if calls == 0:
        raise SystemExit('callsite.py: %s: %s never called %s' % (case, site, callee))
    return incl / float(calls), hook_cost(self_cost, arcs) / float(calls)


def fmt(x):
    return '%d' % x if x == int(x) else '%.1f' % x


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('bench', help='benchmark executable (takes --list, --case, --iters)')
    ap.add_argument('--iters', type=int, default=10000, metavar='N',
                    help='calls per case after the warm-up (default: 10000)')
    ap.add_argument('--case', action='append', default=[], metavar='SUBSTRING',
                    help='only the cases whose name contains SUBSTRING (repeatable)')
    ap.add_argument('--valgrind', default='valgrind', help='valgrind executable')
    a = ap.parse_args()

    if a.iters < 1:
        ap.error('--iters wants a positive count')
    if shutil.which(a.valgrind) is None:
        raise SystemExit('callsite.py: %s not found (apt-get install valgrind)' % a.valgrind)
    bench = os.path.abspath(a.bench)
    prefix = re.sub(r'^bench-', '', os.path.basename(bench))

    cases = list_cases(bench)
    if a.case:
        cases = [c for c in cases if any(s in c for s in a.case)]
    if not cases:
        raise SystemExit('callsite.py: no case to run')
    for case in cases:
        instr, hook = measure(a.valgrind, bench, case, a.iters)
        print('%s: %s instr=%s hook=%s' % (prefix, case, fmt(instr), fmt(hook)))
        sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
