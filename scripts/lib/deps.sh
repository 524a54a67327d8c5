# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo (bash). vmsix_deps_ensure finds
# what is missing among the build and test dependencies and installs it with
# apt-get when running as root; otherwise it prints the exact command and
# returns 1. Debian/Ubuntu only.
#
#   meson ninja-build pkg-config gcc g++ clang libclang-rt-N-dev (N: clang's
#   major version) libcmocka-dev libpciaccess-dev pciutils python3 valgrind
#
# and, with `vmsix_deps_ensure e2e` (scripts/test; scripts/demo does not
# need them), for the e2e suite (tests/e2e: a Linux guest under
# examples/kvm-vmm, in a QEMU TCG outer machine):
#
#   qemu-system-x86 busybox-static cpio make kmod xz-utils zstd, and
#   linux-image-amd64 linux-headers-amd64 unless some /boot/vmlinuz-V has
#   its headers in /lib/modules/V/build (the guest module builds against
#   them; the same V boots as the outer machine and the guest)

_vmsix_have() { command -v "$1" >/dev/null 2>&1; }

_vmsix_dpkg_installed() {
    _vmsix_have dpkg-query &&
        dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$'
}

# A library is present when pkg-config finds it, or dpkg has the package.
_vmsix_have_lib() { # pkg-config-name debian-package
    { _vmsix_have pkg-config && pkg-config --exists "$1"; } || _vmsix_dpkg_installed "$2"
}

# An installed kernel image whose headers are installed too (tests/e2e).
_vmsix_have_kernel_with_headers() {
    local b v
    for b in /lib/modules/*/build; do
        v=${b%/build}
        v=${v##*/}
        [ -f "/boot/vmlinuz-$v" ] && [ -f "$b/Makefile" ] && return 0
    done
    return 1
}

# busybox-static: a statically linked /bin/busybox (the e2e initramfs images).
_vmsix_have_static_busybox() {
    [ -x /bin/busybox ] && ! LC_ALL=C ldd /bin/busybox >/dev/null 2>&1
}

_vmsix_have_lspci() {
    _vmsix_have lspci || [ -x /usr/sbin/lspci ] || [ -x /sbin/lspci ] || [ -x /usr/bin/lspci ]
}

# Major version of the installed clang, else of the clang apt would install.
_vmsix_clang_major() {
    local v=''
    if _vmsix_have clang; then
        v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    elif _vmsix_have apt-cache; then
        v=$(apt-cache policy clang 2>/dev/null |
            sed -n 's/^ *Candidate: \([0-9]*:\)\{0,1\}\([0-9][0-9]*\).*/\2/p' | head -n 1)
    fi
    printf '%s\n' "$v"
}

# Does clang link a program with -fsanitize=address,undefined (that is,
# are its sanitizer runtimes, libclang-rt-N-dev, installed)?
_vmsix_clang_sanitizers_link() {
    _vmsix_have clang || return 1
    local t rc
    t=$(mktemp -d "${TMPDIR:-/tmp}/vmsix-deps.XXXXXX") || return 1
    printf 'int main(void) { return 0; }\n' >"$t/t.c"
    clang -fsanitize=address,undefined "$t/t.c" -o "$t/t" >/dev/null 2>&1
    rc=$?
    rm -rf -- "$t"
    return "$rc"
}

# The package holding clang's sanitizer runtimes for major version $1.
_vmsix_clang_rt_package() {
    local n=$1
    if [ -z "$n" ]; then
        echo libclang-rt-dev # the distribution's default clang's
    elif ! _vmsix_have apt-cache || apt-cache show "libclang-rt-$n-dev" >/dev/null 2>&1 ||
        ! apt-cache show "libclang-common-$n-dev" >/dev/null 2>&1; then
        echo "libclang-rt-$n-dev"
    else
        echo "libclang-common-$n-dev" # before the split (e.g. Ubuntu 22.04)
    fi
}

# Sets VMSIX_MISSING to the packages to install (the clang runtime as the
# placeholder @clang-rt@, resolved once apt's lists are fresh).
_vmsix_find_missing() {
    VMSIX_MISSING=()
    _vmsix_have meson || VMSIX_MISSING+=(meson)
    _vmsix_have ninja || _vmsix_have ninja-build || VMSIX_MISSING+=(ninja-build)
    _vmsix_have pkg-config || VMSIX_MISSING+=(pkg-config)
    _vmsix_have gcc || VMSIX_MISSING+=(gcc)
    _vmsix_have g++ || VMSIX_MISSING+=(g++)
    { _vmsix_have clang && _vmsix_have clang++; } || VMSIX_MISSING+=(clang)
    _vmsix_clang_sanitizers_link || VMSIX_MISSING+=(@clang-rt@)
    _vmsix_have_lib 'cmocka >= 1.1' libcmocka-dev || VMSIX_MISSING+=(libcmocka-dev)
    _vmsix_have_lib pciaccess libpciaccess-dev || VMSIX_MISSING+=(libpciaccess-dev)
    _vmsix_have_lspci || VMSIX_MISSING+=(pciutils)
    _vmsix_have python3 || VMSIX_MISSING+=(python3)
    _vmsix_have valgrind || VMSIX_MISSING+=(valgrind)
    # the e2e suite (scripts/test only: vmsix_deps_ensure e2e)
    [ "${_VMSIX_DEPS_E2E:-0}" = 1 ] || return 0
    _vmsix_have qemu-system-x86_64 || VMSIX_MISSING+=(qemu-system-x86)
    _vmsix_have_static_busybox || VMSIX_MISSING+=(busybox-static)
    _vmsix_have cpio || VMSIX_MISSING+=(cpio)
    _vmsix_have make || VMSIX_MISSING+=(make)
    { _vmsix_have kmod || _vmsix_dpkg_installed kmod; } || VMSIX_MISSING+=(kmod)
    _vmsix_have xz || VMSIX_MISSING+=(xz-utils)
    _vmsix_have zstd || VMSIX_MISSING+=(zstd)
    _vmsix_have_kernel_with_headers || VMSIX_MISSING+=(linux-image-amd64 linux-headers-amd64)
}

_vmsix_resolve_missing() {
    local i
    for i in "${!VMSIX_MISSING[@]}"; do
        if [ "${VMSIX_MISSING[$i]}" = @clang-rt@ ]; then
            VMSIX_MISSING[i]=$(_vmsix_clang_rt_package "$(_vmsix_clang_major)")
        fi
    done
}

_vmsix_check_meson_version() {
    local v
    v=$(meson --version 2>/dev/null || true)
    case "$v" in
    0.* | '')
        echo "deps: vmsix needs Meson >= 1.0, found '${v:-none}'." >&2
        echo "deps: install a newer one, e.g.: python3 -m pip install --user 'meson>=1.0'" >&2
        return 1
        ;;
    esac
}

vmsix_deps_ensure() {
    # "e2e": also what the e2e suite needs (a kernel, qemu, busybox...)
    _VMSIX_DEPS_E2E=0
    [ "${1:-}" != e2e ] || _VMSIX_DEPS_E2E=1
    _vmsix_find_missing
    if [ "${#VMSIX_MISSING[@]}" -eq 0 ]; then
        echo "deps: everything needed is installed"
        _vmsix_check_meson_version
        return
    fi
    if [ "$(id -u)" -ne 0 ] || ! _vmsix_have apt-get; then
        _vmsix_resolve_missing
        if ! _vmsix_have apt-get; then
            echo "deps: missing: ${VMSIX_MISSING[*]} (Debian/Ubuntu package names); no apt-get here, install them by hand" >&2
            return 1
        fi
        echo "deps: missing: ${VMSIX_MISSING[*]}" >&2
        echo "deps: not root; install them with:" >&2
        echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${VMSIX_MISSING[*]}"
        return 1
    fi
    echo "deps: missing: ${VMSIX_MISSING[*]}; installing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    _vmsix_resolve_missing
    apt-get install -y --no-install-recommends "${VMSIX_MISSING[@]}"
    # clang may have arrived just now: its runtime package follows its version.
    if ! _vmsix_clang_sanitizers_link; then
        local rt
        rt=$(_vmsix_clang_rt_package "$(_vmsix_clang_major)")
        echo "deps: clang cannot link -fsanitize=address,undefined yet; installing $rt"
        apt-get install -y --no-install-recommends "$rt"
    fi
    _vmsix_find_missing
    if [ "${#VMSIX_MISSING[@]}" -ne 0 ]; then
        echo "deps: still missing after apt-get install: ${VMSIX_MISSING[*]}" >&2
        return 1
    fi
    echo "deps: everything needed is installed"
    _vmsix_check_meson_version
}
