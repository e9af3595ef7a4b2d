"""What the sandbox adds to the start of a build and of an instance (issue 17: at most 50 ms).

    .venv/bin/python benchmarks/bench_sandbox.py [--builds 20] [--hooks 20]

1. Builds through localcloud, LOCALCLOUD_SANDBOX=auto and off, alternating between two clouds so
   both see the same machine load: the start (StartBuild called -> the first command runs, read
   from a timestamp that command prints) and the whole `echo` build (StartBuild -> SUCCEEDED,
   which also holds the sandbox's teardown).
2. An instance's first hook (`true`) on a fresh instance, taking a warm sandbox as localcloud
   does (Sandboxes.create), and a cold one started for it (the first instance of a cloud);
   then a later hook on the running instance. Each against the same hook unsandboxed.
The machine's other work moves these figures: run it twice and read the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcloud import LocalCloud  # noqa: E402
from localcloud.processes import clean_env, kill_owner, spawn  # noqa: E402
from localcloud.sandbox import Limits, Sandbox, Sandboxes, bwrap  # noqa: E402
from localcloud.settings import Settings  # noqa: E402

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
SPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started-at-$(date +%s.%N)\n"


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _report(what: str, plain: list[float], boxed: list[float]) -> None:
    print(f"{what}: unsandboxed median {_ms(plain):.1f} ms, sandboxed median {_ms(boxed):.1f} ms, "
          f"added {_ms(boxed) - _ms(plain):.1f} ms")


def _one_build(cloud, project: str) -> tuple[float, float]:
    cb, logs = cloud.client("codebuild"), cloud.client("logs")
    called = time.time()
    build_id = cb.start_build(projectName=project)["build"]["id"]
    while not (build := cb.batch_get_builds(ids=[build_id])["builds"][0])["buildComplete"]:
        time.sleep(0.002)
    total = time.time() - called
    assert build["buildStatus"] == "SUCCEEDED", build["buildStatus"]
    events = logs.get_log_events(logGroupName=build["logs"]["groupName"], logStreamName=build["logs"]["streamName"],
                                 startFromHead=True)["events"]
    stamp = next(e["message"] for e in events if e["message"].startswith("started-at-"))
    return float(stamp.strip().removeprefix("started-at-")) - called, total


def builds(runs: int) -> None:
    clouds = {mode: LocalCloud(port=0, settings=Settings(time_scale=1.0, sandbox=mode)).start() for mode in ("off", "auto")}
    try:
        for mode, cloud in clouds.items():
            role = cloud.client("iam").create_role(RoleName=f"bench-sandbox-{mode}",
                                                   AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            cloud.client("codebuild").create_project(name=f"bench-sandbox-{mode}", source={"type": "NO_SOURCE", "buildspec": SPEC},
                                                     artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=role)
            _one_build(cloud, f"bench-sandbox-{mode}")  # warm: clients, log groups, backends, the first spare
        starts: dict[str, list[float]] = {"off": [], "auto": []}
        totals: dict[str, list[float]] = {"off": [], "auto": []}
        for _ in range(runs):
            for mode, cloud in clouds.items():
                start, total = _one_build(cloud, f"bench-sandbox-{mode}")
                starts[mode].append(start)
                totals[mode].append(total)
        _report(f"build start, {runs} builds (StartBuild -> first command runs)", starts["off"], starts["auto"])
        _report(f"whole echo build, {runs} builds (StartBuild -> SUCCEEDED, teardown included)", totals["off"], totals["auto"])
    finally:
        for cloud in clouds.values():
            cloud.stop()


def _hook(owner: str, root: Path, sandbox) -> float:
    start = time.perf_counter()
    proc = spawn(["true"], owner=owner, env=clean_env(), cwd=root, sandbox=sandbox, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.wait() == 0
    return time.perf_counter() - start


def hooks(runs: int, base: Path) -> None:
    sandboxes = Sandboxes("auto", marker_prefix="bench-sandbox/")
    plain, warm, cold, later_plain, later = [], [], [], [], []
    try:
        sandboxes.create(base=base, name="warm-up", owner="bench-sandbox/warm-up", limits=Limits(1 << 30))[0].stop()
        for i in range(runs):
            root = base / f"plain-{i}"
            root.mkdir()
            plain.append(_hook(f"bench-sandbox/plain-{i}", root, None))
            later_plain.append(_hook(f"bench-sandbox/plain-{i}", root, None))
            time.sleep(0.15)  # the agent's DownloadBundle and Install come before the first hook
            start = time.perf_counter()
            sandbox, root = sandboxes.create(base=base, name=f"warm-{i}", owner=f"bench-sandbox/warm-{i}", limits=Limits(1 << 30))
            warm.append(time.perf_counter() - start + _hook(sandbox.owner, root, sandbox))
            later.append(_hook(sandbox.owner, root, sandbox))
            sandbox.stop()
            root = base / f"cold-{i}"
            root.mkdir()
            sandbox = Sandbox(writable=root, owner=f"bench-sandbox/cold-{i}", limits=Limits(1 << 30),
                              executable=bwrap.probe().executable)
            cold.append(_hook(sandbox.owner, root, sandbox))
            sandbox.stop()
    finally:
        sandboxes.close()
        kill_owner("bench-sandbox/", prefix=True)
    _report(f"instance's first hook, {runs} instances, warm sandbox (as localcloud runs it)", plain, warm)
    _report("instance's first hook, cold sandbox (bubblewrap + launcher started for it)", plain, cold)
    _report("a later hook on a running instance", later_plain, later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=20)
    parser.add_argument("--hooks", type=int, default=20)
    args = parser.parse_args()
    support = bwrap.probe()
    if not support.available:
        sys.exit(f"no sandbox on this machine: {support.reason}")
    version = subprocess.run([support.executable, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {version}")
    if args.hooks:
        with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as base:
            hooks(args.hooks, Path(base))
    if args.builds:
        builds(args.builds)
    print("goal (issue 17): the sandbox adds at most 50 ms (median) to a build's or an instance's start")


if __name__ == "__main__":
    main()
