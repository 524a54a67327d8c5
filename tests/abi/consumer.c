/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal consumer of libvmsix, built against an installed copy
 * (tests/abi/install.py) or a Meson subproject (tests/abi/subproject.py).
 * It uses public headers only and prints what it found, which the scripts
 * compare with the expected text.
 */
#include <stdio.h>
#include <string.h>

#include <vmsix/vmsix.h>

int main(void)
{
    static uint8_t cfg[256];
    static struct vmsix_capchain chain;
    const char *v = vmsix_version();
    int rc;

    cfg[0x00] = 0x86; /* vendor 0x8086, device 0x1234, header type 0 */
    cfg[0x01] = 0x80;
    cfg[0x02] = 0x34;
    cfg[0x03] = 0x12;
    cfg[0x06] = 0x10;             /* Status: capabilities list */
    cfg[0x34] = 0x40;             /* capabilities pointer */
    cfg[0x40] = VMSIX_CAP_ID_MSI; /* MSI, next 0, 32-bit address, no masking */

    rc = vmsix_capchain_parse(cfg, sizeof cfg, &chain);
    printf("version=%s header=%s\n", v, VMSIX_VERSION_STRING);
    printf("parse=%d n=%u", rc, chain.n);
    if (rc == 0 && chain.n > 0)
        printf(" id=0x%02x off=0x%02x len=%u", (unsigned)chain.cap[0].id,
               (unsigned)chain.cap[0].off, (unsigned)chain.cap[0].len);
    printf("\n");
    return rc == 0 && strcmp(v, VMSIX_VERSION_STRING) == 0 ? 0 : 1;
}
