/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of libvmsix-vfio's device (vfio/dev.c, dma.c, cfg.c) against
 * the fake kernel: the setup sequence of vmsix_vfio_dev_open() and
 * _attach(), a group that is not viable, a missing or busy group, every
 * call failing in turn with nothing left open, a shared container, the
 * configuration hooks (sizes, alignment, bounds, short I/O) and region
 * access, DMA mappings, reset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/vfio.h>

#include <vmsix/msix_on_msi.h>
#include <vmsix/vfio.h>

#include "fake_kernel.h"
#include "log_record.h"

#define BDF "0000:00:03.0"
#define CFG_OFF ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

struct t {
    struct fake_kernel fk;
    uint64_t mem[128];
    uint64_t mem2[128];
    struct vmsix_vfio_dev *d;
    struct log_record log;
};

static struct vmsix_vfio_dev_params params(struct t *t)
{
    struct vmsix_vfio_dev_params p;

    memset(&p, 0, sizeof(p));
    p.bdf = BDF;
    p.container_fd = -1;
    p.device_fd = -1;
    p.sys = &fk_sys;
    p.sys_ctx = &t->fk;
    p.log = log_record_hook;
    p.log_ctx = &t->log;
    return p;
}

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    fk_init(&t->fk, BDF);
    assert_true(sizeof(t->mem) >= vmsix_vfio_dev_storage_size());
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static unsigned open_fds(const struct t *t)
{
    return fk_open_fds(&t->fk, FK_CONTAINER) + fk_open_fds(&t->fk, FK_GROUP) +
           fk_open_fds(&t->fk, FK_DEVICE) + fk_open_fds(&t->fk, FK_EVENTFD);
}

static const char *const attach_calls[] = {
    "VFIO_DEVICE_GET_INFO",
    "VFIO_DEVICE_GET_REGION_INFO 7",
    "VFIO_DEVICE_GET_REGION_INFO 0",
    "VFIO_DEVICE_GET_REGION_INFO 1",
    "VFIO_DEVICE_GET_REGION_INFO 2",
    "VFIO_DEVICE_GET_REGION_INFO 3",
    "VFIO_DEVICE_GET_REGION_INFO 4",
    "VFIO_DEVICE_GET_REGION_INFO 5",
    "VFIO_DEVICE_GET_REGION_INFO 6",
    "VFIO_DEVICE_GET_IRQ_INFO 1",
    "VFIO_DEVICE_GET_IRQ_INFO 2",
    NULL,
};

static void test_open_sequence(void **state)
{
    struct t *t = *state;
    static const char *const head[] = {
        "open /dev/vfio/vfio",
        "VFIO_GET_API_VERSION",
        "VFIO_CHECK_EXTENSION 3",
        "readlink /sys/bus/pci/devices/" BDF "/iommu_group",
        "open /dev/vfio/7",
        "VFIO_GROUP_GET_STATUS",
        "VFIO_GROUP_SET_CONTAINER 11",
        "VFIO_SET_IOMMU 3",
        "VFIO_GROUP_GET_DEVICE_FD " BDF,
        NULL,
    };
    static const char *const closing[] = {"close 13", "close 12", "close 11", NULL};
    struct vmsix_vfio_dev_params p = params(t);
    const struct vmsix_vfio_dev_info *in;
    struct fake_kernel ref;
    unsigned i, n = 0;

    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), 0);
    while (head[n])
        n++;
    /* the head, then exactly the attach sequence */
    memcpy(&ref, &t->fk, sizeof(ref));
    ref.nrec = n;
    assert_true(fk_expect(&ref, 0, head));
    assert_true(fk_expect(&t->fk, n, attach_calls));
    in = vmsix_vfio_dev_info(t->d);
    assert_non_null(in);
    assert_int_equal(in->container_fd, 11);
    assert_int_equal(in->group_fd, 12);
    assert_int_equal(in->device_fd, 13);
    assert_int_equal(in->group, 7);
    assert_int_equal(in->iommu_type, VFIO_TYPE1v2_IOMMU);
    assert_int_equal(in->flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
    assert_int_equal(in->num_regions, VFIO_PCI_NUM_REGIONS);
    assert_int_equal(in->num_irqs, VFIO_PCI_NUM_IRQS);
    assert_int_equal(in->cfg.offset, CFG_OFF);
    assert_int_equal(in->cfg.size, 256);
    assert_int_equal(in->bar[0].offset, 0);
    assert_int_equal(in->bar[0].size, 4096);
    assert_true(in->bar[0].flags & VFIO_REGION_INFO_FLAG_MMAP);
    for (i = 1; i < 6; i++)
        assert_int_equal(in->bar[i].size, 0);
    assert_int_equal(in->rom.offset, (uint64_t)VFIO_PCI_ROM_REGION_INDEX << 40);
    assert_int_equal(in->msi_count, 16);
    assert_int_equal(in->msix_count, 0);
    assert_int_equal(t->log.n, 0);
    n = t->fk.nrec;
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    assert_true(fk_expect(&t->fk, n, closing));
    assert_int_equal(open_fds(t), 0);
    /* closed: refused */
    assert_null(vmsix_vfio_dev_info(t->d));
    assert_int_equal(vmsix_vfio_dev_close(t->d), -EINVAL);
    assert_int_equal(vmsix_vfio_dev_reset(t->d), -EINVAL);
}

static void test_type1_only(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);

    t->fk.has_type1v2 = false;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), 0);
    assert_string_equal(t->fk.rec[2], "VFIO_CHECK_EXTENSION 3");
    assert_string_equal(t->fk.rec[3], "VFIO_CHECK_EXTENSION 1");
    assert_string_equal(t->fk.rec[8], "VFIO_SET_IOMMU 1");
    assert_int_equal(vmsix_vfio_dev_info(t->d)->iommu_type, VFIO_TYPE1_IOMMU);
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    /* neither */
    t->fk.has_type1 = false;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -ENOTSUP);
    assert_int_equal(open_fds(t), 0);
    /* an API version this library does not know */
    t->fk.has_type1 = true;
    t->fk.api_version = 1;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -ENOTSUP);
    assert_int_equal(open_fds(t), 0);
}

static void test_not_viable(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    static const char *const want[] = {
        "open /dev/vfio/vfio",
        "VFIO_GET_API_VERSION",
        "VFIO_CHECK_EXTENSION 3",
        "readlink /sys/bus/pci/devices/" BDF "/iommu_group",
        "open /dev/vfio/7",
        "VFIO_GROUP_GET_STATUS",
        "close 12",
        "close 11",
        NULL,
    };

    t->fk.viable = false;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -EBUSY);
    assert_true(fk_expect(&t->fk, 0, want));
    assert_int_equal(open_fds(t), 0);
    assert_true(log_record_has(&t->log, "IOMMU group 7 is not viable"));
    assert_true(log_record_has(&t->log, "/sys/kernel/iommu_groups/7/devices"));
    assert_int_equal(vmsix_vfio_dev_close((struct vmsix_vfio_dev *)t->mem), -EINVAL);
}

static void test_group_missing_or_busy(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);

    t->fk.group_exists = false; /* not bound to vfio-pci */
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -ENOENT);
    assert_true(log_record_has(&t->log, "/dev/vfio/7 is missing: is the device bound to vfio-pci?"));
    assert_int_equal(open_fds(t), 0);
    t->fk.group_exists = true;
    t->fk.group_busy = true; /* open in another process */
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -EBUSY);
    assert_true(log_record_has(&t->log, "/dev/vfio/7 is open in another process"));
    assert_int_equal(open_fds(t), 0);
    /* no such device, or no IOMMU group */
    t->fk.group_busy = false;
    p.bdf = "0000:00:04.0";
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -ENOENT);
    assert_true(log_record_has(&t->log, "/sys/bus/pci/devices/0000:00:04.0/iommu_group is missing"));
    assert_int_equal(open_fds(t), 0);
}

static void test_bad_bdf(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    static const char *const bad[] = {
        "",
        "0000:00:03",
        "00:03.0",
        "0000:00:03.8",
        "0000:00:20.0", /* device 0x20 */
        "0000:00:03.0 ",
        "0000:0:03.0",
        "0000:00:03.0/../../x",
        "../../../..:00:03.0",
        "0000:0A:03.0", /* sysfs spells lower case */
        "0000-00:03.0",
        "123456789:00:03.0",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p.bdf = bad[i];
        assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -EINVAL);
    }
    p.bdf = NULL;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -EINVAL);
    assert_int_equal(t->fk.nrec, 0);
    /* a five-digit domain is a valid address (no such device here) */
    p.bdf = "10000:00:1f.7";
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), -ENOENT);
    p.bdf = BDF;
    assert_int_equal(vmsix_vfio_dev_open(t->mem, 8, &p, &t->d),
                     -EINVAL);
    assert_int_equal(vmsix_vfio_dev_open((char *)t->mem + 4, sizeof(t->mem) - 8, &p, &t->d),
                     -EINVAL);
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, NULL), -EINVAL);
    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), NULL, &t->d), -EINVAL);
    assert_int_equal(open_fds(t), 0);
}

/* Every call of open failing in turn: its error, nothing left open. */
static void test_open_each_call_failing(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    unsigned n, i;

    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), 0);
    n = t->fk.seq;
    assert_int_equal(n, 20); /* 9 + 11 */
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    for (i = 1; i <= n; i++) {
        fk_init(&t->fk, BDF);
        t->log.n = 0;
        t->fk.fail_at = i;
        assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), FK_FAIL_RC);
        assert_true(t->fk.failed);
        assert_int_equal(open_fds(t), 0);
        assert_true(t->log.n >= 1);
        assert_non_null(strstr(t->log.line[t->log.n - 1], "failed (-18)"));
        assert_null(vmsix_vfio_dev_info((struct vmsix_vfio_dev *)t->mem));
    }
}

/* A second device in the first one's container: no new container, no
 * SET_IOMMU, and closing it leaves the container open. */
static void test_shared_container(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    struct vmsix_vfio_dev *d2;
    unsigned mark;
    int cfd;

    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), 0);
    cfd = vmsix_vfio_dev_info(t->d)->container_fd;
    assert_true(fk_file(&t->fk, cfd)->iommu_set);
    /* a second device, in group 8 */
    t->fk.group = 8;
    p.container_fd = cfd;
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_dev_open(t->mem2, sizeof(t->mem2), &p, &d2), 0);
    assert_string_equal(t->fk.rec[mark], "readlink /sys/bus/pci/devices/" BDF "/iommu_group");
    assert_string_equal(t->fk.rec[mark + 1], "open /dev/vfio/8");
    assert_string_equal(t->fk.rec[mark + 4], "VFIO_GROUP_GET_DEVICE_FD " BDF);
    assert_int_equal(vmsix_vfio_dev_info(d2)->container_fd, cfd);
    assert_int_equal(vmsix_vfio_dev_info(d2)->iommu_type, 0);
    assert_int_equal(vmsix_vfio_dev_close(d2), 0);
    assert_int_equal(fk_open_fds(&t->fk, FK_CONTAINER), 1);
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    assert_int_equal(open_fds(t), 0);
}

static void test_attach(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    static const char *const none[] = {NULL};
    unsigned mark;

    p.bdf = NULL;
    p.device_fd = fk_device_fd(&t->fk);
    assert_int_equal(vmsix_vfio_dev_attach(t->mem, sizeof(t->mem), &p, &t->d), 0);
    assert_true(fk_expect(&t->fk, 0, attach_calls));
    assert_int_equal(vmsix_vfio_dev_info(t->d)->device_fd, p.device_fd);
    assert_int_equal(vmsix_vfio_dev_info(t->d)->container_fd, -1);
    assert_int_equal(vmsix_vfio_dev_info(t->d)->group_fd, -1);
    assert_int_equal(vmsix_vfio_dev_info(t->d)->group, UINT32_MAX);
    /* the VMM's fd stays open */
    mark = t->fk.nrec;
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    assert_true(fk_expect(&t->fk, mark, none));
    assert_int_equal(fk_open_fds(&t->fk, FK_DEVICE), 1);
    /* not a PCI device */
    t->fk.dev_flags = VFIO_DEVICE_FLAGS_PLATFORM;
    assert_int_equal(vmsix_vfio_dev_attach(t->mem, sizeof(t->mem), &p, &t->d), -ENOTSUP);
    t->fk.dev_flags = VFIO_DEVICE_FLAGS_PCI;
    t->fk.cfg_size = 0;
    assert_int_equal(vmsix_vfio_dev_attach(t->mem, sizeof(t->mem), &p, &t->d), -ENOTSUP);
    p.device_fd = -1;
    assert_int_equal(vmsix_vfio_dev_attach(t->mem, sizeof(t->mem), &p, &t->d), -EINVAL);
}

static void attach(struct t *t, int container_fd)
{
    struct vmsix_vfio_dev_params p = params(t);

    p.bdf = NULL;
    p.device_fd = fk_device_fd(&t->fk);
    p.container_fd = container_fd;
    assert_int_equal(vmsix_vfio_dev_attach(t->mem, sizeof(t->mem), &p, &t->d), 0);
    t->fk.nrec = 0;
}

static void test_cfg_access(void **state)
{
    struct t *t = *state;
    static const unsigned sizes[] = {0, 1, 2, 3, 4, 5, 8};
    struct vmsix_dev_ops ops;
    uint32_t v, want;
    unsigned off, i, calls;

    attach(t, -1);
    /* the hooks fit struct vmsix_dev_ops */
    memset(&ops, 0, sizeof(ops));
    ops.cfg_read = vmsix_vfio_cfg_read;
    ops.cfg_write = vmsix_vfio_cfg_write;
    for (off = 0; off < 260; off++) {
        for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            unsigned s = sizes[i];
            bool ok = (s == 1 || s == 2 || s == 4) && off % s == 0 && off + s <= 256;
            calls = t->fk.nrec;
            v = 0xdeadbeef;
            if (!ok) {
                assert_int_equal(ops.cfg_read(t->d, (uint16_t)off, s, &v), -EINVAL);
                assert_int_equal(v, 0xdeadbeef);
                assert_int_equal(ops.cfg_write(t->d, (uint16_t)off, s, 0), -EINVAL);
                assert_int_equal(t->fk.nrec, calls); /* refused before any call */
                continue;
            }
            assert_int_equal(ops.cfg_read(t->d, (uint16_t)off, s, &v), 0);
            want = 0;
            for (unsigned b = 0; b < s; b++)
                want |= (uint32_t)t->fk.cfg[off + b] << (8 * b); /* little-endian */
            assert_int_equal(v, want);
            assert_int_equal(t->fk.nrec, calls + 1);
        }
    }
    assert_string_equal(t->fk.rec[0], "pread 11 off=0x70000000000 len=1");
    /* writes land little-endian at the region offset */
    assert_int_equal(vmsix_vfio_cfg_write(t->d, 0x40, 4, 0x11223344u), 0);
    assert_int_equal(t->fk.cfg[0x40], 0x44);
    assert_int_equal(t->fk.cfg[0x43], 0x11);
    assert_int_equal(vmsix_vfio_cfg_write(t->d, 0x46, 2, 0xabcdu), 0);
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0x44, 4, &v), 0);
    assert_int_equal(v, 0xabcd0000u | t->fk.cfg[0x44] | ((uint32_t)t->fk.cfg[0x45] << 8));
    assert_int_equal(vmsix_vfio_cfg_write(t->d, 0xff, 1, 0x5a), 0);
    assert_int_equal(t->fk.cfg[0xff], 0x5a);
    /* short I/O is -EIO, errors are passed on */
    t->fk.short_io = 1;
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0, 4, &v), -EIO);
    t->fk.short_io = 1;
    assert_int_equal(vmsix_vfio_cfg_write(t->d, 0, 2, 0), -EIO);
    t->fk.short_io = 1;
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0, 1, &v), -EIO); /* 0 bytes */
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0, 4, &v), FK_FAIL_RC);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_cfg_write(t->d, 0, 4, 0), FK_FAIL_RC);
    /* a bad device or pointer */
    assert_int_equal(vmsix_vfio_cfg_read(NULL, 0, 4, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0, 4, NULL), -EINVAL);
    assert_int_equal(vmsix_vfio_cfg_write(NULL, 0, 4, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    assert_int_equal(vmsix_vfio_cfg_read(t->d, 0, 4, &v), -EINVAL);
}

static void test_region_access(void **state)
{
    struct t *t = *state;
    uint64_t v;
    unsigned i;

    attach(t, -1);
    for (i = 0; i < 8; i++)
        t->fk.bar0[0x100 + i] = (uint8_t)(0x10 + i);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0x100, 8, &v), 0);
    assert_int_equal(v, 0x1716151413121110ull);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0x104, 2, &v), 0);
    assert_int_equal(v, 0x1514);
    assert_int_equal(
        vmsix_vfio_region_write(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0xff8, 8, 0x0102030405060708ull),
        0);
    assert_int_equal(t->fk.bar0[0xff8], 0x08);
    assert_int_equal(t->fk.bar0[0xfff], 0x01);
    assert_string_equal(t->fk.rec[2], "pwrite 11 off=0xff8 len=8");
    /* refusals */
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0xffc, 8, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0x1000, 1, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0x101, 2, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 3, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 16, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR1_REGION_INDEX, 0, 4, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_VGA_REGION_INDEX, 0, 4, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, 100, 0, 4, &v), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, UINT64_MAX - 3, 4, &v),
                     -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 4, NULL), -EINVAL);
    assert_int_equal(t->fk.nrec, 3);
    /* the configuration region through the same path */
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_CONFIG_REGION_INDEX, 0, 4, &v), 0);
    assert_int_equal(v, t->fk.cfg[0] | (t->fk.cfg[1] << 8) | (t->fk.cfg[2] << 16) |
                            ((uint32_t)t->fk.cfg[3] << 24));
    /* a read-only BAR refuses writes */
    t->fk.bar_flags[0] = VFIO_REGION_INFO_FLAG_READ;
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    attach(t, -1);
    assert_int_equal(vmsix_vfio_region_write(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 4, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 4, &v), 0);
    t->fk.short_io = 1;
    assert_int_equal(vmsix_vfio_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0, 4, &v), -EIO);
}

static void test_dma(void **state)
{
    struct t *t = *state;
    struct vmsix_vfio_dev_params p = params(t);
    static char ram[8192];
    char want[128];

    assert_int_equal(vmsix_vfio_dev_open(t->mem, sizeof(t->mem), &p, &t->d), 0);
    t->fk.nrec = 0;
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0x100000, sizeof(ram), ram,
                                        VMSIX_VFIO_DMA_READ | VMSIX_VFIO_DMA_WRITE),
                     0);
    snprintf(want, sizeof(want), "VFIO_IOMMU_MAP_DMA iova=0x100000 size=0x2000 flags=%u",
             (unsigned)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
    assert_string_equal(t->fk.rec[0], want);
    assert_int_equal(t->fk.dma[0].vaddr, (uint64_t)(uintptr_t)ram);
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0x200000, 4096, ram, VMSIX_VFIO_DMA_READ), 0);
    assert_int_equal(t->fk.dma[1].flags, VFIO_DMA_MAP_FLAG_READ);
    assert_int_equal(vmsix_vfio_dma_unmap(t->d, 0x100000, sizeof(ram)), 0);
    assert_false(t->fk.dma[0].used);
    assert_int_equal(vmsix_vfio_dma_unmap(t->d, 0x100000, sizeof(ram)), -EIO); /* gone */
    /* refusals: no call */
    t->fk.nrec = 0;
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 0, ram, VMSIX_VFIO_DMA_READ), -EINVAL);
    assert_int_equal(vmsix_vfio_dma_map(t->d, UINT64_MAX - 4095, 8192, ram, VMSIX_VFIO_DMA_READ),
                     -EINVAL);
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 4096, ram, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 4096, ram, 4), -EINVAL);
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 4096, NULL, VMSIX_VFIO_DMA_READ), -EINVAL);
    assert_int_equal(vmsix_vfio_dma_unmap(t->d, 0, 0), -EINVAL);
    assert_int_equal(vmsix_vfio_dma_map(NULL, 0, 4096, ram, VMSIX_VFIO_DMA_READ), -EINVAL);
    assert_int_equal(t->fk.nrec, 0);
    /* the kernel's error is passed on and logged */
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 4096, ram, VMSIX_VFIO_DMA_READ), FK_FAIL_RC);
    assert_true(log_record_has(&t->log, "VFIO_IOMMU_MAP_DMA iova 0x0 size 0x1000 failed (-18)"));
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    /* an attached device without a container */
    attach(t, -1);
    assert_int_equal(vmsix_vfio_dma_map(t->d, 0, 4096, ram, VMSIX_VFIO_DMA_READ), -EBADF);
    assert_int_equal(vmsix_vfio_dma_unmap(t->d, 0, 4096), -EBADF);
}

static void test_reset(void **state)
{
    struct t *t = *state;
    static const char *const want[] = {"VFIO_DEVICE_RESET", NULL};

    attach(t, -1);
    assert_int_equal(vmsix_vfio_dev_reset(t->d), 0);
    assert_true(fk_expect(&t->fk, 0, want));
    assert_int_equal(t->fk.resets, 1);
    t->fk.fail_at = t->fk.seq + 1;
    assert_int_equal(vmsix_vfio_dev_reset(t->d), FK_FAIL_RC);
    /* a device without FLR */
    t->fk.dev_flags = VFIO_DEVICE_FLAGS_PCI;
    assert_int_equal(vmsix_vfio_dev_close(t->d), 0);
    attach(t, -1);
    assert_int_equal(vmsix_vfio_dev_reset(t->d), -ENOTSUP);
    assert_int_equal(t->fk.nrec, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_sequence),
        T(test_type1_only),
        T(test_not_viable),
        T(test_group_missing_or_busy),
        T(test_bad_bdf),
        T(test_open_each_call_failing),
        T(test_shared_container),
        T(test_attach),
        T(test_cfg_access),
        T(test_region_access),
        T(test_dma),
        T(test_reset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
