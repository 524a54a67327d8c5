/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMSIX_ORACLE marks a function of a test oracle (a reference model's
 * scan, a whole-state check): under -fsanitize=fuzzer it is left out of the
 * coverage instrumentation. Its loops and comparisons are the harness's
 * own, not paths of the library the fuzzer should steer towards, and
 * instrumented they cost most of an execution (fuzz-irte spent 70 % of its
 * time in __sanitizer_cov_trace_cmp* called from its model). noinline:
 * inlined into an instrumented caller, the code would be instrumented
 * after all. The library functions an oracle calls stay instrumented.
 */
#ifndef VMSIX_TESTS_ORACLE_H
#define VMSIX_TESTS_ORACLE_H

#if defined(__clang__) && __clang_major__ >= 13
#define VMSIX_ORACLE __attribute__((noinline, no_sanitize("coverage")))
#else
#define VMSIX_ORACLE
#endif

#endif
