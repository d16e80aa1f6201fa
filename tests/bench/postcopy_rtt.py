#!/usr/bin/env python3
"""The round trip of a post-copy page request, and what it does to a workload, in QEMU alone.

Two TCG QEMUs on this machine (no libvirt, no testbed), a 384 MiB guest running the recovery
workload of the enlightened e2e test (192 MiB written by a sleeping process, then a 32 MiB
working set read and written at random, 100k operations per 100 ms). The source migrates to the
destination over loopback and switches to post-copy at once, with `postcopy-preempt` on or off
and the bandwidth limit given (0: none). Prints one row:

  qemu=VERSION preempt=0|1 bandwidth_mibps=N faults=N rtt_median_ms=X rtt_p90_ms=Y
  first_sample_s=A back_at_90_s=B total_s=C

faults and rtt_*: the destination's page requests and the time from each request to the page
placed (QEMU's trace events postcopy_ram_fault_thread_request and postcopy_place_page);
first_sample_s and back_at_90_s: seconds from the request to the workload's first throughput
line on the destination, and to its first second back at 90% of its throughput.

Usage: tests/bench/postcopy_rtt.py [--preempt] [--bandwidth-mibps 24] [--samples]
Another QEMU: QEMU=/path/qemu-system-x86_64 QEMU_ARGS="-L DIR ..." (and QEMU_MODULE_DIR).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.join(ROOT, 'tests/guest'))
from check_dirty_rate import Qmp, wait_for  # noqa: E402  (the guest tests' QMP client)
EVENTS = ['migrate_set_state', 'postcopy_ram_fault_thread_request', 'postcopy_place_page',
          'postcopy_place_page_zero']
APPEND = ('console=ttyS0 convoy.name=rtt pti=on convoy.run="coldmem 192" '
          'convoy.run1="sleep 2; wsloop 32 0 1000" quiet')
PORT = 47411
BASELINE_OPS = 100000  # wsloop 32 0 1000: 1,000k operations a second, per 100 ms line


def start_qemu(workdir, name, extra):
    kernel = os.path.join(ROOT, 'build/guest')
    command = ([os.environ.get('QEMU', 'qemu-system-x86_64')] +
               os.environ.get('QEMU_ARGS', '').split() +
               ['-accel', 'tcg', '-M', 'pc', '-m', '384', '-cpu', 'qemu64',
                '-kernel', kernel + '/vmlinuz', '-initrd', kernel + '/initramfs.img',
                '-append', APPEND, '-display', 'none', '-nodefaults', '-msg', 'timestamp=on',
                '-serial', 'file:%s/%s.serial' % (workdir, name),
                '-qmp', 'unix:%s/%s.qmp,server=on,wait=off' % (workdir, name),
                '-trace', 'events=%s/events,file=%s/%s.trace' % (workdir, workdir, name)] + extra)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL,
                            stderr=open('%s/%s.err' % (workdir, name), 'w'))


def round_trips(trace_path):
    """Seconds from each page request to that page placed, on the destination."""
    asked, rtts = {}, []
    pattern = re.compile(r'\d+@([\d.]+):(\S+) (.*)')
    with open(trace_path, errors='replace') as trace:
        for line in trace:
            m = pattern.match(line)
            if not m:
                continue
            at, event, rest = float(m.group(1)), m.group(2), m.group(3)
            if event == 'postcopy_ram_fault_thread_request':
                asked.setdefault(int(re.search(r'HVA=(0x[0-9a-f]+)', rest).group(1), 16), at)
            elif event.startswith('postcopy_place_page'):
                page = int(re.search(r'host=(0x[0-9a-f]+)', rest).group(1), 16)
                if page in asked:
                    rtts.append(at - asked.pop(page))
    return sorted(rtts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preempt', action='store_true', help="QEMU's postcopy-preempt")
    parser.add_argument('--bandwidth-mibps', type=int, default=24, help='0: unlimited')
    parser.add_argument('--samples', action='store_true',
                        help='also print the throughput lines: seconds:thousands of operations')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='convoy-postcopy-rtt.')
    with open(workdir + '/events', 'w') as events:
        events.write('\n'.join(EVENTS) + '\n')
    processes = []
    try:
        processes.append(start_qemu(workdir, 'src', []))
        processes.append(start_qemu(workdir, 'dst', ['-incoming', 'defer']))
        src, dst = Qmp(workdir + '/src.qmp'), Qmp(workdir + '/dst.qmp')
        version = src.cmd('query-version')['qemu']
        caps = [{'capability': 'postcopy-ram', 'state': True},
                {'capability': 'postcopy-preempt', 'state': args.preempt}]
        for q in (src, dst):
            q.cmd('migrate-set-capabilities', capabilities=caps)
        limit = args.bandwidth_mibps << 20
        src.cmd('migrate-set-parameters', **{'max-bandwidth': limit or (1 << 40),
                                              'max-postcopy-bandwidth': limit})
        dst.cmd('migrate-incoming', uri='tcp:127.0.0.1:%d' % PORT)
        wait_for(workdir + '/src.serial', 'wsloop-start', 180)
        time.sleep(8)  # past the module's active window, as in the e2e test
        started = time.time()
        src.cmd('migrate', uri='tcp:127.0.0.1:%d' % PORT)
        while src.cmd('query-migrate').get('status') != 'active':
            time.sleep(0.01)
        src.cmd('migrate-start-postcopy')
        # The destination's console, each line stamped when it appears.
        lines, offset, status = [], 0, ''
        while time.time() - started < 60:
            status = src.cmd('query-migrate').get('status', '')
            with open(workdir + '/dst.serial', errors='replace') as serial:
                serial.seek(offset)
                chunk = serial.read()
            offset += len(chunk)
            lines += [(time.time() - started, l) for l in chunk.splitlines()]
            if status in ('completed', 'failed') and time.time() - started > 20:
                break
            time.sleep(0.02)
        total_s = time.time() - started
        if status != 'completed':
            raise RuntimeError('the migration ended %s' % (status or 'in no state'))
        ops = [(t, int(m.group(1))) for t, l in lines
               for m in [re.search(r'wsloop ms=\d+ ops=(\d+)', l)] if m]
        back = next((ops[i][0] for i in range(len(ops) - 9)
                     if all(o >= 0.9 * BASELINE_OPS for _, o in ops[i:i + 10])), float('nan'))
        rtts = round_trips(workdir + '/dst.trace')
        median = 1000 * rtts[len(rtts) // 2] if rtts else float('nan')
        p90 = 1000 * rtts[int(len(rtts) * 0.9)] if rtts else float('nan')
        print('qemu=%d.%d.%d preempt=%d bandwidth_mibps=%d faults=%d rtt_median_ms=%.1f '
              'rtt_p90_ms=%.1f first_sample_s=%.2f back_at_90_s=%.2f total_s=%.1f' % (
                  version['major'], version['minor'], version['micro'], args.preempt,
                  args.bandwidth_mibps, len(rtts), median, p90,
                  ops[0][0] if ops else float('nan'), back, total_s))
        if args.samples:
            print(' '.join('%.1f:%d' % (t, o // 1000) for t, o in ops[:80]))
    finally:
        for p in processes:
            p.kill()
            p.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
