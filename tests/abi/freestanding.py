#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/freestanding: the core needs nothing from libc but memcpy/memset/memcmp.

Runs `nm -u` on a static library and fails when it references any symbol
other than memcpy, memset, memcmp and the stack protector. With
--allow-instrumentation (passed by meson for sanitizer and coverage builds)
the sanitizer and coverage runtime symbols are allowed as well.

--expect-violations A,B,C inverts the verdict for the self-test: the check
must find violations, and A, B and C must be among them.
"""
import argparse
import subprocess
import sys

ALLOWED = {'memcpy', 'memset', 'memcmp', '__stack_chk_fail', '__stack_chk_guard',
           # defined by the linker, not by libc: position-independent code
           # references it on some targets (i386) and under gcc's ASan
           '_GLOBAL_OFFSET_TABLE_'}

# Sanitizer (ASan, UBSan, TSan, MSan, common) and coverage (gcc gcov, clang
# --coverage, clang profile) runtime entry points.
INSTRUMENTATION_PREFIXES = (
    '__asan_', '__ubsan_', '__tsan_', '__msan_', '__lsan_', '__sanitizer_',
    '__gcov_', '__llvm_gcov', '__llvm_profile', 'llvm_gcda_', 'llvm_gcov_',
)


def nm_lines(nm, args, lib):
    """(member, type, name) for each symbol line of `nm ARGS lib`."""
    proc = subprocess.run([nm] + args + [lib], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit('FAIL: %s %s %s exited with %d'
                         % (nm, ' '.join(args), lib, proc.returncode))
    member = lib
    for line in proc.stdout.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.endswith(':') and len(s.split()) == 1:
            member = s[:-1]  # "capchain.c.o:" starts an archive member
            continue
        parts = s.split()
        if len(parts) < 2 or len(parts[-2]) != 1:
            raise SystemExit('FAIL: cannot parse nm output line: %r' % line)
        yield member, parts[-2], parts[-1].split('@', 1)[0]


def undefined_symbols(nm, lib):
    """{symbol: [members referencing it]}: `nm -u`, less what the archive
    itself defines (one member calling another is not a dependency)."""
    defined = {name for _, _, name in nm_lines(nm, ['--defined-only'], lib)}
    syms = {}
    for member, kind, name in nm_lines(nm, ['-u'], lib):
        if kind not in ('U', 'w', 'v'):
            raise SystemExit('FAIL: unexpected symbol type %r in nm -u output' % kind)
        if name not in defined:
            syms.setdefault(name, []).append(member)
    return syms


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--nm', required=True)
    ap.add_argument('--allow-instrumentation', action='store_true')
    ap.add_argument('--expect-violations', default='')
    ap.add_argument('--skip', metavar='REASON', help='print REASON and exit 77 (meson: SKIP)')
    ap.add_argument('lib')
    a = ap.parse_args()

    print('checking: `%s -u %s` (less what it defines itself) references only %s%s' % (
        a.nm, a.lib, ', '.join(sorted(ALLOWED)),
        ' and sanitizer/coverage runtime symbols (%s*)' % '*, '.join(INSTRUMENTATION_PREFIXES)
        if a.allow_instrumentation else ''))
    if a.skip:
        print('SKIP: %s' % a.skip)
        return 77
    syms = undefined_symbols(a.nm, a.lib)
    bad = {}
    for name, members in sorted(syms.items()):
        if name in ALLOWED:
            verdict = 'allowed'
        elif a.allow_instrumentation and name.startswith(INSTRUMENTATION_PREFIXES):
            verdict = 'allowed (instrumentation)'
        else:
            verdict = 'NOT ALLOWED'
            bad[name] = members
        print('  %-40s %s (%s)' % (name, verdict, ', '.join(sorted(set(members)))))
    if not syms:
        print('  (no undefined symbols)')

    if a.expect_violations:
        want = [w for w in a.expect_violations.split(',') if w]
        missing = [w for w in want if w not in bad]
        if not bad or missing:
            print('FAIL: self-test: the check should have rejected %s, missing: %s'
                  % (', '.join(want), ', '.join(missing) or '(none rejected)'))
            return 1
        print('ok: self-test: the check rejects %s as it must' % ', '.join(sorted(bad)))
        return 0

    if bad:
        print('FAIL: %d symbol(s) outside the freestanding set: %s'
              % (len(bad), ', '.join(sorted(bad))))
        return 1
    print('ok: the static library is freestanding')
    return 0


if __name__ == '__main__':
    sys.exit(main())
