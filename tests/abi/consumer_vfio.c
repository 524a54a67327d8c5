/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal consumer of libvmsix-vfio (pkg-config vmsix-vfio, or the Meson
 * subproject's vmsix_vfio_dep), built by tests/abi/install.py and
 * tests/abi/subproject.py where the library is built. It links both
 * libraries (vmsix-vfio Requires vmsix) and prints what it found.
 */
#include <stdio.h>

#include <vmsix/vfio.h>

int main(void)
{
    const struct vmsix_vfio_sys *sys = vmsix_vfio_sys_default();
    const struct vmsix_vfio_route_ops *r = vmsix_vfio_routes_ops();
    int ok = sys && sys->size == sizeof(*sys) && sys->ioctl && r &&
             r->size == sizeof(*r) && vmsix_vfio_msi_storage_size() > 0 &&
             vmsix_vfio_dev_storage_size() > 0;

    printf("version=%s vfio=%s\n", vmsix_version(), ok ? "ok" : "BAD");
    return ok ? 0 : 1;
}
