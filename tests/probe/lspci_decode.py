# SPDX-License-Identifier: BSD-3-Clause
"""Run the real `lspci -D -vvv -F FILE` and split its text per function:
the lines, the capabilities (offset, text, sub-lines), the BAR slots lspci
shows as regions, whether it shows bridge bus numbers, and any <marker>
(chain looped, chain broken, access denied) it printed instead of a
capability. Shared by the probe tests."""
import re
import subprocess

SLOT_RE = re.compile(r'^([0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ')
CAP_RE = re.compile(r'^\tCapabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$')
MARK_RE = re.compile(r'^\tCapabilities: (?:\[[0-9a-f]+(?: v\d+)?\] )?<([^>]+)>')
MSI_RE = re.compile(r'^MSI: Enable[+-] Count=(\d+)/(\d+) Maskable([+-]) 64bit([+-])')
MSIX_RE = re.compile(r'^MSI-X: Enable([+-]) Count=(\d+) Masked([+-])')


class Func:
    def __init__(self, slot):
        self.slot = slot
        self.lines = []
        self.caps = []        # [offset (int), ext (bool), text, [sub-lines]]
        self.regions = set()  # BAR slots lspci shows (both halves of a 64-bit BAR)
        self.bus_line = False
        self.marker = None

    def msi(self):
        """lspci's MSI facts: dict or None (the first MSI capability)."""
        for off, ext, text, _ in self.caps:
            m = MSI_RE.match(text)
            if m and not ext:
                return dict(offset=off, vectors=int(m.group(2)),
                            addr64=m.group(4) == '+', per_vector_mask=m.group(3) == '+')
        return None

    def msix(self):
        for off, ext, text, _ in self.caps:
            m = MSIX_RE.match(text)
            if m and not ext:
                return dict(offset=off, vectors=int(m.group(2)))
        return None


def decode(lspci, path, slot=None):
    """{slot: Func} for every function lspci prints from the dump @path."""
    cmd = [lspci, '-D', '-vvv', '-F', path]
    if slot:
        cmd += ['-s', slot]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    funcs = {}
    cur = None
    for line in out.splitlines():
        m = SLOT_RE.match(line)
        if m:
            cur = funcs[m.group(1)] = Func(m.group(1))
            cur.lines.append(line)
            continue
        if cur is None:
            continue
        cur.lines.append(line)
        mk = MARK_RE.match(line)
        if mk:
            if cur.marker is None:
                cur.marker = mk.group(1)
            continue
        m = CAP_RE.match(line)
        if m:
            off = m.group(1)
            cur.caps.append([int(off, 16), len(off) == 3, m.group(3), []])
            continue
        if line.startswith('\t\t') and cur.caps:
            cur.caps[-1][3].append(line)
            continue
        m = re.match(r'^\tRegion (\d):', line)
        if m:
            i = int(m.group(1))
            cur.regions.add(i)
            if '(64-bit' in line:
                cur.regions.add(i + 1)
        if line.startswith('\tBus: primary='):
            cur.bus_line = True
    return funcs
