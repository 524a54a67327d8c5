#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/headers: every public header compiles on its own as C99 or C++11.

For each header, a translation unit holding only `#include <vmsix/NAME>` is
compiled with the C compiler as `-std=c99 -pedantic -Werror -Wall -Wextra`
(--lang c), or with the C++ compiler as `-std=c++11 -pedantic -Werror -Wall
-Wextra` (--lang c++; meson passes --skip REASON when it has none). Both the source include/ and the build tree's include/ (where the
generated vmsix/version.h is) are on the include path.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

WARN = ['-pedantic', '-Werror', '-Wall', '-Wextra']


def compile_one(cmd, std, inc, tmp, header, ext):
    src = os.path.join(tmp, 'only_%s.%s' % (header.replace('.', '_'), ext))
    with open(src, 'w', encoding='utf-8') as f:
        f.write('#include <vmsix/%s>\n' % header)
    argv = list(cmd) + ['-std=' + std] + WARN
    for d in inc:
        argv += ['-I', d]
    argv += ['-c', src, '-o', src + '.o']
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    return proc.returncode == 0, ' '.join(argv), proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--lang', choices=['c', 'c++'], required=True)
    ap.add_argument('--compiler', action='append', default=[],
                    help='the compiler command, one word per --compiler')
    ap.add_argument('--skip', metavar='REASON',
                    help='print REASON and exit 77 (meson: SKIP)')
    ap.add_argument('-I', dest='inc', action='append', required=True)
    ap.add_argument('headers', nargs='+')
    a = ap.parse_args()

    lang, std, ext = ('C99', 'c99', 'c') if a.lang == 'c' else ('C++11', 'c++11', 'cpp')
    names = sorted({os.path.basename(h) for h in a.headers})
    print('checking: each of %d public headers (%s) compiles on its own as %s '
          '(-std=%s %s)' % (len(names), ', '.join(names), lang, std, ' '.join(WARN)))
    if a.skip or not a.compiler:
        print('SKIP: %s' % (a.skip or 'no compiler given'))
        return 77
    print('  compiler: %s' % ' '.join(a.compiler))
    print('  include path: %s' % ' '.join(a.inc))
    failed = 0
    tmp = tempfile.mkdtemp(prefix='vmsix-abi-headers-')
    try:
        for h in names:
            ok, argv, out = compile_one(a.compiler, std, a.inc, tmp, h, ext)
            print('  %-6s vmsix/%-16s %s' % (lang, h, 'ok' if ok else 'FAIL'))
            if not ok:
                failed += 1
                print('    $ ' + argv)
                print(''.join('    ' + l + '\n' for l in out.splitlines()), end='')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print('FAIL: %d header(s) do not compile on their own as %s' % (failed, lang))
        return 1
    print('ok: every public header stands alone as %s' % lang)
    return 0


if __name__ == '__main__':
    sys.exit(main())
