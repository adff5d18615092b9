#!/usr/bin/env python3
"""The program inside the send-to-screen bench's xterm: the terminal in raw mode
(every key reaches it at once, nothing echoed), and for every chunk the terminal
hands over, one line in LOG: CLOCK_REALTIME in ns (shared by every network namespace
of the host) and the number of bytes received so far. The bytes themselves go to
LOG.data, to compare with what was sent."""

import os
import sys
import termios
import time
import tty


def main():
    log_path = sys.argv[1]
    fd = sys.stdin.fileno()
    tty.setraw(fd, termios.TCSANOW)
    total = 0
    with open(log_path, "a", buffering=1) as log, open(log_path + ".data", "ab", buffering=0) as data:
        log.write("ready\n")
        while True:
            chunk = os.read(fd, 65536)
            now = time.clock_gettime_ns(time.CLOCK_REALTIME)
            if not chunk:
                return
            total += len(chunk)
            data.write(chunk)
            log.write(f"{now} {total}\n")


if __name__ == "__main__":
    main()
