"""Nothing localcloud starts outlives it: a SIGKILLed `capstone cloud`'s background processes
(even ones in a session of their own, as an app server started by a hook is) are stopped by its
watchdog, a new cloud on the same state directory reaps what is left, and counts are true."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.processes import alive, clean_env, kill_owner, spawn

pytestmark = pytest.mark.integration


def _sleeper(owner: str, tmp_path: Path) -> subprocess.Popen:
    # setsid + background: the shape of an app server a hook script leaves running
    return spawn(["sh", "-c", "setsid sleep 300 & echo $! > bg.pid; wait"], owner=owner,
                 env=clean_env(), cwd=tmp_path)


def _wait(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_kill_owner_counts_what_it_stopped(tmp_path):
    owner = f"countme{os.getpid()}/build/1"
    procs = [spawn(["sleep", "300"], owner=owner, env=clean_env(), cwd=tmp_path) for _ in range(2)]
    assert kill_owner(owner) == 2
    for proc in procs:
        proc.wait(timeout=5)
    assert kill_owner(owner) == 0


def test_a_sigkilled_cloud_leaves_no_process_behind(tmp_path):
    state = tmp_path / "state"
    script = (
        "import sys, time\n"
        "from localcloud import LocalCloud\n"
        "from localcloud.processes import spawn, clean_env\n"
        f"cloud = LocalCloud(port=0, state_dir={str(state)!r}).start()\n"
        f"spawn(['sh', '-c', 'setsid sleep 300 & echo $! > bg.pid; wait'], owner=cloud.owner('instance', 'i-1'), "
        f"env=clean_env(), cwd={str(tmp_path)!r})\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)\n")
    cloud = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert cloud.stdout.readline().strip() == "ready"
    assert _wait(lambda: (tmp_path / "bg.pid").exists() and (tmp_path / "bg.pid").read_text().strip())
    background = int((tmp_path / "bg.pid").read_text())
    assert alive(background)
    cloud.send_signal(signal.SIGKILL)
    cloud.wait(timeout=10)
    assert _wait(lambda: not alive(background)), "the app-server-like process outlived its cloud"


def test_a_new_cloud_reaps_what_a_killed_predecessor_left(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    token = "deadbeef0001"
    # what a predecessor killed together with its watchdog leaves: its owner file, a live process
    dead = subprocess.Popen(["true"])
    dead.wait()
    (state / "localcloud.owner").write_text(f'{{"token": "{token}", "pid": {dead.pid}}}')
    orphan = spawn(["sleep", "300"], owner=f"{token}/instance/i-9", env=clean_env(), cwd=tmp_path)
    with LocalCloud(port=0, state_dir=state):
        orphan.wait(timeout=5)
    assert not alive(orphan.pid)


def test_a_live_cloud_on_the_same_state_directory_is_left_alone(tmp_path):
    state = tmp_path / "state"
    with LocalCloud(port=0, state_dir=state) as first:
        mine = spawn(["sleep", "300"], owner=first.owner("instance", "i-1"), env=clean_env(), cwd=tmp_path)
        try:
            with LocalCloud(port=0, state_dir=state):   # a second cloud, same directory
                assert alive(mine.pid)
            assert alive(mine.pid)
        finally:
            kill_owner(first.owner("instance", "i-1"))
