"""The process that outlives a killed localcloud just long enough to stop what it started.

A localcloud stopped normally kills every process it started (`kill_owner` on its token). One
killed with SIGKILL cannot, and a parent-death signal would not reach the app servers that hook
scripts start in the background (grandchildren, often in a session of their own). So each
localcloud starts this watchdog in a session of its own, holding the read end of a pipe whose
write end only the localcloud holds: when the localcloud dies, for any reason, the read sees EOF
and the watchdog kills every process tagged with the localcloud's token, then exits.

Run as `python -m localcloud.watchdog TOKEN FD`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys


def start(token: str) -> tuple[subprocess.Popen, int]:
    """Start the watchdog for `token`; returns it and the pipe's write end, which the caller
    keeps open for its whole life (closing it, or dying, sets the watchdog off)."""
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    proc = subprocess.Popen([sys.executable, "-m", "localcloud.watchdog", token, str(read_end)],
                            pass_fds=(read_end,), start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
    os.close(read_end)
    os.set_inheritable(write_end, False)  # children must not hold it: they would keep us waiting
    return proc, write_end


def main(argv: list[str]) -> int:
    token, fd = argv[0], int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the cloud is not for us
    while True:
        try:
            if not os.read(fd, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    from localcloud.processes import kill_owner

    kill_owner(token + "/", prefix=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
