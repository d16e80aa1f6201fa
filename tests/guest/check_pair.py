#!/usr/bin/env python3
"""Boots two test guests joined by a QEMU socket netdev (an L2 link carried
over a 127.0.0.1 TCP connection) and checks the network workloads across them:
  guest a (10.99.0.2): tier db 7001, netrecv 5001
  guest b (10.99.0.3): tier app 7002 10.99.0.2 7001, tier web 127.0.0.1 7002,
                       netsend 10.99.0.2 5001 RATE
Midway it pauses guest a for --pause seconds (QMP stop/cont, like a
migration's downtime) and checks that web, netsend and the heartbeats recover.

usage: tests/guest/check_pair.py [--image build/guest] [--seconds 40]
           [--pause 3] [--rate-mbps 4]
Exit status 0 when every check passes."""
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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def qmp(path, *cmds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    out = []
    for c in ({"execute": "qmp_capabilities"},) + cmds:
        f.write(json.dumps(c) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                out.append(r)
                break
    s.close()
    return out[1:]


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", default=os.path.join(ROOT, "build", "guest"))
    p.add_argument("--seconds", type=int, default=40)
    p.add_argument("--pause", type=float, default=3)
    p.add_argument("--rate-mbps", type=float, default=4)
    a = p.parse_args()
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="convoy-pair-")
    guests = {
        "a": ("10.99.0.2", f"listen=127.0.0.1:{port}",
              'convoy.run1="tier db 7001" convoy.run2="netrecv 5001"'),
        "b": ("10.99.0.3", f"connect=127.0.0.1:{port}",
              'convoy.run1="tier app 7002 10.99.0.2 7001" convoy.run2="tier web 127.0.0.1 7002" '
              f'convoy.run3="netsend 10.99.0.2 5001 {a.rate_mbps:g}"'),
    }
    procs = {}
    try:
        for i, (name, (ip, sock, runs)) in enumerate(guests.items()):
            procs[name] = subprocess.Popen([
                "qemu-system-x86_64", "-machine", "q35,accel=tcg", "-m", "128",
                "-display", "none", "-no-reboot",
                "-serial", f"file:{tmp}/{name}.log", "-qmp", f"unix:{tmp}/{name}.qmp,server,nowait",
                "-kernel", f"{a.image}/vmlinuz", "-initrd", f"{a.image}/initramfs.img",
                "-append", f"console=ttyS0 quiet convoy.name={name} convoy.ip={ip}/24 {runs}",
                "-netdev", f"socket,id=n0,{sock}",
                "-device", f"virtio-net-pci,netdev=n0,mac=52:54:00:00:99:0{i + 2}",
            ], stdin=subprocess.DEVNULL)
            time.sleep(0.5)  # the listener first
        t0 = time.time()
        while "convoy-alive b 1" not in read(f"{tmp}/b.log") or "convoy-alive a 1" not in read(f"{tmp}/a.log"):
            if time.time() - t0 > 90:
                raise TimeoutError("guests did not boot")
            time.sleep(0.5)
        print(f"both guests up after {time.time() - t0:.1f}s", flush=True)
        half = a.seconds / 2
        time.sleep(half)
        mark_b = len(read(f"{tmp}/b.log"))
        if a.pause > 0:
            qmp(f"{tmp}/a.qmp", {"execute": "stop"})
            time.sleep(a.pause)
            qmp(f"{tmp}/a.qmp", {"execute": "cont"})
            print(f"paused guest a for {a.pause}s", flush=True)
        time.sleep(half)
    finally:
        for pr in procs.values():
            pr.kill()
            pr.wait()

    la, lb = read(f"{tmp}/a.log"), read(f"{tmp}/b.log")
    lat = [tuple(map(float, m)) for m in re.findall(
        r"tier latency_ms avg=([\d.]+) max=([\d.]+) n=(\d+) errors=(\d+)", lb)]
    after = [tuple(map(float, m)) for m in re.findall(
        r"tier latency_ms avg=([\d.]+) max=([\d.]+) n=(\d+) errors=(\d+)", lb[mark_b:])]
    sent = [int(x) for x in re.findall(r"netsend bytes_per_s=(\d+)", lb)]
    recv = [int(x) for x in re.findall(r"netrecv bytes_per_s=(\d+)", la)]
    beats = {n: [int(x) for x in re.findall(rf"convoy-alive {n} (\d+)", log)]
             for n, log in (("a", la), ("b", lb))}
    ok_lines = [x for x in lat if x[2] > 0]
    summary = {
        "latency_lines": len(lat),
        "latency_avg_ms_median": sorted(x[0] for x in ok_lines)[len(ok_lines) // 2] if ok_lines else None,
        "latency_max_ms": max((x[1] for x in lat), default=None),
        "replies": int(sum(x[2] for x in lat)),
        "errors": int(sum(x[3] for x in lat)),
        "replies_after_pause": int(sum(x[2] for x in after[-5:])),
        "netsend_Bps_median": sorted(sent)[len(sent) // 2] if sent else None,
        "netrecv_Bps_median": sorted(recv)[len(recv) // 2] if recv else None,
        "heartbeats": {n: (b[0], b[-1], b == list(range(1, len(b) + 1))) for n, b in beats.items() if b},
        "logs": tmp,
    }
    print(json.dumps(summary), flush=True)
    checks = [
        summary["replies"] > 0,
        summary["replies_after_pause"] >= 20,  # back to ~10/s by the end
        bool(recv) and max(recv) > 0,
        all(v[2] for v in summary["heartbeats"].values()) and len(summary["heartbeats"]) == 2,
    ]
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
