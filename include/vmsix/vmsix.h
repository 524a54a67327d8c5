/* SPDX-License-Identifier: BSD-3-Clause */
/* vmsix/vmsix.h - umbrella header: includes every public vmsix header. */
#ifndef VMSIX_VMSIX_H
#define VMSIX_VMSIX_H

#include <vmsix/common.h>
#include <vmsix/capchain.h>
#include <vmsix/bar.h>
#include <vmsix/bar_layout.h>
#include <vmsix/cfgspace.h>
#include <vmsix/msix_table.h>
#include <vmsix/irte_alloc.h>
#include <vmsix/remap.h>
#include <vmsix/hostmsg.h>
#include <vmsix/vtd.h>
#include <vmsix/amdvi.h>
#include <vmsix/doorbell.h>
#include <vmsix/msix_on_msi.h>

#endif /* VMSIX_VMSIX_H */
