# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Sourced by scripts/test: the timed libFuzzer runs of tests/fuzz.
#
# vmsix_fuzz_ci configures build/fuzz (clang, -Dfuzzing_engine=libfuzzer,
# ASan + UBSan), builds every fuzz-<target> and runs each for
# $VMSIX_FUZZ_SECONDS (default 60) from a copy of its seed corpus, two at a
# time (one per core). A crash, a sanitizer report or a broken invariant
# fails that harness; its input is kept in build/fuzz/artifacts/ (minimize
# it and add it to tests/fuzz/regressions/<target>/: see
# tests/fuzz/README.md). Sets VMSIX_FUZZ_PASSED, VMSIX_FUZZ_FAILED and
# VMSIX_FUZZ_SUMMARY; returns non-zero when a harness failed or the build did.

VMSIX_FUZZ_TARGETS=(capchain cfgspace dump msix-table irte device bar-layout doorbell)

# libFuzzer options per harness (input sizes the harness reads: see
# tests/fuzz/README.md).
_vmsix_fuzz_opts() {
    case "$1" in
    cfgspace) echo "-max_len=8192" ;;
    capchain) echo "-max_len=8192" ;;
    dump) echo "-max_len=16384" ;;
    *) echo "-max_len=4096" ;;
    esac
}

# _vmsix_fuzz_one TARGET: run one harness; its log is build/fuzz/logs/TARGET.log.
_vmsix_fuzz_one() {
    local t=$1 dir=build/fuzz secs=${VMSIX_FUZZ_SECONDS:-60}
    local work="$dir/corpus/$t" log="$dir/logs/$t.log"
    rm -rf -- "$work"
    mkdir -p "$work" "$dir/logs" "$dir/artifacts"
    # -timeout: a single input running for 25 s is a finding too (a hang)
    # shellcheck disable=SC2046 # the options are words
    "$dir/tests/fuzz/fuzz-$t" "$work" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" \
        $(_vmsix_fuzz_opts "$t") -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" >"$log" 2>&1
}

vmsix_fuzz_ci() {
    local dir=build/fuzz t rc=0
    VMSIX_FUZZ_PASSED=0 VMSIX_FUZZ_FAILED=0 VMSIX_FUZZ_SUMMARY=()
    rm -rf -- "$dir"
    echo "+ CC=clang CXX=clang++ meson setup $dir -Dfuzzing_engine=libfuzzer -Db_sanitize=address,undefined -Db_lundef=false -De2e=disabled"
    if ! env CC=clang CXX=clang++ meson setup "$dir" -Dfuzzing_engine=libfuzzer \
        -Db_sanitize=address,undefined -Db_lundef=false -De2e=disabled -Dexamples=false ||
        ! meson compile -C "$dir" "${VMSIX_FUZZ_TARGETS[@]/#/fuzz-}"; then
        VMSIX_FUZZ_FAILED=1
        VMSIX_FUZZ_SUMMARY+=("build/fuzz: configure or build FAILED (counted as 1 failure)")
        return 1
    fi
    export -f _vmsix_fuzz_one _vmsix_fuzz_opts
    echo "fuzz: ${#VMSIX_FUZZ_TARGETS[@]} harnesses, ${VMSIX_FUZZ_SECONDS:-60} s each, two at a time"
    # each harness's exit status, in order
    printf '%s\n' "${VMSIX_FUZZ_TARGETS[@]}" |
        xargs -P 2 -I{} bash -c '_vmsix_fuzz_one "$1"; echo $? >"build/fuzz/logs/$1.rc"' _ {}
    for t in "${VMSIX_FUZZ_TARGETS[@]}"; do
        local log="$dir/logs/$t.log" st execs rate
        st=$(cat "$dir/logs/$t.rc" 2>/dev/null || echo 1)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        if [ "$st" = 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
            VMSIX_FUZZ_PASSED=$((VMSIX_FUZZ_PASSED + 1))
            VMSIX_FUZZ_SUMMARY+=("fuzz-$t: ok, ${execs:-?} executions (${rate:-?}/s), no finding")
        else
            VMSIX_FUZZ_FAILED=$((VMSIX_FUZZ_FAILED + 1))
            rc=1
            VMSIX_FUZZ_SUMMARY+=("fuzz-$t: FAILED (exit $st) after ${execs:-?} executions: see $log and $dir/artifacts/")
            echo "=== fuzz-$t: FAILED; the end of its log ==="
            tail -n 40 "$log"
        fi
    done
    return "$rc"
}
