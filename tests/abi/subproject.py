#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/subproject: vmsix works as a Meson subproject.

Makes a throw-away Meson project whose subprojects/vmsix is this source
tree (a symlink; a copy of the git-visible files if meson refuses the
symlink), which gets vmsix with subproject('vmsix') + dependency('vmsix')
(the override from meson.override_dependency) and with
subproject('vmsix').get_variable('vmsix_dep'). It is configured with
-Dvmsix:tests=false (and must then register no test of ours), built, and
its two consumers must print the expected text.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

MESON_BUILD = """\
project('vmsix-consumer', 'c', meson_version: '>=1.0')
vmsix_sp = subproject('vmsix')
# found through meson.override_dependency('vmsix', ...) of the subproject
vmsix_dep = dependency('vmsix')
assert(vmsix_dep.type_name() == 'internal',
  'dependency(vmsix) did not come from the subproject: ' + vmsix_dep.type_name())
executable('consumer-override', 'consumer.c', dependencies: vmsix_dep)
executable('consumer-variable', 'consumer.c',
  dependencies: vmsix_sp.get_variable('vmsix_dep'))
"""

# With --vfio-consumer: libvmsix-vfio the same two ways.
MESON_BUILD_VFIO = """\
executable('consumer-vfio-override', 'consumer_vfio.c', dependencies: dependency('vmsix-vfio'))
executable('consumer-vfio-variable', 'consumer_vfio.c',
  dependencies: vmsix_sp.get_variable('vmsix_vfio_dep'))
"""


class Failure(Exception):
    pass


def run(argv, env=None, cwd=None, check=True):
    print('  $ ' + ' '.join(shlex.quote(x) for x in argv))
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.stdout.strip():
        print(''.join('    ' + l + '\n' for l in proc.stdout.splitlines()), end='')
    if check and proc.returncode != 0:
        raise Failure('%s exited with %d' % (argv[0], proc.returncode))
    return proc


def copy_tree(src, dst):
    """Copy the files git sees (tracked or untracked, not ignored)."""
    files = None
    if shutil.which('git') and os.path.exists(os.path.join(src, '.git')):
        p = subprocess.run(['git', '-C', src, 'ls-files', '-z', '--cached', '--others',
                            '--exclude-standard'], stdout=subprocess.PIPE)
        if p.returncode == 0:
            files = [f for f in p.stdout.decode().split('\0') if f]
    if files is None:
        files = []
        for d, dirs, fs in os.walk(src):
            rel = os.path.relpath(d, src)
            dirs[:] = [x for x in dirs if not (rel == '.' and (
                x.startswith('build') or x in ('.git', 'subprojects')))]
            files += [os.path.normpath(os.path.join(rel, f)) for f in fs]
    for f in files:
        s = os.path.join(src, f)
        if os.path.isfile(s):
            os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
            shutil.copy2(s, os.path.join(dst, f))
    print('  copied %d files of %s into %s' % (len(files), src, dst))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--meson', action='append', required=True)
    ap.add_argument('--source-root', required=True)
    ap.add_argument('--cc', action='append', required=True)
    ap.add_argument('--cxx', action='append', default=[])
    ap.add_argument('--consumer', required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('--vfio-consumer', help='also build this consumer of vmsix_vfio_dep')
    ap.add_argument('--copy', action='store_true', help='copy instead of symlinking')
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()

    print('checking: a Meson project using vmsix as a subproject with -Dvmsix:tests=false, '
          'through dependency(\'vmsix\') and get_variable(\'vmsix_dep\')')
    want = 'version=%s header=%s\nparse=0 n=1 id=0x05 off=0x40 len=10\n' % (a.version, a.version)
    env = dict(os.environ)
    env['CC'] = ' '.join(shlex.quote(x) for x in a.cc)
    if a.cxx:
        env['CXX'] = ' '.join(shlex.quote(x) for x in a.cxx)
    for var in ('CFLAGS', 'LDFLAGS', 'CPPFLAGS', 'CXXFLAGS', 'DESTDIR', 'MESONINTROSPECT'):
        env.pop(var, None)
    top = os.path.realpath(tempfile.mkdtemp(prefix='vmsix-abi-subproject-'))
    try:
        with open(os.path.join(top, 'meson.build'), 'w', encoding='utf-8') as f:
            f.write(MESON_BUILD)
            if a.vfio_consumer:
                f.write(MESON_BUILD_VFIO)
        shutil.copy(a.consumer, os.path.join(top, 'consumer.c'))
        if a.vfio_consumer:
            shutil.copy(a.vfio_consumer, os.path.join(top, 'consumer_vfio.c'))
        os.mkdir(os.path.join(top, 'subprojects'))
        sub = os.path.join(top, 'subprojects', 'vmsix')
        build = os.path.join(top, 'build')
        setup = a.meson + ['setup', build, top, '-Dvmsix:tests=false']
        if a.copy:
            copy_tree(a.source_root, sub)
            run(setup, env=env)
        else:
            os.symlink(os.path.realpath(a.source_root), sub)
            print('  subprojects/vmsix -> %s' % os.path.realpath(a.source_root))
            if run(setup, env=env, check=False).returncode != 0:
                print('  meson refused the symlinked subproject: retrying with a copy')
                os.unlink(sub)
                shutil.rmtree(build, ignore_errors=True)
                copy_tree(a.source_root, sub)
                run(setup, env=env)

        tests = json.loads(run(a.meson + ['introspect', '--tests', build], env=env).stdout)
        if tests:
            raise Failure('-Dvmsix:tests=false still registered tests: %s'
                          % ', '.join(t['name'] for t in tests))
        print('  ok: no test registered with -Dvmsix:tests=false')
        run(a.meson + ['compile', '-C', build], env=env)
        for name in ('consumer-override', 'consumer-variable'):
            got = run([os.path.join(build, name)]).stdout
            if got != want:
                raise Failure('%s printed %r, expected %r' % (name, got, want))
            print('  ok: %s' % name)
        if a.vfio_consumer:
            for name in ('consumer-vfio-override', 'consumer-vfio-variable'):
                got = run([os.path.join(build, name)]).stdout
                if got != 'version=%s vfio=ok\n' % a.version:
                    raise Failure('%s printed %r' % (name, got))
                print('  ok: %s' % name)
    except Failure as e:
        print('FAIL: %s' % e)
        return 1
    finally:
        if a.keep:
            print('  kept %s' % top)
        else:
            sub = os.path.join(top, 'subprojects', 'vmsix')
            if os.path.islink(sub):
                os.unlink(sub)  # never recurse into the real source tree
            shutil.rmtree(top, ignore_errors=True)
    print('ok: vmsix works as a Meson subproject')
    return 0


if __name__ == '__main__':
    sys.exit(main())
