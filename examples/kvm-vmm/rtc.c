/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtc.c - the MC146818 CMOS clock as far as Linux reads it at boot: port
 * 0x70 selects a register (bit 7 is the NMI mask), 0x71 reads or writes
 * it. Time registers read the host's UTC time, in BCD unless register B's
 * DM bit asks for binary; register A never shows an update in progress,
 * register D says the battery is good. Other CMOS bytes are plain storage.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "rtc.h"

#define RTC_INDEX 0x70u
#define RTC_DATA 0x71u

#define REG_SEC 0x00u
#define REG_MIN 0x02u
#define REG_HOUR 0x04u
#define REG_WDAY 0x06u
#define REG_MDAY 0x07u
#define REG_MON 0x08u
#define REG_YEAR 0x09u
#define REG_A 0x0au
#define REG_B 0x0bu
#define REG_C 0x0cu
#define REG_D 0x0du
#define REG_CENTURY 0x32u

#define B_DM_BINARY 0x04u
#define B_24H 0x02u

struct rtc {
    pthread_mutex_t lock;
    uint8_t index;
    uint8_t cmos[128];
};

struct rtc *rtc_create(void)
{
    struct rtc *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->cmos[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate, no UIP */
    r->cmos[REG_B] = B_24H;
    r->cmos[REG_D] = 0x80; /* valid RAM and time */
    return r;
}

static uint8_t encode(const struct rtc *r, int v)
{
    if (r->cmos[REG_B] & B_DM_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t read_reg(struct rtc *r, uint8_t reg)
{
    time_t now = time(NULL);
    struct tm tm;

    if (reg > REG_YEAR && reg != REG_CENTURY)
        return reg == REG_C ? 0 : r->cmos[reg];
    gmtime_r(&now, &tm);
    switch (reg) {
    case REG_SEC:
        return encode(r, tm.tm_sec);
    case REG_MIN:
        return encode(r, tm.tm_min);
    case REG_HOUR:
        return encode(r, tm.tm_hour);
    case REG_WDAY:
        return encode(r, tm.tm_wday + 1);
    case REG_MDAY:
        return encode(r, tm.tm_mday);
    case REG_MON:
        return encode(r, tm.tm_mon + 1);
    case REG_YEAR:
        return encode(r, tm.tm_year % 100);
    case REG_CENTURY:
        return encode(r, 19 + tm.tm_year / 100);
    default: /* alarm registers */
        return r->cmos[reg];
    }
}

bool rtc_io(struct rtc *r, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
    if (port != RTC_INDEX && port != RTC_DATA)
        return false;
    if (size != 1) {
        if (!is_write)
            for (unsigned i = 0; i < size; i++)
                data[i] = 0xff;
        return true;
    }
    pthread_mutex_lock(&r->lock);
    if (port == RTC_INDEX) {
        if (is_write)
            r->index = data[0] & 0x7fu;
        else
            data[0] = 0xff; /* the index register is write-only */
    } else if (is_write) {
        if (r->index == REG_B)
            r->cmos[REG_B] = data[0] & 0x7eu; /* SET and DSE ignored; no interrupt is
                                                  ever raised */
        else if (r->index > REG_D)
            r->cmos[r->index] = data[0];
    } else {
        data[0] = read_reg(r, r->index);
    }
    pthread_mutex_unlock(&r->lock);
    return true;
}
