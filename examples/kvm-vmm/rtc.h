/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtc.h - a CMOS real-time clock (ports 0x70/0x71) that reads the host's
 * UTC time. No alarms, no periodic interrupt, the time cannot be set.
 */
#ifndef KVM_VMM_RTC_H
#define KVM_VMM_RTC_H

#include <stdbool.h>
#include <stdint.h>

struct rtc *rtc_create(void);

/* A port access; false when @port is not the RTC's. */
bool rtc_io(struct rtc *r, uint16_t port, uint8_t *data, unsigned size, bool is_write);

#endif
