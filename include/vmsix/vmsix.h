/* SPDX-License-Identifier: BSD-3-Clause */
/* vmsix/vmsix.h - umbrella header: includes every public vmsix header. */
#ifndef VMSIX_VMSIX_H
#define VMSIX_VMSIX_H

#include <vmsix/common.h>
#include <vmsix/capchain.h>
#include <vmsix/cfgspace.h>

#endif /* VMSIX_VMSIX_H */
