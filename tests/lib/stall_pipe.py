#!/usr/bin/env python3
"""stall_pipe.py: runs a command whose stdout and stderr go into a pipe of one page that
nobody reads, so the command's next write blocks once the page is full, until this helper
gets SIGUSR1; from then on it copies the pipe into OUTFILE until the command exits.
Writes the command's pid to PIDFILE. SIGTERM is passed on to the command.

Usage: stall_pipe.py OUTFILE PIDFILE CMD [ARG...]
"""
import fcntl
import os
import signal
import subprocess
import sys
import time

F_SETPIPE_SZ = 1031


def main():
    out_path, pid_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    drain = []
    signal.signal(signal.SIGUSR1, lambda *_: drain.append(True))
    child = subprocess.Popen(cmd, stdout=w, stderr=w)
    os.close(w)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    with open(pid_path, "w") as f:
        f.write(str(child.pid))
    while not drain and child.poll() is None:
        time.sleep(0.05)
    with open(out_path, "ab") as out:
        while True:
            data = os.read(r, 65536)
            if not data:
                break
            out.write(data)
            out.flush()
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
