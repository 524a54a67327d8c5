# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo: the two reference builds.
#   build/gcc    gcc/g++,     -Dwerror=true, -De2e=enabled (the e2e suite
#                boots Linux guests: once is enough)
#   build/clang  clang/clang++, ASan + UBSan, -Dwerror=true
#   build/tsan   clang/clang++, ThreadSanitizer, -Dwerror=true (the stress
#                suite proves the concurrency contract there)

# shellcheck disable=SC2034 # used by the scripts that source this
VMSIX_BUILDS=(gcc clang tsan)

# vmsix_build_setup NAME: configure build/NAME from scratch.
vmsix_build_setup() {
    local name=$1 dir="build/$1"
    local -a env args
    case "$name" in
    gcc)
        env=(CC=gcc CXX=g++)
        args=(-Dwerror=true -De2e=enabled)
        ;;
    clang)
        env=(CC=clang CXX=clang++)
        args=("-Db_sanitize=address,undefined" -Db_lundef=false -Dwerror=true -De2e=disabled)
        ;;
    tsan)
        env=(CC=clang CXX=clang++)
        args=(-Db_sanitize=thread -Db_lundef=false -Dwerror=true -De2e=disabled)
        ;;
    *)
        echo "unknown build: $name" >&2
        return 1
        ;;
    esac
    rm -rf -- "$dir"
    echo "+ ${env[*]} meson setup $dir ${args[*]}"
    env "${env[@]}" meson setup "$dir" "${args[@]}"
}
