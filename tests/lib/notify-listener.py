#!/usr/bin/env python3
"""A service manager's end of the sd_notify protocol, for tests.

    notify-listener.py NOTIFY_SOCKET MILTER_SOCKET OUTPUT [SECONDS]

Binds the datagram socket NOTIFY_SOCKET (what a test exports as
$NOTIFY_SOCKET to the daemon) and appends one line per message to OUTPUT,
its newlines shown as spaces. When a message holds READY=1 it connects to
the unix socket MILTER_SOCKET at once and adds " connect=ok" or
" connect=ERROR", so the line tells whether the milter accepted
connections when it said it was ready. Stops on SIGTERM or after SECONDS
(default 120).
"""
import os
import signal
import socket
import sys
import time


def can_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return "ok"
    except OSError as e:
        return e.strerror.replace(" ", "_")
    finally:
        s.close()


def main():
    notify_path, milter_path, output = sys.argv[1:4]
    deadline = time.monotonic() + float(sys.argv[4] if len(sys.argv) > 4 else 120)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    os.chmod(notify_path, 0o777)  # as systemd's: a daemon that is not root may send
    with open(output, "a", buffering=1) as out:
        out.write("listening\n")
        while time.monotonic() < deadline:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = sock.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                break
            line = data.strip().replace("\n", " ")
            if "READY=1" in data.split("\n"):
                line += " connect=" + can_connect(milter_path)
            out.write(line + "\n")


if __name__ == "__main__":
    main()
