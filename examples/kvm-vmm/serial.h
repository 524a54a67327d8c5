/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serial.h - an 8250/16550A UART: the guest's console (COM1, 0x3f8, IRQ 4).
 */
#ifndef KVM_VMM_SERIAL_H
#define KVM_VMM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

#define COM1_BASE 0x3f8u
#define COM1_IRQ 4u

/* Make COM1. Output goes to @out_fd (-1: discarded), a line at a time;
 * each complete line is also given to vm_console_line(). Returns NULL on
 * allocation failure. */
struct serial *serial_create(struct vm *vm, int out_fd);

/* A port access; false when @port is not the UART's. @data holds @size
 * bytes (little-endian), filled on reads. */
bool serial_io(struct serial *s, uint16_t port, uint8_t *data, unsigned size, bool is_write);

/* Write out buffered output (a last line without its newline); true when
 * the last byte the guest wrote was not a newline. */
bool serial_flush(struct serial *s);

#endif
