/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmsix/common.h - types and macros shared by every vmsix module.
 *
 * Errors: every function that can fail returns 0 on success or a negative
 * errno value (-EINVAL, -ENOSPC, -ERANGE, -ENOTSUP, -EIO, -ETIMEDOUT,
 * -EBUSY, -EBADMSG, -ENOENT), with the Linux numbering.
 */
#ifndef VMSIX_COMMON_H
#define VMSIX_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmsix/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * VMSIX_API marks the functions that libvmsix exports. The library is
 * built with hidden visibility; only VMSIX_API functions (listed again in
 * src/libvmsix.map) are visible to consumers.
 */
#if defined(VMSIX_BUILDING) && defined(__GNUC__)
#define VMSIX_API __attribute__((visibility("default")))
#else
#define VMSIX_API
#endif

/* One MSI or MSI-X message: the 64-bit address and the 32-bit data. */
struct vmsix_msg {
    uint64_t addr;
    uint32_t data;
};

/*
 * Severities of the log hooks (the syslog numbering). A log hook gets a
 * line that names the object, the step that failed and its error, e.g.
 * "vmsix: vector 3: backend program of entry 3 failed (-5)"; it must not
 * call back into the object that logs.
 */
#define VMSIX_LOG_ERR 3
#define VMSIX_LOG_WARN 4
#define VMSIX_LOG_INFO 6
#define VMSIX_LOG_DEBUG 7

/*
 * The library's version as "MAJOR.MINOR.PATCH" (the version of the code
 * that is linked, which may differ from VMSIX_VERSION_STRING seen by the
 * caller's compiler). Never NULL. Calls no hook.
 */
VMSIX_API const char *vmsix_version(void);

#ifdef __cplusplus
}
#endif

#endif /* VMSIX_COMMON_H */
