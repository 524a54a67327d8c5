/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * boot.c - the Linux x86 boot protocol, 32-bit entry (boot.rst, "32-bit
 * Boot Protocol"): the protected-mode part of the bzImage at 1 MiB, a zero
 * page holding the setup header copied from the image plus what the loader
 * fills in (command line, initrd, e820 map), and a flat GDT. The boot CPU
 * starts at code32_start with %esi = the zero page (vcpu.c sets the
 * registers); the kernel's decompressor takes it from there.
 *
 * Only the fields used here are named; offsets are those of boot.rst and
 * struct boot_params.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"

/* struct boot_params (the zero page) */
#define BP_SIZE 4096u
#define BP_EXT_RAMDISK_IMAGE 0x0c0u
#define BP_EXT_RAMDISK_SIZE 0x0c4u
#define BP_EXT_CMD_LINE_PTR 0x0c8u
#define BP_E820_ENTRIES 0x1e8u
#define BP_E820_TABLE 0x2d0u
#define BP_E820_MAX 128u
/* struct setup_header, at 0x1f1 in both the image and the zero page */
#define HDR_START 0x1f1u
#define HDR_SETUP_SECTS 0x1f1u
#define HDR_BOOT_FLAG 0x1feu
#define HDR_JUMP_END 0x201u /* the header ends at 0x202 + this byte */
#define HDR_MAGIC 0x202u    /* "HdrS" */
#define HDR_VERSION 0x206u
#define HDR_TYPE_OF_LOADER 0x210u
#define HDR_LOADFLAGS 0x211u
#define HDR_CODE32_START 0x214u
#define HDR_RAMDISK_IMAGE 0x218u
#define HDR_RAMDISK_SIZE 0x21cu
#define HDR_HEAP_END_PTR 0x224u
#define HDR_CMD_LINE_PTR 0x228u
#define HDR_INITRD_ADDR_MAX 0x22cu
#define HDR_RELOCATABLE 0x234u
#define HDR_CMDLINE_SIZE 0x238u
#define HDR_PREF_ADDRESS 0x258u
#define HDR_INIT_SIZE 0x260u

#define LOADED_HIGH 0x01u
#define CAN_USE_HEAP 0x80u
#define E820_RAM 1u
#define E820_RESERVED 2u

static uint32_t get(const uint8_t *p, unsigned off, unsigned n)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[off + i] << (8 * i);
    return v;
}

static void put(uint8_t *p, unsigned off, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Read all of @path into a malloc'd buffer. */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
    struct stat st;
    size_t done = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        vmm_log("%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    while (*buf && done < *len) {
        ssize_t n = read(fd, *buf + done, *len - done);
        if (n <= 0) {
            vmm_log("%s: %s", path, n < 0 ? strerror(errno) : "short read");
            free(*buf);
            *buf = NULL;
            break;
        }
        done += (size_t)n;
    }
    close(fd);
    return *buf ? 0 : -1;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
    unsigned n = bp[BP_E820_ENTRIES];

    if (n >= BP_E820_MAX || !size)
        return;
    put(bp, BP_E820_TABLE + 20 * n, 8, addr);
    put(bp, BP_E820_TABLE + 20 * n + 8, 8, size);
    put(bp, BP_E820_TABLE + 20 * n + 16, 4, type);
    bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/* The memory map the guest sees: RAM below the EBDA, the EBDA and BIOS
 * area reserved (the MP table lives there), RAM from 1 MiB, RAM above 4 GiB. */
static void e820_fill(const struct vm *vm, uint8_t *bp)
{
    e820_add(bp, 0, GPA_EBDA, E820_RAM);
    e820_add(bp, GPA_EBDA, 0xa0000u - GPA_EBDA, E820_RESERVED);
    e820_add(bp, GPA_BIOS, GPA_KERNEL - GPA_BIOS, E820_RESERVED);
    e820_add(bp, GPA_KERNEL, vm->low_size - GPA_KERNEL, E820_RAM);
    e820_add(bp, GPA_HIGH_BASE, vm->ram_size - vm->low_size, E820_RAM);
}

/* A flat GDT: selector 0x10 = 4 GiB 32-bit code, 0x18 = 4 GiB data. */
static int write_gdt(struct vm *vm)
{
    static const uint64_t gdt[4] = {0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull};
    uint8_t *p = vm_gpa(vm, GPA_BOOT_GDT, sizeof(gdt));

    if (!p)
        return -1;
    for (unsigned i = 0; i < 4; i++)
        put(p, 8 * i, 8, gdt[i]);
    return 0;
}

static int check_header(const uint8_t *img, size_t len, size_t *setup_len)
{
    unsigned sects;

    if (len < 0x1000 || get(img, HDR_BOOT_FLAG, 2) != 0xaa55 ||
        memcmp(img + HDR_MAGIC, "HdrS", 4) != 0) {
        vmm_log("the kernel is not a bzImage (no boot protocol header)");
        return -1;
    }
    if (get(img, HDR_VERSION, 2) < 0x20a || !(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
        vmm_log("boot protocol %#x: need 2.10 or later and a bzImage", get(img, HDR_VERSION, 2));
        return -1;
    }
    sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    *setup_len = (size_t)(sects + 1) * 512;
    if (*setup_len >= len || 0x202u + img[HDR_JUMP_END] > *setup_len) {
        vmm_log("the kernel's setup header is malformed");
        return -1;
    }
    return 0;
}

/* Place the initrd as high in low RAM as the kernel allows, above what the
 * kernel needs to decompress itself. */
static int load_initrd(struct vm *vm, const char *path, const uint8_t *bp, uint64_t kernel_end,
                       uint64_t *addr, uint64_t *size)
{
    uint64_t top = vm->low_size, max = (uint64_t)get(bp, HDR_INITRD_ADDR_MAX, 4) + 1;
    uint8_t *buf;
    size_t len;
    void *dst;

    if (read_all(path, &buf, &len))
        return -1;
    if (max < top)
        top = max;
    if (len > top || ((top - len) & ~0xfffull) < kernel_end) {
        vmm_log("not enough guest RAM below %#llx for a %zu-byte initrd: raise --mem",
                (unsigned long long)top, len);
        free(buf);
        return -1;
    }
    *addr = (top - len) & ~0xfffull;
    *size = len;
    dst = vm_gpa(vm, *addr, len);
    if (!dst) {
        free(buf);
        return -1;
    }
    memcpy(dst, buf, len);
    free(buf);
    return 0;
}

int boot_load(struct vm *vm, const char *kernel, const char *initrd, const char *cmdline,
              struct boot_entry *out)
{
    uint8_t *img = NULL, *bp, *dst;
    size_t len, setup_len, klen, hdr_end, clen = strlen(cmdline);
    uint64_t kernel_end, rd_addr = 0, rd_size = 0;
    int rc = -1;

    if (read_all(kernel, &img, &len) || check_header(img, len, &setup_len))
        goto out;
    klen = len - setup_len;
    bp = vm_gpa(vm, GPA_BOOT_PARAMS, BP_SIZE);
    dst = vm_gpa(vm, GPA_KERNEL, klen);
    if (!bp || !dst) {
        vmm_log("the kernel does not fit in guest RAM");
        goto out;
    }
    memcpy(dst, img + setup_len, klen);

    /* the zero page: the image's setup header, then the loader's fields */
    memset(bp, 0, BP_SIZE);
    hdr_end = 0x202u + img[HDR_JUMP_END];
    memcpy(bp + HDR_START, img + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = 0xff; /* an undefined boot loader */
    bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    put(bp, HDR_HEAP_END_PTR, 2, 0xfe00 - 0x200);

    if (clen > get(bp, HDR_CMDLINE_SIZE, 4)) {
        vmm_log("the command line is longer than the kernel's %u bytes",
                get(bp, HDR_CMDLINE_SIZE, 4));
        goto out;
    }
    dst = vm_gpa(vm, GPA_CMDLINE, clen + 1);
    if (!dst)
        goto out;
    memcpy(dst, cmdline, clen + 1);
    put(bp, HDR_CMD_LINE_PTR, 4, GPA_CMDLINE);
    put(bp, BP_EXT_CMD_LINE_PTR, 4, 0);

    /* a relocatable kernel decompresses at pref_address (or above) */
    kernel_end = GPA_KERNEL +
                 (uint64_t)(klen > get(bp, HDR_INIT_SIZE, 4) ? klen : get(bp, HDR_INIT_SIZE, 4));
    if (bp[HDR_RELOCATABLE]) {
        uint64_t pref = get(bp, HDR_PREF_ADDRESS, 4) | (uint64_t)get(bp, HDR_PREF_ADDRESS + 4, 4)
                                                           << 32;
        if (pref + get(bp, HDR_INIT_SIZE, 4) > kernel_end)
            kernel_end = pref + get(bp, HDR_INIT_SIZE, 4);
    }
    if (kernel_end > vm->low_size) {
        vmm_log("the kernel needs %llu MiB of RAM: raise --mem",
                (unsigned long long)(kernel_end >> 20) + 1);
        goto out;
    }
    if (initrd && load_initrd(vm, initrd, bp, kernel_end, &rd_addr, &rd_size))
        goto out;
    put(bp, HDR_RAMDISK_IMAGE, 4, rd_addr);
    put(bp, HDR_RAMDISK_SIZE, 4, rd_size);
    put(bp, BP_EXT_RAMDISK_IMAGE, 4, rd_addr >> 32);
    put(bp, BP_EXT_RAMDISK_SIZE, 4, rd_size >> 32);
    e820_fill(vm, bp);
    if (write_gdt(vm))
        goto out;

    out->eip = get(bp, HDR_CODE32_START, 4);
    out->boot_params = GPA_BOOT_PARAMS;
    out->gdt = GPA_BOOT_GDT;
    if (vm->verbose)
        vmm_log("kernel: %zu bytes at %#x, protocol %#x; initrd: %llu bytes at %#llx", klen,
                GPA_KERNEL, get(bp, HDR_VERSION, 2), (unsigned long long)rd_size,
                (unsigned long long)rd_addr);
    rc = 0;
out:
    free(img);
    return rc;
}
