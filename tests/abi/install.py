#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/install: install into a DESTDIR and build consumers through pkg-config.

1. `meson install --destdir TMP --no-rebuild -C BUILDDIR`.
2. pkg-config, restricted to TMP's vmsix.pc (PKG_CONFIG_LIBDIR/PATH) with
   PKG_CONFIG_SYSROOT_DIR=TMP: every -I and -L must point into TMP.
3. consumer.c built with `pkg-config --cflags --libs vmsix`, run with
   LD_LIBRARY_PATH; it must link libvmsix.so from TMP and print the
   expected text.
4. consumer.c linked against libvmsix.a with `pkg-config --static --libs`
   (-Wl,-Bstatic): it must not need libvmsix.so and print the same text.
5. With --vfio-consumer (where libvmsix-vfio is built): steps 2-4 for
   vmsix-vfio.pc (Requires: vmsix) and that consumer.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def run(argv, env=None, check=True):
    print('  $ ' + ' '.join(shlex.quote(x) for x in argv))
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    out = proc.stdout
    if out.strip():
        print(''.join('    ' + l + '\n' for l in out.splitlines()), end='')
    if check and proc.returncode != 0:
        raise Failure('%s exited with %d' % (argv[0], proc.returncode))
    return out


class Failure(Exception):
    pass


def expected_output(version):
    return 'version=%s header=%s\nparse=0 n=1 id=0x05 off=0x40 len=10\n' % (version, version)


def needed(readelf, exe):
    if not readelf:
        return None
    out = subprocess.run([readelf, '-d', exe], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    libs = []
    for line in out.splitlines():
        if '(NEEDED)' in line and '[' in line:
            libs.append(line.split('[', 1)[1].split(']', 1)[0])
    return libs


def check_installed_files_built(meson, builddir):
    out = subprocess.run(meson + ['introspect', '--installed', builddir],
                         stdout=subprocess.PIPE, universal_newlines=True)
    if out.returncode != 0:
        return
    # Symlinks (libvmsix.so -> libvmsix.so.0...) are listed by relative target.
    missing = [src for src in json.loads(out.stdout)
               if os.path.isabs(src) and not os.path.exists(src)]
    if missing:
        raise Failure('not built yet (run `meson compile -C %s` first): %s'
                      % (builddir, ', '.join(sorted(missing))))


class Consume:
    """Consumers of one installed package through its .pc file."""

    def __init__(self, a, env, dest, work, base, readelf):
        self.a, self.env, self.dest, self.work = a, env, dest, work
        self.base, self.readelf = base, readelf

    def package(self, pc, lib, lflags, header, consumer, want):
        """pkg-config @pc resolves into the DESTDIR and names @lflags; @header
        is installed; @consumer built against lib@lib.so (dynamic) and
        lib@lib.a (static) prints @want."""
        a, env, dest, work, base = self.a, self.env, self.dest, self.work, self.base
        if not os.path.exists(os.path.join(env['PKG_CONFIG_PATH'], pc + '.pc')):
            raise Failure('%s.pc was not installed beside vmsix.pc' % pc)
        cflags = shlex.split(run([a.pkgconfig, '--cflags', pc], env=env))
        libs = shlex.split(run([a.pkgconfig, '--libs', pc], env=env))
        slibs = shlex.split(run([a.pkgconfig, '--static', '--libs', pc], env=env))

        incs = [f[2:] for f in cflags if f.startswith('-I')]
        ldirs = [f[2:] for f in libs + slibs if f.startswith('-L')]
        outside = [p for p in incs + ldirs if not os.path.abspath(p).startswith(dest + os.sep)]
        if not incs or not ldirs or outside:
            raise Failure('pkg-config %s does not resolve into the DESTDIR: -I %s, -L %s'
                          % (pc, incs or '(none)', ldirs or '(none)'))
        for f in lflags:
            if f not in libs or f not in slibs:
                raise Failure('pkg-config --libs %s does not name %s' % (pc, f))
        if not os.path.exists(os.path.join(incs[0], header)):
            raise Failure('%s was not installed beside the headers' % header)
        print('  ok: %s: -I and -L point into the DESTDIR' % pc)

        # Dynamic: lib<lib>.so from the DESTDIR through LD_LIBRARY_PATH.
        so = 'lib%s.so' % lib
        exe = os.path.join(work, 'consumer-' + pc)
        run(base + cflags + [consumer, '-o', exe] + libs)
        renv = dict(os.environ)
        renv['LD_LIBRARY_PATH'] = os.pathsep.join(
            ldirs + ([renv['LD_LIBRARY_PATH']] if renv.get('LD_LIBRARY_PATH') else []))
        deps = needed(self.readelf, exe)
        if deps is not None and not any(d.startswith(so) for d in deps):
            raise Failure('the dynamic consumer does not need %s (NEEDED: %s)' % (so, deps))
        ldd = shutil.which('ldd')
        if ldd:
            out = run([ldd, exe], env=renv, check=False)
            line = [l for l in out.splitlines() if l.strip().startswith(so)]
            if not line or dest not in line[0]:
                raise Failure('%s does not resolve into the DESTDIR: %s'
                              % (so, line[0].strip() if line else 'not listed'))
        got = run([exe], env=renv)
        if got != want:
            raise Failure('dynamic consumer printed %r, expected %r' % (got, want))
        print('  ok: %s: dynamic consumer' % pc)

        # Static: lib<lib>.a, no lib*.so of ours needed, no LD_LIBRARY_PATH.
        exe = os.path.join(work, 'consumer-%s-static' % pc)
        run(base + cflags + [consumer, '-o', exe, '-Wl,-Bstatic'] + slibs + ['-Wl,-Bdynamic'])
        deps = needed(self.readelf, exe)
        if deps is not None and any(d.startswith('libvmsix') for d in deps):
            raise Failure('the static consumer still needs %s' % deps)
        senv = dict(os.environ)
        senv.pop('LD_LIBRARY_PATH', None)
        got = run([exe], env=senv)
        if got != want:
            raise Failure('static consumer printed %r, expected %r' % (got, want))
        print('  ok: %s: static consumer (NEEDED: %s)' % (pc, ', '.join(deps or ['?'])))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--meson', action='append', required=True)
    ap.add_argument('--builddir', required=True)
    ap.add_argument('--pkg-config', dest='pkgconfig')
    ap.add_argument('--cc', action='append', required=True)
    ap.add_argument('--cflag', action='append', default=[],
                    help='extra compile+link flag for the consumer (sanitizer, coverage)')
    ap.add_argument('--consumer', required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('--vfio-consumer', help='also build this consumer of vmsix-vfio.pc')
    ap.add_argument('--keep', action='store_true', help='keep the DESTDIR')
    a = ap.parse_args()

    print('checking: meson install into a DESTDIR, then consumers built with pkg-config '
          '(libvmsix.so via LD_LIBRARY_PATH, and libvmsix.a via --static)')
    if not a.pkgconfig:
        print('SKIP: pkg-config (or pkgconf) was not found when meson configured')
        return 77
    want = expected_output(a.version)
    readelf = shutil.which('readelf')
    dest = os.path.realpath(tempfile.mkdtemp(prefix='vmsix-abi-install-'))
    try:
        check_installed_files_built(a.meson, a.builddir)
        run(a.meson + ['install', '--quiet', '--no-rebuild', '-C', a.builddir,
                       '--destdir', dest])
        pcs = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs if f == 'vmsix.pc']
        if len(pcs) != 1:
            raise Failure('expected one vmsix.pc under %s, found %d' % (dest, len(pcs)))
        pcdir = os.path.dirname(pcs[0])
        print('  installed %s' % os.path.relpath(pcs[0], dest))

        env = dict(os.environ)
        env.update(PKG_CONFIG_PATH=pcdir, PKG_CONFIG_LIBDIR=pcdir,
                   PKG_CONFIG_SYSROOT_DIR=dest,
                   PKG_CONFIG_ALLOW_SYSTEM_CFLAGS='1', PKG_CONFIG_ALLOW_SYSTEM_LIBS='1')
        print('  PKG_CONFIG_PATH=PKG_CONFIG_LIBDIR=%s PKG_CONFIG_SYSROOT_DIR=%s' % (pcdir, dest))
        work = os.path.join(dest, 'consumer')
        os.mkdir(work)
        base = a.cc + ['-std=c99', '-Wall', '-Wextra', '-Werror'] + a.cflag
        c = Consume(a, env, dest, work, base, readelf)
        c.package('vmsix', 'vmsix', ['-lvmsix'], 'vmsix/version.h', a.consumer, want)
        if a.vfio_consumer:
            c.package('vmsix-vfio', 'vmsix-vfio', ['-lvmsix-vfio', '-lvmsix'], 'vmsix/vfio.h',
                      a.vfio_consumer, 'version=%s vfio=ok\n' % a.version)
    except Failure as e:
        print('FAIL: %s' % e)
        return 1
    finally:
        if a.keep:
            print('  kept %s' % dest)
        else:
            shutil.rmtree(dest, ignore_errors=True)
    print('ok: installed vmsix is consumable through pkg-config, shared and static')
    return 0


if __name__ == '__main__':
    sys.exit(main())
