#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The core, its public headers, libvmsix-vfio and the examples keep the
# house style of .clang-format.
# Usage: style.sh SOURCE_ROOT; exits 77 (skip) with the reason when no
# clang-format is installed.
root=$1
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$cf" ]; then
    echo "skipped: clang-format is not installed (apt-get install clang-format)"
    exit 77
fi
cd "$root" || exit 1
echo "style: $($cf --version) on src/, include/vmsix/, vfio/ and examples/"
# shellcheck disable=SC2046
exec "$cf" --dry-run --Werror $(ls src/*.c src/*.h include/vmsix/*.h vfio/*.c vfio/*.h \
    examples/*/*.c examples/*/*.h)
