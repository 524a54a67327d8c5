/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private: the PCI configuration registers and bits the core touches, by
 * name (PCI Local Bus 3.0 chapter 6, PCI Express Base 6.0 chapter 7), and
 * the one place that knows what a header type implies.
 */
#ifndef VMSIX_SRC_PCI_REGS_H
#define VMSIX_SRC_PCI_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the common header (types 0, 1, 2) ---- */
#define PCI_VENDOR_ID 0x00u
#define PCI_COMMAND 0x04u
#define PCI_COMMAND_IO 0x0001u
#define PCI_COMMAND_MEMORY 0x0002u
#define PCI_COMMAND_INTX_DISABLE 0x0400u
#define PCI_STATUS 0x06u
#define PCI_STATUS_CAP_LIST 0x10u /* bit 4: the standard list exists */
#define PCI_CLASS_BASE 0x0bu      /* base class code */
#define PCI_CLASS_BRIDGE 0x06u    /* host, ISA, PCI-to-PCI... bridges */
#define PCI_HEADER_TYPE 0x0eu
#define PCI_HEADER_TYPE_MASK 0x7fu /* bit 7 is Multi-Function */
#define PCI_HEADER_TYPE_NORMAL 0u
#define PCI_HEADER_TYPE_BRIDGE 1u
#define PCI_HEADER_TYPE_CARDBUS 2u
#define PCI_BAR0 0x10u /* BAR n at PCI_BAR0 + 4n */
#define PCI_BAR_SIZE 4u
#define PCI_ROM_ADDRESS 0x30u /* expansion ROM, type 0 */
#define PCI_ROM_ADDRESS_ENABLE 0x1u
#define PCI_ROM_ADDRESS_MASK 0xfffff800u
#define PCI_ROM_MIN_SIZE 2048u
#define PCI_CAP_PTR 0x34u            /* head of the standard list, types 0 and 1 */
#define PCI_CB_CAP_PTR 0x14u         /* the same for CardBus bridges (type 2) */
#define PCI_CAP_PTR_MASK 0xfcu       /* a pointer's low two bits are reserved */
#define PCI_STD_CAP_BASE 0x40u       /* standard capabilities live in 0x40..0xff */
#define PCI_EXT_CAP_BASE 0x100u      /* the first extended capability */
#define PCI_CFG_SPACE_SIZE 256u      /* conventional PCI */
#define PCI_CFG_SPACE_EXP_SIZE 4096u /* PCI Express */

/* BAR register bits */
#define PCI_BAR_SPACE_IO 0x1u
#define PCI_BAR_MEM_TYPE_MASK 0x6u
#define PCI_BAR_MEM_TYPE_32 0x0u
#define PCI_BAR_MEM_TYPE_1M 0x2u /* below 1 MiB: PCI 2.x only, reserved since */
#define PCI_BAR_MEM_TYPE_64 0x4u
#define PCI_BAR_MEM_PREFETCH 0x8u
#define PCI_BAR_MEM_ADDR_MASK 0xfffffff0u
#define PCI_BAR_IO_ADDR_MASK 0xfffffffcu

/* ---- capability headers ---- */
#define PCI_CAP_ID 0u   /* standard: ID byte */
#define PCI_CAP_NEXT 1u /* standard: next pointer byte */
#define PCI_CAP_HDR_LEN 2u
#define PCI_EXT_CAP_HDR_LEN 4u /* ID 15:0, version 19:16, next 31:20 */
#define PCI_EXT_CAP_ID_MASK 0x0000ffffu
#define PCI_EXT_CAP_VER_SHIFT 16
#define PCI_EXT_CAP_VER_MASK 0xfu
#define PCI_EXT_CAP_ID_VER_MASK 0x000fffffu /* what a new next pointer keeps */
#define PCI_EXT_CAP_NEXT_SHIFT 20
#define PCI_EXT_CAP_NEXT_MASK 0xfff00000u

/* ---- MSI (capability ID 0x05) ---- */
#define PCI_MSI_FLAGS 2u /* Message Control */
#define PCI_MSI_FLAGS_ENABLE 0x0001u
#define PCI_MSI_FLAGS_QMASK 0x000eu /* Multiple Message Capable */
#define PCI_MSI_FLAGS_QMASK_SHIFT 1
#define PCI_MSI_FLAGS_QSIZE 0x0070u /* Multiple Message Enable */
#define PCI_MSI_FLAGS_QSIZE_SHIFT 4
#define PCI_MSI_FLAGS_64BIT 0x0080u
#define PCI_MSI_FLAGS_MASKBIT 0x0100u /* per-vector masking */
#define PCI_MSI_MMC_MAX 5u            /* 32 messages; 6 and 7 are reserved */
#define PCI_MSI_ADDRESS_LO 4u
#define PCI_MSI_ADDRESS_HI 8u /* 64-bit capabilities only */
#define PCI_MSI_DATA_32 8u
#define PCI_MSI_DATA_64 12u
#define PCI_MSI_MASK_32 12u
#define PCI_MSI_MASK_64 16u
#define PCI_MSI_PENDING_32 16u
#define PCI_MSI_PENDING_64 20u
#define PCI_MSI_LEN_BASE 10u    /* 32-bit address, no masking */
#define PCI_MSI_LEN_ADDR64 4u   /* + Message Upper Address */
#define PCI_MSI_LEN_MASKBIT 10u /* + reserved, Mask Bits, Pending Bits */

/* ---- MSI-X (capability ID 0x11) ---- */
#define PCI_MSIX_FLAGS 2u /* Message Control */
#define PCI_MSIX_FLAGS_QSIZE 0x07ffu
#define PCI_MSIX_TABLE 4u           /* Table Offset/BIR */
#define PCI_MSIX_PBA 8u             /* PBA Offset/BIR */
#define PCI_MSIX_BIR_MASK 0x7u      /* the offsets' low bits: table and PBA are qword aligned */
#define PCI_MSIX_ENTRY_SIZE 16u     /* one table entry */
#define PCI_MSIX_MAX_VECTORS 2048u  /* Table Size is 11 bits, N - 1 */
#define PCI_MSIX_PBA_QWORD_VECS 64u /* one PBA qword holds 64 Pending bits */
#define PCI_MSIX_CAP_LEN 12u
#define PCI_PM_CAP_LEN 8u

/* ---- PCI Express (capability ID 0x10) ---- */
#define PCI_EXP_FLAGS 2u
#define PCI_EXP_FLAGS_VERS 0x000fu
#define PCI_EXP_FLAGS_TYPE 0x00f0u
#define PCI_EXP_FLAGS_TYPE_SHIFT 4
#define PCI_EXP_FLAGS_SLOT 0x0100u
#define PCI_EXP_TYPE_ROOT_PORT 0x4u
#define PCI_EXP_TYPE_UPSTREAM 0x5u
#define PCI_EXP_TYPE_DOWNSTREAM 0x6u
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7u
#define PCI_EXP_TYPE_PCIE_BRIDGE 0x8u
#define PCI_EXP_TYPE_RC_END 0x9u /* root-complex integrated endpoint */
#define PCI_EXP_TYPE_RC_EC 0xau  /* root-complex event collector */
#define PCI_EXP_DEVCTL 8u
#define PCI_EXP_DEVCTL_FLR 0x8000u /* Initiate Function Level Reset */
/* version 1 lengths per function type (PCIe 1.1 section 7.8); version 2+ is 60 */
#define PCI_EXP_V1_LEN 20u
#define PCI_EXP_V1_LEN_RC_END 12u
#define PCI_EXP_V1_LEN_SLOT 28u
#define PCI_EXP_V1_LEN_ROOT 36u
#define PCI_EXP_V2_LEN 60u

/* ---- Power Management (capability ID 0x01) ---- */
#define PCI_PM_PMC 2u /* Power Management Capabilities */
#define PCI_PM_CAP_D1 0x0200u
#define PCI_PM_CAP_D2 0x0400u
#define PCI_PM_CTRL 4u                 /* PMCSR */
#define PCI_PM_CTRL_PME_STATUS 0x8000u /* RW1C */
#define PCI_PM_CTRL_STATE_MASK 0x0003u
#define PCI_PM_STATE_D0 0u
#define PCI_PM_STATE_D1 1u
#define PCI_PM_STATE_D2 2u
#define PCI_PM_STATE_D3HOT 3u
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008u

/* ---- Advanced Features (capability ID 0x13) ---- */
#define PCI_AF_CTRL 4u /* AF Control (byte), AF Status at 5 */
#define PCI_AF_CTRL_FLR 0x01u
#define PCI_AF_LEN 6u

/* ---- what a header type implies ---- */

/* The header type of configuration bytes (Multi-Function masked off). */
static inline unsigned pci_header_type(const uint8_t *cfg)
{
    return cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
}

/* BAR slots of a header type: 6 (type 0), 2 (type 1), 1 (type 2), else 0. */
static inline unsigned pci_header_bars(unsigned htype)
{
    switch (htype) {
    case PCI_HEADER_TYPE_NORMAL:
        return 6;
    case PCI_HEADER_TYPE_BRIDGE:
        return 2;
    case PCI_HEADER_TYPE_CARDBUS:
        return 1;
    default:
        return 0;
    }
}

/* Where a header type keeps the head of the standard list; 0 for none. */
static inline unsigned pci_header_cap_ptr(unsigned htype)
{
    switch (htype) {
    case PCI_HEADER_TYPE_NORMAL:
    case PCI_HEADER_TYPE_BRIDGE:
        return PCI_CAP_PTR;
    case PCI_HEADER_TYPE_CARDBUS:
        return PCI_CB_CAP_PTR;
    default:
        return 0;
    }
}

/* The MSI registers whose place depends on the address width. */
static inline unsigned pci_msi_data_reg(bool addr64)
{
    return addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}

static inline unsigned pci_msi_mask_reg(bool addr64)
{
    return addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

static inline unsigned pci_msi_pending_reg(bool addr64)
{
    return addr64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32;
}

#endif /* VMSIX_SRC_PCI_REGS_H */
