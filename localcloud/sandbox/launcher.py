"""The first process inside a sandbox: it starts, inside, each process localcloud asks for.

A sandbox (see localcloud/sandbox/__init__.py) is one bubblewrap container: one PID namespace,
one mount view. An EC2 instance's hook scripts and the app servers they leave running must share
it (a later ApplicationStop script kills the server by the pid it wrote), so bubblewrap runs this
launcher once, and localcloud hands it each command over a unix socket (CONTROL_FD):

- a request is one SOCK_SEQPACKET message, a marshal'd {"argv", "env", "cwd", "memory",
  "processes"} (the limits, applied to the command before exec), carrying four
  file descriptors (SCM_RIGHTS): the command's stdin, stdout and stderr, and a socket for its
  status;
- the child, just before exec, sends a message on the status socket with its credentials
  (SCM_CREDENTIALS): the kernel translates the pid into localcloud's PID namespace, which is how
  localcloud learns the host pid it signals (its process group, at a timeout or a stop);
- the launcher answers `started PID`, or `error ERRNO` when exec failed (localcloud raises the
  OSError, as subprocess.Popen does), then `exit CODE` when the command exits (a negative code is
  the signal that killed it, as Popen reports it), and closes the status socket. Answers are
  plain integers because localcloud parses what comes out of the sandbox: nothing richer to trust.

When the control socket closes (localcloud stopped this sandbox, or died), the launcher kills
every process in the sandbox and exits; bubblewrap's init then ends the PID namespace.

It runs with `python -I -S` (no site, no localcloud import), from the system read-only: stdlib
only, and only C modules (_socket, _signal, marshal...), as its start is the sandbox's start.
Run as `python -I -S launcher.py CONTROL_FD`.
"""
import _signal as signal  # the C modules: `socket`, `signal` and `json` would cost their imports
import _socket as socket
import marshal
import os
import resource
import select
import struct
import sys

MAX_MESSAGE = 4 * 1024 * 1024  # a request holds a whole environment; Linux's own cap is ~2 MiB
FDS_PER_REQUEST = 4


def _credentials() -> list:
    creds = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    return [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)]


def _limit(memory: int, processes: int) -> None:
    # Inherited by everything the command starts: the instance's or compute type's memory per
    # process (RLIMIT_AS), and a process count (RLIMIT_NPROC, which binds only non-root users;
    # for root the pids cgroup localcloud puts this launcher in does). 0 = no limit.
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if processes and os.getuid() != 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _child(request: dict, fds: list[int], report_w: int) -> None:
    """In the forked child: become the command, or report why not (never returns)."""
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)  # Python ignores SIGPIPE; a shell pipeline must not
        os.setsid()  # its own session and process group, as processes.spawn gives host commands
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)  # inheritable; everything else is close-on-exec
        os.chdir(request["cwd"])
        _limit(request.get("memory", 0), request.get("processes", 0))
        status = socket.socket(fileno=os.dup(fds[3]))
        status.sendmsg([b"pid"], _credentials())
        os.execvpe(request["argv"][0], request["argv"], request["env"])
    except OSError as exc:
        os.write(report_w, b"error %d" % (exc.errno or 22))
    except BaseException:  # a malformed request: say so rather than hang the caller
        os.write(report_w, b"error 22")
    os._exit(127)


def _start(request: dict, fds: list[int], children: dict) -> None:
    status = socket.socket(fileno=fds[3])
    report_r, report_w = os.pipe()  # both close-on-exec: EOF without data = exec succeeded
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _child(request, fds, report_w)
    os.close(report_w)
    for fd in fds[:3]:
        os.close(fd)
    report = b""
    while chunk := os.read(report_r, 65536):
        report += chunk
    os.close(report_r)
    if report:
        os.waitpid(pid, 0)
        status.send(report)
        status.close()
        return
    children[pid] = status
    status.send(b"started %d" % pid)


def _reap(children: dict) -> None:
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        status = children.pop(pid, None)
        if status is not None:
            try:
                status.send(b"exit %d" % os.waitstatus_to_exitcode(code))
            except OSError:
                pass  # localcloud stopped waiting
            status.close()


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[0]))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, socket.socket] = {}
    control.sendmsg([b"ready"], _credentials())
    while True:
        ready, _, _ = select.select([control, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(children)
        if control not in ready:
            continue
        try:
            message, ancillary, _, _ = control.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(FDS_PER_REQUEST * 4),
                                                       socket.MSG_CMSG_CLOEXEC)
        except OSError:
            message, ancillary = b"", []
        if not message:
            break  # localcloud closed the sandbox, or is gone
        fds = [fd for level, kind, data in ancillary if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS
               for fd in struct.unpack(f"{len(data) // 4}i", data[: len(data) - len(data) % 4])]
        if len(fds) != FDS_PER_REQUEST:
            for fd in fds:
                os.close(fd)
            continue
        try:
            request = marshal.loads(message)
        except (EOFError, ValueError, TypeError):
            request = {}
        _start(request, fds, children)
    # Nothing in the sandbox outlives it: -1 is every process this one may signal, which in a
    # PID namespace of its own is every process in the sandbox but its init.
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
