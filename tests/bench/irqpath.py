#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per interrupt of the host's interrupt path, with vmsix's
MSI-X on MSI and with plain MSI, counted by callgrind per call site.

The benchmark (tests/bench/bench_irqpath.c) gives every case CASE a call
site, an out-of-line function site_CASE ('-' written '_'): the host's whole
handling of one interrupt, or one guest access. For each case that BENCH
--list prints, this runs

    valgrind --tool=callgrind --toggle-collect=site_CASE BENCH --case CASE --iters N

(so that only what runs inside that one site is counted, however many
other sites the case's loop runs), and prints

    irqpath: CASE instr=X hook=Y [vmsix_F=Z ...]

with X = every instruction from the site's entry to its return (the
library, the hooks and the host's own glue: the vector-table lookup),
divided by the site's calls; Y = the instructions executed in hook_*
functions, per call; and for each library function the site calls, its
inclusive cost per call of the site (the hooks it called included).
Nothing is subtracted from anything else.

Then, from those counts, the lines a hypervisor author needs:

    irqpath: masked-irq instr=...        resolve-before-mask + msix-on-msi-masked
    irqpath: ratio msix-on-msi/plain-msi=R (information)
    irqpath: ratio msix-on-msi/plain-msi=R2 without vmsix_vtd_resolve (...)
    irqpath: vmsix-own instr=V (vmsix_dev_irq D - hook H) goal<=30: met|NOT met
    irqpath: vmsix-own parts: F=N ...    each function's own instructions in V

V is vmsix's own part of an interrupt: from vmsix_dev_irq()'s entry to
its return, the inject hook excluded (the remapping unit's resolution and
the host's glue are outside it). The goal, at most 30 instructions, is 1 %
of a VM exit of about 3000 instructions.

Usage: python3 tests/bench/irqpath.py build/gcc/tests/bench/bench-irqpath
       [--iters N] [--valgrind PATH]
Needs valgrind (Debian package valgrind). Exits 1 if a run fails or a site
was not run; the goal's verdict is information (exit 0 either way).
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind import list_cases  # noqa: E402  (the same --list protocol)
from callsite import fmt, hook_cost, run_callgrind  # noqa: E402

GOAL_OWN = 30  # instructions: 1 % of a ~3000-instruction VM exit


def measure(valgrind, bench, case, iters):
    """(instructions per call of site_CASE, hooks' share, {library function:
    inclusive cost per call of the site}, {function under the library
    calls, hooks excluded: its own instructions per call of the site})."""
    site = 'site_' + case.replace('-', '_')
    self_cost, arcs = run_callgrind(valgrind, bench, case, iters, site)
    calls = sum(c[0] for (caller, callee), c in arcs.items() if callee == site and caller != site)
    incl = sum(c[1] for (caller, callee), c in arcs.items() if callee == site and caller != site)
    if calls == 0:
        raise SystemExit('irqpath.py: %s: %s never ran' % (case, site))
    lib = {}
    for (caller, callee), c in arcs.items():
        if caller == site and callee.startswith('vmsix_'):
            lib[callee] = lib.get(callee, 0) + c[1] / float(calls)
    return (incl / float(calls), hook_cost(self_cost, arcs) / float(calls), lib,
            own_parts(self_cost, arcs, 'vmsix_dev_irq', calls))


def own_parts(self_cost, arcs, root, calls):
    """The functions ROOT calls, directly or not, short of the hooks, with
    their own (self) instructions per call: where vmsix's part goes."""
    seen, todo = set(), [root]
    while todo:
        f = todo.pop()
        if f in seen or f.startswith('hook_'):
            continue
        seen.add(f)
        todo.extend(callee for (caller, callee) in arcs if caller == f)
    return {f: self_cost.get(f, 0) / float(calls) for f in seen if self_cost.get(f, 0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('bench', help='bench-irqpath (takes --list, --case, --iters)')
    ap.add_argument('--iters', type=int, default=10000, metavar='N',
                    help='runs of each case after the warm-up (default: 10000)')
    ap.add_argument('--valgrind', default='valgrind', help='valgrind executable')
    a = ap.parse_args()

    if a.iters < 1:
        ap.error('--iters wants a positive count')
    if shutil.which(a.valgrind) is None:
        raise SystemExit('irqpath.py: %s not found (apt-get install valgrind)' % a.valgrind)
    bench = os.path.abspath(a.bench)

    got = {}
    for case in list_cases(bench):
        instr, hook, lib, parts_of_own = measure(a.valgrind, bench, case, a.iters)
        got[case] = (instr, hook, lib, parts_of_own)
        parts = ''.join(' %s=%s' % (f, fmt(round(c, 1))) for f, c in sorted(lib.items()))
        print('irqpath: %s instr=%s hook=%s%s' % (case, fmt(round(instr, 1)), fmt(round(hook, 1)),
                                                 parts))
        sys.stdout.flush()

    need = ['msix-on-msi', 'resolve-before-mask', 'msix-on-msi-masked', 'plain-msi']
    missing = [c for c in need if c not in got]
    if missing:
        raise SystemExit('irqpath.py: no case %s in %s --list' % (', '.join(missing), bench))
    live, hook, lib, parts_of_own = got['msix-on-msi']
    if 'vmsix_dev_irq' not in lib:
        raise SystemExit('irqpath.py: site_msix_on_msi does not call vmsix_dev_irq')
    masked = got['resolve-before-mask'][0] + got['msix-on-msi-masked'][0]
    print('irqpath: masked-irq instr=%s (resolve-before-mask + msix-on-msi-masked)'
          % fmt(round(masked, 1)))
    plain = got['plain-msi'][0]
    print('irqpath: ratio msix-on-msi/plain-msi=%.2f (information)' % (live / plain))
    print('irqpath: ratio msix-on-msi/plain-msi=%.2f without vmsix_vtd_resolve (information: '
          'on a host an IOMMU resolves the message)'
          % ((live - lib.get('vmsix_vtd_resolve', 0)) / plain))
    own = lib['vmsix_dev_irq'] - hook
    print('irqpath: vmsix-own instr=%s (vmsix_dev_irq %s - hook %s) goal<=%d: %s'
          % (fmt(round(own, 1)), fmt(round(lib['vmsix_dev_irq'], 1)), fmt(round(hook, 1)),
             GOAL_OWN, 'met' if own <= GOAL_OWN else 'NOT met'))
    print('irqpath: vmsix-own parts:%s' % ''.join(
        ' %s=%s' % (f, fmt(round(c, 1))) for f, c in sorted(parts_of_own.items(), key=lambda x: -x[1])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
