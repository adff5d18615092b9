#!/usr/bin/env python3
"""An emulated Wi-Fi link between two network namespaces, in user space: this
machine's kernel has no netem (CONFIG_NET_SCH_NETEM is not set), so the
send-to-screen bench joins its namespaces with two TUN devices and this program
between them, which does what `tc qdisc add ... netem delay D J loss L` would:
every packet, each way, waits D +- J ms (uniform; never overtaking the packet
before it, as on a real link) and is dropped with probability L.

    wifi_link.py NS_A TUN_A NS_B TUN_B DELAY_MS JITTER_MS
It prints "ready" once both devices exist (the caller gives them addresses);
on stdin, "loss P" sets the loss probability (0.01 = 1%)."""

import ctypes
import fcntl
import os
import random
import select
import struct
import sys
import time
from collections import deque

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def tun_in(ns, name):
    """A TUN device `name` in namespace `ns` (the fd stays bound to it)."""
    nsfd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), f"setns {ns}")
    os.close(nsfd)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    ns_a, tun_a, ns_b, tun_b, delay_ms, jitter_ms = sys.argv[1:7]
    delay, jitter = float(delay_ms) / 1000, float(jitter_ms) / 1000
    fds = [tun_in(ns_a, tun_a), tun_in(ns_b, tun_b)]
    loss = 0.0
    queues = [deque(), deque()]  # packets read from fds[d], due on fds[1 - d]
    last_due = [0.0, 0.0]
    print("ready", flush=True)
    stdin = sys.stdin.fileno()
    while True:
        now = time.monotonic()
        heads = [q[0][0] for q in queues if q]
        timeout = max(0.0, min(heads) - now) if heads else None
        readable, _, _ = select.select([fds[0], fds[1], stdin], [], [], timeout)
        for fd in readable:
            if fd == stdin:
                line = sys.stdin.readline()
                if not line:
                    return
                words = line.split()
                if len(words) == 2 and words[0] == "loss":
                    loss = float(words[1])
                continue
            d = fds.index(fd)
            packet = os.read(fd, 65536)
            if loss and random.random() < loss:
                continue
            due = max(time.monotonic() + delay + random.uniform(-jitter, jitter), last_due[d])
            last_due[d] = due
            queues[d].append((due, packet))
        now = time.monotonic()
        for d in (0, 1):
            q = queues[d]
            while q and q[0][0] <= now:
                try:
                    os.write(fds[1 - d], q.popleft()[1])
                except OSError:
                    pass  # that side is not up yet (EIO): lost, as on a link going up



if __name__ == "__main__":
    main()
