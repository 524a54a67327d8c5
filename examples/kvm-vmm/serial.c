/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serial.c - a 16550A UART, transmit side only.
 *
 * Transmission is instant: a byte written to THR goes to the output at
 * once, so THR and the shift register are always empty (LSR THRE | TEMT)
 * and the FIFO never fills. Nothing is ever received (LSR DR = 0); the
 * modem lines say a carrier is present. Interrupts (IRQ 4 through the
 * in-kernel IOAPIC, KVM_IRQ_LINE) follow the 16550: the THR-empty
 * interrupt is raised when THR empties or when it is enabled in IER, and
 * is cleared by reading IIR (when IIR reports it) or writing THR; the IRQ
 * line is high while IIR has an interrupt to report. Linux's driver probes
 * a 16550A (IIR bits 7:6 follow FCR bit 0; EFR, seen with LCR = 0xBF,
 * reads 0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "serial.h"

/* registers (offset from the base) */
#define UART_RBR_THR 0 /* DLAB = 0 */
#define UART_IER 1     /* DLAB = 0 */
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_THRI 0x02u
#define IER_MSI 0x08u
#define IIR_NO_INT 0x01u
#define IIR_THRI 0x02u
#define IIR_MSI 0x00u
#define IIR_FIFO 0xc0u
#define LCR_DLAB 0x80u
#define LCR_CONF_B 0xbfu /* the 16650's "EFR access" value */
#define MCR_LOOP 0x10u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u
#define MSR_DELTA 0x0fu

#define CONSOLE_LINE_MAX 4096 /* longer lines are cut (the output is not) */

struct serial {
    struct vm *vm;
    pthread_mutex_t lock;
    int out_fd;
    uint8_t ier, lcr, mcr, msr, scr, dll, dlm, fcr;
    bool thri_pending;           /* the THR-empty interrupt is waiting for IIR */
    bool irq_level;              /* what KVM_IRQ_LINE was last told */
    char line[CONSOLE_LINE_MAX]; /* the current line, for vm_console_line() */
    unsigned line_len;
    uint8_t out[1024]; /* output not yet written */
    size_t out_len;
    bool mid_line;
};

struct serial *serial_create(struct vm *vm, int out_fd)
{
    struct serial *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->vm = vm;
    s->out_fd = out_fd;
    s->dll = 12;   /* 9600 baud */
    s->msr = 0xb0; /* DCD, DSR, CTS */
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

/* The modem status lines: in loopback they follow MCR's outputs. */
static uint8_t msr_lines(const struct serial *s)
{
    uint8_t m = s->mcr;

    if (!(s->mcr & MCR_LOOP))
        return s->msr;
    return (uint8_t)((s->msr & MSR_DELTA) | ((m & 0x02) ? 0x10 : 0) | ((m & 0x01) ? 0x20 : 0) |
                     ((m & 0x04) ? 0x40 : 0) | ((m & 0x08) ? 0x80 : 0));
}

/* The interrupt IIR reports now (priority: modem status is lowest, but the
 * receiver interrupts never happen here). */
static uint8_t iir_id(const struct serial *s)
{
    if ((s->ier & IER_THRI) && s->thri_pending)
        return IIR_THRI;
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTA))
        return IIR_MSI;
    return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
    bool level = iir_id(s) != IIR_NO_INT;
    struct kvm_irq_level irq;

    if (level == s->irq_level)
        return;
    s->irq_level = level;
    irq.irq = COM1_IRQ;
    irq.level = level;
    if (ioctl(s->vm->fd, KVM_IRQ_LINE, &irq) < 0)
        vmm_log("KVM_IRQ_LINE %u: %s", COM1_IRQ, strerror(errno));
}

/* Write out what the guest printed so far. */
static void flush_out(struct serial *s)
{
    size_t done = 0;

    while (s->out_fd >= 0 && done < s->out_len) {
        ssize_t n = write(s->out_fd, s->out + done, s->out_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* output gone: drop it, the guest keeps running */
        done += (size_t)n;
    }
    s->out_len = 0;
}

/* One byte from the guest: output is written a line at a time (one
 * write() per line, not per byte: each byte already cost an exit). */
static void emit_char(struct serial *s, uint8_t c)
{
    s->out[s->out_len++] = c;
    if (c == '\n' || s->out_len == sizeof(s->out))
        flush_out(s);
    s->mid_line = c != '\n';
    if (c == '\n') {
        s->line[s->line_len] = '\0';
        vm_console_line(s->vm, s->line);
        s->line_len = 0;
    } else if (c != '\r' && s->line_len < CONSOLE_LINE_MAX - 1) {
        s->line[s->line_len++] = (char)c;
    }
}

static uint8_t reg_read(struct serial *s, unsigned reg)
{
    uint8_t v;

    switch (reg) {
    case UART_RBR_THR:
        return (s->lcr & LCR_DLAB) ? s->dll : 0; /* nothing received */
    case UART_IER:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case UART_IIR_FCR:
        if (s->lcr == LCR_CONF_B)
            return 0; /* EFR: no 16650 extensions */
        v = iir_id(s);
        if (v == IIR_THRI)
            s->thri_pending = false; /* reading IIR clears THRE */
        return (uint8_t)(v | ((s->fcr & 1u) ? IIR_FIFO : 0));
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        return LSR_THRE | LSR_TEMT;
    case UART_MSR:
        v = msr_lines(s);
        s->msr &= (uint8_t)~MSR_DELTA;
        return v;
    default:
        return s->scr;
    }
}

static void reg_write(struct serial *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
        } else {
            if (!(s->mcr & MCR_LOOP))
                emit_char(s, v);
            s->thri_pending = true; /* sent at once: THR is empty again */
        }
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
        } else {
            /* enabling the THR-empty interrupt with THR empty raises it */
            if ((v & IER_THRI) && !(s->ier & IER_THRI))
                s->thri_pending = true;
            s->ier = v & 0x0f;
        }
        break;
    case UART_IIR_FCR:
        if (s->lcr != LCR_CONF_B)
            s->fcr = v & 0xc9u; /* enable, DMA mode, trigger level; resets are instant */
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        break;
    case UART_SCR:
        s->scr = v;
        break;
    default: /* LSR, MSR: read-only */
        break;
    }
}

bool serial_io(struct serial *s, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
    if (port < COM1_BASE || port >= COM1_BASE + 8)
        return false;
    pthread_mutex_lock(&s->lock);
    /* byte registers: a wider access touches consecutive ones */
    for (unsigned i = 0; i < size && port + i < COM1_BASE + 8; i++) {
        unsigned reg = port + i - COM1_BASE;
        if (is_write)
            reg_write(s, reg, data[i]);
        else
            data[i] = reg_read(s, reg);
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return true;
}

bool serial_flush(struct serial *s)
{
    bool mid;

    pthread_mutex_lock(&s->lock);
    flush_out(s);
    mid = s->mid_line;
    pthread_mutex_unlock(&s->lock);
    return mid;
}
