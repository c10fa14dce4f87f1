#!/usr/bin/env python3
"""pty_run.py: runs a command on a pseudo-terminal, as a user at a terminal would, so that
a test can press Ctrl-C the way a person does.

The command's terminal output is copied to OUTFILE. SIGUSR1 sent to this helper types
Ctrl-C (0x03) on the terminal: the line discipline then signals the terminal's foreground
process group, whatever the command did with process groups. The helper exits with the
command's status (128 + N for a signal N), or 124 when LIMIT seconds pass first.
Usage: pty_run.py OUTFILE LIMIT COMMAND [ARGS...]
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    outfile, limit, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        # A shell at a terminal leaves these at their defaults; a test started in the
        # background has them ignored, which the command would inherit.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        os.execvp(cmd[0], cmd)
    ctrl_c = []
    signal.signal(signal.SIGUSR1, lambda *_: ctrl_c.append(1))
    deadline = time.monotonic() + limit
    with open(outfile, "ab", buffering=0) as out:
        while time.monotonic() < deadline:
            if ctrl_c:
                ctrl_c.clear()
                os.write(fd, b"\x03")
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
            except InterruptedError:
                continue
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command and everything on the terminal are gone
                data = b""
            if not data:
                break
            out.write(data)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return 124
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
