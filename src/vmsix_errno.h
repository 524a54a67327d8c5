/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: the errno values the core returns (negated). The core is
 * freestanding, so it takes the numbers from the toolchain's <errno.h>
 * when there is one and falls back to the Linux numbering otherwise
 * (define VMSIX_NO_ERRNO_H to force that). Only macros are used, never
 * the errno variable.
 */
#ifndef VMSIX_SRC_VMSIX_ERRNO_H
#define VMSIX_SRC_VMSIX_ERRNO_H

#ifndef VMSIX_NO_ERRNO_H
#include <errno.h>
#endif

#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EIO
#define EIO 5
#endif
#ifndef EBUSY
#define EBUSY 16
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOSPC
#define ENOSPC 28
#endif
#ifndef ERANGE
#define ERANGE 34
#endif
#ifndef EBADMSG
#define EBADMSG 74
#endif
#ifndef ENOTSUP
#define ENOTSUP 95
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#endif /* VMSIX_SRC_VMSIX_ERRNO_H */
