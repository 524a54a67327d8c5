/* SPDX-License-Identifier: BSD-3-Clause */
/* The version string of the code that is linked (vmsix_version()). */
#include <vmsix/common.h>

const char *vmsix_version(void)
{
    return VMSIX_VERSION_STRING;
}
