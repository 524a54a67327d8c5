/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the composed device object, shared by its glue (dev.c) and its
 * save/restore (dev_save.c). */
#ifndef VMSIX_SRC_DEV_PRIV_H
#define VMSIX_SRC_DEV_PRIV_H

#include <vmsix/cfgspace.h>
#include <vmsix/msix_on_msi.h>
#include <vmsix/msix_table.h>

#include "cfgspace_priv.h"
#include "log.h"
#include "msi_phys.h"
#include "msix_on_msi_priv.h"
#include "msix_table_priv.h"
#include "pci_regs.h"

#define DEV_MAGIC 0x76646576u /* "vdev": set last by a successful vmsix_dev_init() */
#define DEV_MAX_VEC 32u       /* multi-message MSI sends at most 32 messages */

/* The physical side when the host owns the messages (dev_hostmsg.c). */
struct vmsix_dev_hm {
    struct vmsix_hostmsg_ops ops; /* copied by the size rule */
    void *ctx;
    bool on;         /* enable() succeeded: the host's vectors exist */
    uint32_t routed; /* bit k: route() succeeded and no unroute() since */
};

struct vmsix_dev {
    uint32_t magic; /* DEV_MAGIC; first, so that nothing else is read before it */
    struct vmsix_dev_ops ops;
    void *ctx;
    struct vmsix_logger log;
    struct vmsix_mom_layout lay; /* decided once at init */
    uint16_t lay_view;           /* bytes of the function's space read at init: 64, 256, 4096 */
    struct vmsix_msi_phys phys;  /* the function's MSI and a remap.h backend */
    bool host_owned;             /* vmsix_dev_init_hostmsg(): hm instead of phys's backend */
    struct vmsix_dev_hm hm;
    struct vmsix_cfg *cfg;            /* the guest view, in cfg_mem */
    struct vmsix_msix *msix;          /* the guest's table, in msix_mem */
    uint64_t decode[VMSIX_DEV_NBARS]; /* where each virtual BAR decodes, as bar_moved last said */
    bool pm_no_soft_reset;            /* PMCSR's No_Soft_Reset, hardwired: read at init */
    uint16_t pm_states;               /* PowerStates the function supports: bit n for Dn */
    /* the parts' storage, sized by their own size functions */
    uint64_t cfg_mem[(VMSIX_CFG_STORAGE_SIZE(PCI_CFG_SPACE_EXP_SIZE) + 7u) / 8u];
    uint64_t msix_mem[(VMSIX_MSIX_STORAGE_SIZE(DEV_MAX_VEC) + 7u) / 8u];
};

/* @d came from a successful vmsix_dev_init() and was not torn down. */
static inline bool dev_ok(const struct vmsix_dev *d)
{
    return d && d->magic == DEV_MAGIC;
}

/* The table BAR's register in the guest view. */
static inline uint16_t dev_table_bar_reg(const struct vmsix_dev *d)
{
    return (uint16_t)(PCI_BAR0 + PCI_BAR_SIZE * d->lay.slot);
}

/* MSI-X Message Control in the guest view (the old MSI capability's). */
static inline uint16_t dev_msix_ctrl_reg(const struct vmsix_dev *d)
{
    return (uint16_t)(d->lay.msi_off + PCI_MSIX_FLAGS);
}

/* The guest's INTx Disable, as the guest wrote it. */
static inline bool dev_guest_intx_disabled(const struct vmsix_dev *d)
{
    uint32_t cmd = 0;

    vmsix_cfg_peek(d->cfg, PCI_COMMAND, 2, &cmd);
    return (cmd & PCI_COMMAND_INTX_DISABLE) != 0;
}

/* The guest's Command bits that are its own (dev.c declares them). */
#define DEV_CMD_GUEST (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE)

/* The guest view's registers to their reset values: MSI-X disabled, the
 * table BAR at 0, the guest's Command bits clear (dev.c). */
void vmsix_dev_guest_reset(struct vmsix_dev *d);

/* Tell the host where each virtual BAR decodes now, where that changed
 * (dev_bars.c). */
void vmsix_dev_sync_decode(struct vmsix_dev *d);

/* The model's callback when the guest wrote a virtual BAR's address. */
void vmsix_dev_bar_moved(void *ctx, unsigned bar, uint64_t addr);

/* Declare the table BAR and the BARs and ROM the host described in the
 * guest view (a described one virtual with the sizing protocol, an
 * opted-in one passing through, any other slot read-only 0). */
int vmsix_dev_model_bars(struct vmsix_dev *d);

/* The virtual BARs back to their reset values (dev_bars.c). */
void vmsix_dev_bars_reset(struct vmsix_dev *d);

/* The physical side set up for MSI-X Enable, and torn down, whichever owns
 * the messages (dev.c). */
int vmsix_dev_phys_setup(struct vmsix_dev *d);
int vmsix_dev_phys_teardown(struct vmsix_dev *d);

/* Host-owned messages (dev_hostmsg.c): copy and check the ops; enable and
 * disable the host's vectors; a vector became active (route) or inactive
 * (hold); the held vectors of a PBA read; the guest's FLR by the host. */
int vmsix_dev_hm_init(struct vmsix_dev *d, const struct vmsix_hostmsg *hm);
int vmsix_dev_hm_enable(struct vmsix_dev *d);
int vmsix_dev_hm_disable(struct vmsix_dev *d);
int vmsix_dev_hm_vector(struct vmsix_dev *d, uint16_t vec, const struct vmsix_msg *msg,
                        bool active);
uint64_t vmsix_dev_hm_pending(struct vmsix_dev *d, uint16_t first, unsigned count);
int vmsix_dev_hm_flr(struct vmsix_dev *d);

#endif /* VMSIX_SRC_DEV_PRIV_H */
