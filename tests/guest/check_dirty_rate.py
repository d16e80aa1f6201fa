#!/usr/bin/env python3
"""Boots the test guest under QEMU/TCG with `dirtier RATE WSS` and compares
QEMU's own dirty-rate measurement (QMP calc-dirty-rate) with the set rate.

usage: tests/guest/check_dirty_rate.py [--image build/guest] [--mem 256]
           [--wss 64] [--calc-time 2] [--repeat 3] [--tolerance 0.25] RATE...
Exit status 0 when the mean of the 4096-samples/GiB measurements is within
the tolerance of every RATE (QEMU reports whole MB/s, truncated).
Talks only to a local unix socket; the guest gets a user-mode NIC with no
traffic. Needs qemu-system-x86 and a built image (scripts/build-guest)."""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Qmp:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error']}")
            return r["return"]


def wait_for(logpath, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(logpath):
            with open(logpath, errors="replace") as f:
                m = re.search(pattern, f.read())
            if m:
                return m
        time.sleep(0.2)
    raise TimeoutError(f"no {pattern!r} in {logpath} after {timeout}s")


def measure(qmp, calc_time, sample_pages):
    # page-sampling (QEMU's default mode): hashes sample_pages pages per GiB
    # of guest RAM before and after calc_time seconds. mode=dirty-bitmap is not
    # used: QEMU 7.2 (Debian 12) segfaults on it under TCG.
    args = {"calc-time": calc_time, "sample-pages": sample_pages}
    qmp.cmd("calc-dirty-rate", **args)
    time.sleep(calc_time)
    while True:
        r = qmp.cmd("query-dirty-rate")
        if r.get("status") == "measured":
            return r["dirty-rate"]
        time.sleep(0.2)


def run_rate(a, rate, tmp):
    log = os.path.join(tmp, f"serial-{rate}.log")
    qmp_path = os.path.join(tmp, f"qmp-{rate}.sock")
    img = a.image
    cmd = [
        "qemu-system-x86_64", "-machine", "q35,accel=tcg", "-m", str(a.mem),
        "-display", "none", "-no-reboot", "-serial", f"file:{log}",
        "-kernel", f"{img}/vmlinuz", "-initrd", f"{img}/initramfs.img",
        "-append", f'console=ttyS0 quiet convoy.name=dr convoy.ip=10.99.0.2/24 '
                   f'convoy.run="dirtier {rate} {a.wss}"',
        "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0",
        "-qmp", f"unix:{qmp_path},server,nowait",
    ]
    t0 = time.time()
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    results = {"rate": rate, "samples512": [], "samples4096": []}
    try:
        wait_for(log, r"convoy-alive dr 1\b", 60)
        results["boot_s"] = round(time.time() - t0, 1)
        wait_for(log, r"dirtier pages=\d+ rate_mibps=", 60)
        time.sleep(2)  # steady state
        qmp = Qmp(qmp_path)
        for _ in range(a.repeat):
            for n in (512, 4096):
                results[f"samples{n}"].append(measure(qmp, a.calc_time, n))
        with open(log, errors="replace") as f:
            got = [float(x) for x in re.findall(r"dirtier pages=\d+ rate_mibps=([\d.]+)", f.read())]
        results["dirtier_mibps"] = round(sum(got[2:]) / max(1, len(got[2:])), 2)
    finally:
        qemu.kill()
        qemu.wait()
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", default=os.path.join(ROOT, "build", "guest"))
    p.add_argument("--mem", type=int, default=256)
    p.add_argument("--wss", type=int, default=64)
    p.add_argument("--calc-time", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tolerance", type=float, default=0.25)
    p.add_argument("rates", type=float, nargs="+")
    a = p.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for rate in a.rates:
            r = run_rate(a, rate if rate != int(rate) else int(rate), tmp)
            m = r["samples4096"]
            r["samples4096_mean"] = round(sum(m) / len(m), 2)
            within = abs(r["samples4096_mean"] - rate) <= a.tolerance * rate
            ok &= within
            r["within_tolerance"] = within
            print(json.dumps(r), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
