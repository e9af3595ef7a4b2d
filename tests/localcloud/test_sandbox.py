"""The sandbox builds and instances run in (localcloud/sandbox/), tried as a hostile command would.

Each case starts a real bubblewrap sandbox. Where bubblewrap cannot start, the cases that need it
skip, unless LOCALCLOUD_SANDBOX=mandatory (as in CI), where they fail.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from localcloud import sandbox as sandbox_mod
from localcloud.processes import MARKER_VAR, _pids_with_marker, alive, clean_env
from localcloud.sandbox import Limits, Sandbox, SandboxError, Sandboxes, bwrap, for_compute, for_instance_type
from localcloud.sandbox.limits import GIB, MIB
from localcloud.settings import Settings, SettingsError

REQUIRED = os.environ.get("LOCALCLOUD_SANDBOX") == "mandatory"
needs_sandbox = pytest.mark.skipif(not bwrap.probe().available and not REQUIRED,
                                   reason=f"no sandbox here: {bwrap.probe().reason}")
PLANT = "plant-" + os.urandom(6).hex()  # a value only the host's environment holds


@pytest.fixture
def box(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALCLOUD_TEST_HOST_SECRET", PLANT)
    work = tmp_path / "work"
    work.mkdir()
    sb = Sandbox(writable=work, owner=f"test-sandbox/{os.urandom(4).hex()}", limits=Limits(2 * GIB, 64),
                 executable=bwrap.probe().executable or "bwrap")
    yield sb
    sb.stop()


def run(sb: Sandbox, script: str, **env) -> subprocess.CompletedProcess:
    proc = sb.spawn(["bash", "-c", script], env=clean_env({MARKER_VAR: sb.owner, **env}), cwd=sb.writable,
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@needs_sandbox
def test_no_host_process_or_environment_is_visible(box):
    host_pid = os.getpid()
    done = run(box, f"ls /proc | grep -c '^[0-9]'; cat /proc/{host_pid}/environ /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n';"
                    " cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'")
    assert done.returncode == 0, done.stderr
    visible = int(done.stdout.splitlines()[0])
    assert visible < 10  # the sandbox's init, launcher, bash and its pipeline; not the host's hundreds
    assert PLANT not in done.stdout
    assert "LOCALCLOUD_TEST_HOST_SECRET" not in done.stdout


@needs_sandbox
def test_only_its_directory_is_writable_and_tmp_is_private(box, tmp_path):
    (Path("/tmp") / f"host-only-{PLANT}").write_text("host")
    try:
        done = run(box, f"""
            for target in /work/{PLANT} "$HOME/{PLANT}" /etc/{PLANT} /usr/{PLANT} /var/{PLANT}; do
              if touch "$target" 2>/dev/null; then echo "WROTE $target"; fi
            done
            touch {tmp_path}/{PLANT} 2>/dev/null  # under /tmp: lands in the private /tmp, if anywhere
            echo ok > "$PWD/mine" && echo own-dir-ok
            ls /tmp/host-only-{PLANT} 2>/dev/null && echo "SAW HOST TMP"
            echo private > /tmp/sandbox-{PLANT} && echo tmp-ok
            mount -o remount,rw / 2>/dev/null && echo REMOUNTED
            true""", HOME=os.environ.get("HOME", "/root"))
    finally:
        (Path("/tmp") / f"host-only-{PLANT}").unlink()
    assert "WROTE" not in done.stdout and "SAW HOST TMP" not in done.stdout and "REMOUNTED" not in done.stdout
    assert "own-dir-ok" in done.stdout and "tmp-ok" in done.stdout
    assert (box.writable / "mine").read_text() == "ok\n"
    assert not (Path("/tmp") / f"sandbox-{PLANT}").exists()
    assert not (tmp_path / PLANT).exists()


@needs_sandbox
def test_loopback_reaches_the_host(box):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        done = run(box, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected")
        assert "connected" in done.stdout, done.stderr


@needs_sandbox
def test_limits_apply(box):
    done = run(box, "ulimit -v; cat /proc/self/cgroup")
    assert done.stdout.splitlines()[0] == str(2 * GIB // 1024)  # KiB
    if os.access(sandbox_mod.limits.PIDS_CGROUP_ROOT, os.W_OK):
        cgroup = sandbox_mod.limits.PIDS_CGROUP_ROOT / ("localcloud-" + box.owner.replace("/", "-"))
        assert (cgroup / "pids.max").read_text().strip() == "64"
        # a fork bomb stops at the bound instead of taking the host down
        bomb = run(box, "for i in $(seq 1 200); do sleep 1 & done 2>&1 | grep -c 'fork' ; wait 2>/dev/null; true")
        assert int(bomb.stdout.split()[0]) > 0


@needs_sandbox
def test_a_daemon_outlives_its_command_shares_the_namespace_and_dies_with_the_sandbox(box):
    first = run(box, "nohup sleep 300 >/dev/null 2>&1 </dev/null & echo $! > pid")
    assert first.returncode == 0
    second = run(box, "kill -0 $(cat pid) && echo still-there")  # a later hook sees it by its pid
    assert "still-there" in second.stdout
    ours = [p for p in _pids_with_marker(box.owner, prefix=False) if alive(p)]
    assert ours  # seen from the host by its marker, as kill_owner and the watchdog find it
    box.stop()
    deadline = time.monotonic() + 5
    while any(alive(p) for p in ours) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(alive(p) for p in ours)
    assert "still-there" not in run(box, "kill -0 $(cat pid) 2>/dev/null && echo still-there").stdout  # a fresh one


@needs_sandbox
def test_host_pid_signals_the_process_group(box):
    proc = box.spawn(["bash", "-c", "sleep 300 & sleep 300"], env=clean_env(), cwd=box.writable,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert os.getpgid(proc.pid) == proc.pid  # a session of its own, addressed by the host pid
    os.killpg(proc.pid, 15)
    assert proc.wait(5) == -15


@needs_sandbox
def test_exec_failures_raise_oserror_like_popen(box):
    with pytest.raises(FileNotFoundError):
        box.spawn(["/no/such/program"], env=clean_env(), cwd=box.writable, stdout=subprocess.DEVNULL)


def test_without_bubblewrap_it_warns_once_and_runs_unsandboxed(monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(bwrap, "probe", lambda: bwrap.Support(False, "bubblewrap (bwrap) is not installed"))
    monkeypatch.setattr(Sandboxes, "_warned", False)
    sandboxes = Sandboxes("auto")
    sandboxes.check()
    with caplog.at_level(logging.WARNING, logger="localcloud.sandbox"):
        assert sandboxes.create(base=tmp_path, name="one", owner="x/1", limits=Limits()) == (None, tmp_path / "one")
        assert sandboxes.create(base=tmp_path, name="two", owner="x/2", limits=Limits()) == (None, tmp_path / "two")
    warnings = [r for r in caplog.records if r.name == "localcloud.sandbox"]
    assert len(warnings) == 1
    assert "without a sandbox: bubblewrap (bwrap) is not installed" in warnings[0].getMessage()


def test_mandatory_mode_refuses_to_start_without_a_sandbox(monkeypatch, tmp_path):
    monkeypatch.setattr(bwrap, "probe", lambda: bwrap.Support(False, "sandboxing needs Linux (bubblewrap); this is darwin"))
    with pytest.raises(SandboxError, match="LOCALCLOUD_SANDBOX=mandatory, but sandboxing needs Linux"):
        Sandboxes("mandatory").check()
    from localcloud.server import LocalCloud

    with pytest.raises(SandboxError, match="mandatory"):
        LocalCloud(state_dir=tmp_path, settings=Settings(sandbox="mandatory"))


def test_off_never_sandboxes(tmp_path):
    assert Sandboxes("off").create(base=tmp_path, name="one", owner="x/1", limits=Limits()) == (None, tmp_path / "one")


def test_the_setting_is_validated():
    assert Settings.from_env({"LOCALCLOUD_SANDBOX": "Mandatory"}).sandbox == "mandatory"
    assert Settings.from_env({}).sandbox == "auto"
    with pytest.raises(SettingsError, match="LOCALCLOUD_SANDBOX='sometimes' is not one of auto, mandatory, off"):
        Settings.from_env({"LOCALCLOUD_SANDBOX": "sometimes"})
    assert Settings(sandbox="off").as_env()["LOCALCLOUD_SANDBOX"] == "off"


def test_memory_comes_from_the_compute_type_or_instance_type():
    assert for_compute({"computeType": "BUILD_GENERAL1_SMALL"}).memory_bytes == 4 * GIB
    assert for_compute({"computeType": "BUILD_LAMBDA_1GB"}).memory_bytes == 1 * GIB
    assert for_compute({"computeType": "ATTRIBUTE_BASED_COMPUTE", "computeConfiguration": {"memory": 6}}).memory_bytes == 6 * GIB
    assert for_compute({"computeType": "CUSTOM_INSTANCE_TYPE",
                        "computeConfiguration": {"instanceType": "t3.small"}}).memory_bytes == 2 * GIB
    assert for_instance_type("t3.micro").memory_bytes == 1024 * MIB
    assert for_instance_type("m5.large").memory_bytes == 8 * GIB
    assert for_instance_type("no.such").memory_bytes == 0


@needs_sandbox
def test_a_warm_spare_becomes_the_next_owners_sandbox(tmp_path):
    sandboxes = Sandboxes("auto", marker_prefix="test-spares/")
    try:
        first, first_dir = sandboxes.create(base=tmp_path, name="b-1", owner="test-spares/build/1", limits=Limits(GIB, 32))
        assert first_dir == tmp_path / "b-1" and first.writable == first_dir
        second, second_dir = sandboxes.create(base=tmp_path, name="b-2", owner="test-spares/build/2", limits=Limits(GIB, 32))
        assert second is not first and second_dir.parent == tmp_path and second_dir.name.startswith("sandbox-")
        done = run(second, "ulimit -v; touch here && echo wrote")
        assert done.stdout.split() == [str(GIB // 1024), "wrote"]  # the adopter's limits, its directory
        assert (second_dir / "here").exists()
        first.stop()
        second.stop()
    finally:
        sandboxes.close()
    assert not any(alive(p) for p in _pids_with_marker("test-spares/", prefix=True))


def test_what_the_sandbox_runs_from_under_tmp_is_bound_back_read_only():
    # a CI clone (and its .venv) under /tmp would be hidden by the private /tmp
    from localcloud.sandbox import bwrap

    args = bwrap.argv(Path("/tmp/work/build"), runtime=["/usr", "/tmp/ci/.venv", "/tmp/ci", "/tmp/other/py"])
    tmpfs = args.index("--tmpfs")
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind" and i > tmpfs]
    assert binds == ["/tmp/ci", "/tmp/other/py"]  # nested ones once, system paths not at all
    assert args.index("--bind") > max(i for i, a in enumerate(args) if a == "--ro-bind")
    assert bwrap.argv(Path("/tmp/w"), runtime=["/usr", "/opt/venv"]).count("--ro-bind") == 1
