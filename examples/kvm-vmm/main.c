/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - vmsix-kvm-vmm: options, the setup order, the end of the run.
 *
 * Setup: the VM (RAM, irqchip, PIT), the kernel and initrd with the boot
 * parameters, the MP table, the devices (COM1, RTC, PCI bus 0 with the
 * host bridge and the e2e function at 00:01.0), the vCPUs. Then one thread
 * per vCPU runs the guest while the main thread is the watchdog.
 *
 * The run ends, first come first served, when the guest writes its verdict
 * to E2E_REG_EXIT, when its console prints a line starting "VMSIX-E2E:"
 * (after a printk timestamp, if any) with "result=PASS" or "result=FAIL",
 * when it shuts down or resets (KVM_EXIT_SHUTDOWN: reboot=t, panic=-1),
 * when KVM fails, when the watchdog expires, or on SIGINT/SIGTERM. The
 * last stdout line says how:
 *   vmm: mode=vmsix iommu=vtd verdict=PASS exit=0 time=9.8s reason=<...> guest-line=<...>
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "e2edev.h"
#include "mptable.h"
#include "pci.h"
#include "rtc.h"
#include "serial.h"
#include "vmm.h"
#ifdef VMM_HAVE_VFIO
#include "vfiodev.h"
#endif

#define DEFAULT_CMDLINE "console=ttyS0 earlyprintk=serial acpi=off pci=conf1 reboot=t panic=-1"
#define DEFAULT_MEM_MIB 256u
#define DEFAULT_CPUS 2u
#define DEFAULT_TIMEOUT 120u
#define E2E_DEVFN PCI_DEVFN(1, 0) /* 00:01.0 */
#define VERDICT_PREFIX "VMSIX-E2E:"
#define STOP_GRACE_MS 2000 /* how long the vCPU threads get to stop */

struct options {
    const char *kernel, *initrd, *cmdline, *append;
    const char *vfio; /* --vfio: the PCI address of the function to pass through */
    unsigned long mem_mib, cpus, timeout;
    bool use_vmsix, quiet, verbose, iommu_set;
    enum irq_iommu iommu;
};

static volatile sig_atomic_t got_signal;

void vmm_log(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "vmm: %s\n", buf);
}

void vmm_dev_vlog(unsigned *logged, bool verbose, const char *who, const char *fmt, va_list ap)
{
    char buf[512];

    if (!verbose && *logged >= VMM_DEV_LOG_LIMIT)
        return;
    if (!verbose && ++*logged == VMM_DEV_LOG_LIMIT) {
        vmm_log("%s: further device messages suppressed (use --verbose)", who);
        return;
    }
    vsnprintf(buf, sizeof(buf), fmt, ap);
    vmm_log("%s: %s", who, buf);
}

/* ---- the end of the run ---- */

void vm_end(struct vm *vm, int code, const char *verdict, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&vm->end_lock);
    if (!atomic_load(&vm->ended)) {
        vm->exit_code = code;
        vm->verdict = verdict;
        va_start(ap, fmt);
        vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
        va_end(ap);
        atomic_store(&vm->ended, true);
        pthread_cond_broadcast(&vm->end_cond);
    }
    pthread_mutex_unlock(&vm->end_lock);
    vcpu_kick_all(vm);
}

bool vm_ended(struct vm *vm)
{
    return atomic_load(&vm->ended);
}

/* A kernel message's timestamp, "[   12.345678] ", is skipped: the verdict
 * line may come from printk. */
static const char *skip_timestamp(const char *line)
{
    const char *end;

    if (line[0] != '[')
        return line;
    end = strchr(line, ']');
    if (!end || end - line > 20 || end[1] != ' ')
        return line;
    for (const char *p = line + 1; p < end; p++)
        if (*p != ' ' && *p != '.' && (*p < '0' || *p > '9'))
            return line;
    return end + 2;
}

void vm_console_line(struct vm *vm, const char *line)
{
    size_t len;

    line = skip_timestamp(line);
    if (strncmp(line, VERDICT_PREFIX, strlen(VERDICT_PREFIX)) != 0)
        return;
    len = strlen(line);
    if (len >= sizeof(vm->guest_line))
        len = sizeof(vm->guest_line) - 1;
    pthread_mutex_lock(&vm->end_lock);
    memcpy(vm->guest_line, line, len);
    vm->guest_line[len] = '\0';
    pthread_mutex_unlock(&vm->end_lock);
    if (strstr(line, "result=PASS"))
        vm_end(vm, VMM_EXIT_PASS, "PASS", "the guest's console printed result=PASS");
    else if (strstr(line, "result=FAIL"))
        vm_end(vm, VMM_EXIT_FAIL, "FAIL", "the guest's console printed result=FAIL");
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The main thread: wait for the end, as the watchdog. */
static void watch(struct vm *vm, unsigned long timeout, double start)
{
    struct timespec ts;

    pthread_mutex_lock(&vm->end_lock);
    while (!atomic_load(&vm->ended)) {
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&vm->end_cond, &vm->end_lock, &ts);
        if (atomic_load(&vm->ended))
            break;
        if (got_signal) {
            pthread_mutex_unlock(&vm->end_lock);
            vm_end(vm, VMM_EXIT_SIGNAL, "NONE", "stopped by signal %d", (int)got_signal);
            pthread_mutex_lock(&vm->end_lock);
        } else if (timeout && now_s() - start >= (double)timeout) {
            pthread_mutex_unlock(&vm->end_lock);
            vmm_log("watchdog: no verdict after %lu s: stopping the guest", timeout);
            vm_end(vm, VMM_EXIT_TIMEOUT, "TIMEOUT", "watchdog: no verdict after %lu s", timeout);
            pthread_mutex_lock(&vm->end_lock);
        }
    }
    /* give the vCPU threads a moment to leave KVM_RUN; never wait forever */
    deadline_in(&ts, STOP_GRACE_MS);
    while (vm->running > 0) {
        if (pthread_cond_timedwait(&vm->end_cond, &vm->end_lock, &ts) == ETIMEDOUT) {
            vmm_log("%u vCPU thread(s) did not stop", vm->running);
            break;
        }
    }
    pthread_mutex_unlock(&vm->end_lock);
}

/* ---- options ---- */

static const char *iommu_name(enum irq_iommu i)
{
    return i == IRQ_IOMMU_AMDVI ? "amdvi" : "vtd";
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vmsix-kvm-vmm --kernel BZIMAGE [options]\n"
            "\n"
            "A minimal KVM VMM that boots a Linux guest with one emulated PCI function,\n"
            "the vmsix end-to-end test function (7e57:0001 at 00:01.0), shown to the guest\n"
            "as MSI-X through vmsix (or as plain MSI), and reports the guest's verdict.\n"
            "\n"
            "  -k, --kernel FILE    guest kernel, a bzImage (required)\n"
            "  -i, --initrd FILE    initramfs\n"
            "  -c, --cmdline STR    kernel command line, replacing the default:\n"
            "                       \"" DEFAULT_CMDLINE "\"\n"
            "  -a, --append STR     add STR to the kernel command line\n"
            "  -m, --mem MIB        guest RAM in MiB (default %u; 128..65536)\n"
            "  -s, --cpus N         vCPUs (default %u; 1..%u)\n"
            "      --mode MODE      vmsix (default): MSI-X emulated by vmsix on the\n"
            "                       function's multi-message MSI; msi: the plain MSI\n"
            "                       function (the control run)\n"
            "      --no-vmsix       same as --mode=msi\n"
            "      --iommu UNIT     the remapping unit vmsix programs (mode vmsix): vtd\n"
            "                       (default, Intel VT-d) or amdvi (AMD-Vi)\n"
            "      --vfio BDF       instead of the test function, pass the real PCI function\n"
            "                       BDF (DDDD:BB:DD.F, bound to vfio-pci) through at 00:01.0:\n"
            "                       MSI-X through vmsix over the host's own MSI vectors\n"
            "                       (libvmsix-vfio), or with --mode=msi its MSI plainly\n"
            "  -t, --timeout SEC    watchdog: stop a guest without a verdict after SEC\n"
            "                       seconds (default %u; 0 = never)\n"
            "  -q, --quiet          do not copy the guest console to stdout\n"
            "  -v, --verbose        log VMM and device events on stderr\n"
            "  -h, --help           this text\n"
            "\n"
            "The run ends when the guest writes E2E_EXIT_PASS/FAIL to the function's\n"
            "EXIT register, or one byte, 0 (PASS) or 1 (FAIL), to I/O port 0x%x (a\n"
            "passed-through device has no EXIT register); when its console prints a line\n"
            "starting \"" VERDICT_PREFIX "\" (after a printk timestamp, if any) with\n"
            "\"result=PASS\" or \"result=FAIL\";\n"
            "when it shuts down or resets (reboot=t: a triple fault); or when the\n"
            "watchdog expires. The last line on stdout is\n"
            "  vmm: mode=M iommu=U verdict=V exit=N time=T reason=<...> guest-line=<...>\n"
            "(with --vfio: iommu=host vfio=BDF, and the interrupt counters vmm_*= after time=)\n"
            "\n"
            "Exit status:\n"
            "  0  the guest's verdict is PASS\n"
            "  1  the guest's verdict is FAIL\n"
            "  2  usage error, or setup failed (files, /dev/kvm, KVM capabilities)\n"
            "  3  the watchdog stopped a guest that gave no verdict\n"
            "  4  the guest shut down or reset without a verdict\n"
            "  5  KVM or the VMM failed while running the guest\n"
            "  6  stopped by SIGINT or SIGTERM\n",
            DEFAULT_MEM_MIB, DEFAULT_CPUS, VMM_MAX_CPUS, DEFAULT_TIMEOUT, E2E_EXIT_PORT);
}

static bool parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi || *s == '-')
        return false;
    *out = v;
    return true;
}

/* Returns 0, 1 for --help, or -1 for a usage error (message printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"kernel", required_argument, NULL, 'k'},
        {"initrd", required_argument, NULL, 'i'},
        {"cmdline", required_argument, NULL, 'c'},
        {"append", required_argument, NULL, 'a'},
        {"mem", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, 's'},
        {"mode", required_argument, NULL, 'M'},
        {"no-vmsix", no_argument, NULL, 'N'},
        {"iommu", required_argument, NULL, 'I'}, /* vtd or amdvi */
        {"vfio", required_argument, NULL, 'V'},  /* DDDD:BB:DD.F */
        {"timeout", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    memset(o, 0, sizeof(*o));
    o->cmdline = DEFAULT_CMDLINE;
    o->mem_mib = DEFAULT_MEM_MIB;
    o->cpus = DEFAULT_CPUS;
    o->timeout = DEFAULT_TIMEOUT;
    o->use_vmsix = true;
    while ((ch = getopt_long(argc, argv, "k:i:c:a:m:s:t:qvh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            o->kernel = optarg;
            break;
        case 'i':
            o->initrd = optarg;
            break;
        case 'c':
            o->cmdline = optarg;
            break;
        case 'a':
            o->append = optarg;
            break;
        case 'm':
            if (!parse_ulong(optarg, 128, 65536, &o->mem_mib)) {
                fprintf(stderr, "vmm: --mem: a number of MiB in 128..65536\n");
                return -1;
            }
            break;
        case 's':
            if (!parse_ulong(optarg, 1, VMM_MAX_CPUS, &o->cpus)) {
                fprintf(stderr, "vmm: --cpus: 1..%u\n", VMM_MAX_CPUS);
                return -1;
            }
            break;
        case 'M':
            if (strcmp(optarg, "vmsix") == 0) {
                o->use_vmsix = true;
            } else if (strcmp(optarg, "msi") == 0) {
                o->use_vmsix = false;
            } else {
                fprintf(stderr, "vmm: --mode: vmsix or msi\n");
                return -1;
            }
            break;
        case 'N':
            o->use_vmsix = false;
            break;
        case 'I':
            if (strcmp(optarg, "vtd") == 0) {
                o->iommu = IRQ_IOMMU_VTD;
            } else if (strcmp(optarg, "amdvi") == 0) {
                o->iommu = IRQ_IOMMU_AMDVI;
            } else {
                fprintf(stderr, "vmm: --iommu: vtd or amdvi\n");
                return -1;
            }
            o->iommu_set = true;
            break;
        case 'V':
            o->vfio = optarg;
            break;
        case 't':
            if (!parse_ulong(optarg, 0, 86400, &o->timeout)) {
                fprintf(stderr, "vmm: --timeout: seconds, 0..86400\n");
                return -1;
            }
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vmm: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->kernel) {
        fprintf(stderr, "vmm: --kernel is required (try --help)\n");
        return -1;
    }
    if (o->vfio && o->iommu_set) {
        fprintf(stderr, "vmm: --iommu is the simulated function's unit; with --vfio the host's "
                        "IOMMU remaps\n");
        return -1;
    }
#ifndef VMM_HAVE_VFIO
    if (o->vfio) {
        fprintf(stderr, "vmm: --vfio: built without libvmsix-vfio (<linux/vfio.h> missing)\n");
        return -1;
    }
#endif
    return 0;
}

/* ---- setup ---- */

static int setup(struct vm *vm, const struct options *o)
{
    struct boot_entry entry;
    char *cmdline;
    size_t len = strlen(o->cmdline) + (o->append ? strlen(o->append) + 1 : 0) + 1;
    int rc;

    cmdline = malloc(len);
    if (!cmdline)
        return -1;
    snprintf(cmdline, len, "%s%s%s", o->cmdline, o->append ? " " : "", o->append ? o->append : "");

    vm->verbose = o->verbose;
    rc = vm_create(vm, o->mem_mib, (unsigned)o->cpus);
    if (!rc)
        rc = boot_load(vm, o->kernel, o->initrd, cmdline, &entry);
    free(cmdline);
    if (!rc)
        rc = mptable_write(vm);
    if (rc)
        return -1;
    vm->uart = serial_create(vm, o->quiet ? -1 : STDOUT_FILENO);
    vm->rtc = rtc_create();
    vm->pci = pci_create();
    if (!vm->uart || !vm->rtc || !vm->pci) {
        vmm_log("out of memory");
        return -1;
    }
#ifdef VMM_HAVE_VFIO
    if (o->vfio) {
        vm->vfio = vfiodev_create(vm, vm->pci, E2E_DEVFN, o->vfio, o->use_vmsix);
        if (!vm->vfio)
            return -1;
    } else
#endif
    {
        vm->e2e = e2edev_create(vm, vm->pci, E2E_DEVFN, o->use_vmsix, o->iommu);
        if (!vm->e2e)
            return -1;
    }
    if (vcpu_create_all(vm) || vcpu_set_boot_regs(&vm->cpu[0], entry.eip, entry.boot_params))
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct vm vm;
    pthread_condattr_t ca;
    struct sigaction sa;
    struct options o;
    char counters[768] = "";
    double start, end;
    int rc = parse_options(argc, argv, &o);

    if (rc)
        return rc > 0 ? 0 : VMM_EXIT_USAGE;

    pthread_mutex_init(&vm.end_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm.end_cond, &ca);
    atomic_init(&vm.ended, false);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not kill the run */

    if (setup(&vm, &o)) {
        vmm_log("setup failed");
        return VMM_EXIT_USAGE;
    }
    if (o.verbose)
        vmm_log("booting %s on %lu vCPUs, %lu MiB, mode %s, %s %s", o.kernel, o.cpus, o.mem_mib,
                o.use_vmsix ? "vmsix" : "msi", o.vfio ? "vfio" : "iommu",
                o.vfio ? o.vfio : iommu_name(o.iommu));
    start = now_s();
    if (vcpu_start_all(&vm))
        vm_end(&vm, VMM_EXIT_ERROR, "ERROR", "cannot start the vCPU threads");
    watch(&vm, o.timeout, start);

    if (serial_flush(vm.uart) && !o.quiet)
        fputc('\n', stdout);
    end = now_s();
    if (vm.e2e) {
        char stats[1024];

        e2edev_report(vm.e2e, stats, sizeof(stats));
        printf("vmm: device: %s\n", stats);
    }
#ifdef VMM_HAVE_VFIO
    if (vm.vfio) {
        char stats[1024];
        bool stopped;

        vfiodev_report(vm.vfio, stats, sizeof(stats));
        printf("vmm: device: %s\n", stats);
        vfiodev_counters(vm.vfio, counters + 1, sizeof(counters) - 1);
        counters[0] = ' ';
        pthread_mutex_lock(&vm.end_lock);
        stopped = vm.running == 0;
        pthread_mutex_unlock(&vm.end_lock);
        /* a vCPU still running could reach the function meanwhile: then
         * _exit() leaves the teardown to the kernel */
        if (stopped)
            (void)vfiodev_destroy(vm.vfio);
    }
#endif
    pthread_mutex_lock(&vm.end_lock);
    printf("vmm: mode=%s iommu=%s%s%s verdict=%s exit=%d time=%.1fs%s reason=<%s> "
           "guest-line=<%s>\n",
           o.use_vmsix ? "vmsix" : "msi", o.vfio ? "host" : iommu_name(o.iommu),
           o.vfio ? " vfio=" : "", o.vfio ? o.vfio : "", vm.verdict, vm.exit_code, end - start,
           counters, vm.reason, vm.guest_line[0] ? vm.guest_line : "-");
    rc = vm.exit_code;
    pthread_mutex_unlock(&vm.end_lock);
    fflush(stdout);
    /* exit_group: vCPU threads that did not stop are taken down with us */
    _exit(rc);
}
