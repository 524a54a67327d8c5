#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per operation of each case of a vmsix benchmark, by callgrind.

For each case that BENCH --list prints, runs

    valgrind --tool=callgrind --callgrind-out-file=TMP BENCH --case CASE --iters N

for two iteration counts N1 < N2 and prints

    callgrind: CASE instructions_per_op=X

with X = (Ir(N2) - Ir(N1)) / (N2 - N1): the difference cancels the cost of
the program's start and of the case's setup. Ir is the "totals:" (or
"summary:") line of callgrind's output file, else the "Collected :" line
that callgrind prints on stderr.

The count includes the benchmark's loop and the call; for the cost of one
library call alone, measured at its call site, see tests/bench/callsite.py
(bench-msix).

Usage: python3 tests/bench/callgrind.py build/gcc/tests/bench/bench-irte
       [--iters 10000,100000] [--case SUBSTRING ...] [--valgrind PATH]
Needs valgrind (Debian package valgrind). Exits 1 if a run fails.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def list_cases(bench):
    proc = subprocess.run([bench, '--list'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit('callgrind.py: %s --list exited with %d' % (bench, proc.returncode))
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def total_ir(valgrind, bench, case, iters):
    """Instructions executed by one run of the case."""
    with tempfile.TemporaryDirectory(prefix='vmsix-callgrind.') as tmp:
        out = os.path.join(tmp, 'callgrind.out')
        cmd = [valgrind, '--tool=callgrind', '--callgrind-out-file=' + out,
               bench, '--case', case, '--iters', str(iters)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit('callgrind.py: `%s` exited with %d' % (' '.join(cmd), proc.returncode))
        found = {}
        try:
            with open(out, encoding='utf-8', errors='replace') as f:
                for line in f:
                    m = re.match(r'(totals|summary):\s*(\d+)', line)
                    if m:
                        found[m.group(1)] = int(m.group(2))
        except OSError:
            pass
        if 'totals' in found:
            return found['totals']
        if 'summary' in found:
            return found['summary']
        m = re.search(r'Collected\s*:\s*(\d+)', proc.stderr)
        if m:
            return int(m.group(1))
        raise SystemExit('callgrind.py: no instruction total for %s (--iters %d)' % (case, iters))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('bench', help='benchmark executable (takes --list, --case, --iters)')
    ap.add_argument('--iters', default='10000,100000', metavar='N1,N2',
                    help='the two iteration counts (default: 10000,100000)')
    ap.add_argument('--case', action='append', default=[], metavar='SUBSTRING',
                    help='only the cases whose name contains SUBSTRING (repeatable)')
    ap.add_argument('--valgrind', default='valgrind', help='valgrind executable')
    a = ap.parse_args()

    try:
        n1, n2 = (int(x) for x in a.iters.split(','))
    except ValueError:
        ap.error('--iters wants two integers N1,N2')
    if not 0 <= n1 < n2:
        ap.error('--iters wants 0 <= N1 < N2')
    if shutil.which(a.valgrind) is None:
        raise SystemExit('callgrind.py: %s not found (apt-get install valgrind)' % a.valgrind)
    bench = os.path.abspath(a.bench)

    cases = list_cases(bench)
    if a.case:
        cases = [c for c in cases if any(s in c for s in a.case)]
    if not cases:
        raise SystemExit('callgrind.py: no case to run')
    def per_op(case):
        ir1 = total_ir(a.valgrind, bench, case, n1)
        ir2 = total_ir(a.valgrind, bench, case, n2)
        return (ir2 - ir1) / float(n2 - n1)

    for case in cases:
        print('callgrind: %s instructions_per_op=%.1f' % (case, per_op(case)))
        sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
