/* SPDX-License-Identifier: BSD-3-Clause */
#include <vmsix/common.h>

const char *vmsix_version(void)
{
    return VMSIX_VERSION_STRING;
}
