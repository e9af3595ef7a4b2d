"""What the sandbox adds to the start of a build and of an instance's hook.

    .venv/bin/python benchmarks/bench_sandbox.py [--runs 30] [--builds 10]

1. A build's shell: a fresh ShellSession running its first command (`true`), with and without a
   sandbox (the sandbox's start, bubblewrap plus its launcher, is paid once per build).
2. An instance: the first hook on a fresh instance (`true`, sandbox start included), then a later
   hook on the same instance (the sandbox already runs), with and without a sandbox.
3. Whole `echo` builds through localcloud (StartBuild -> SUCCEEDED), LOCALCLOUD_SANDBOX auto vs off.
Goal (issue 17): the sandbox adds at most 50 ms (median) to a build's or an instance's start.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcloud import LocalCloud  # noqa: E402
from localcloud.codebuild.shell import ShellSession  # noqa: E402
from localcloud.processes import clean_env, kill_owner, spawn  # noqa: E402
from localcloud.sandbox import Limits, Sandbox, bwrap  # noqa: E402
from localcloud.settings import Settings  # noqa: E402

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _report(what: str, plain: list[float], boxed: list[float]) -> float:
    added = _median_ms(boxed) - _median_ms(plain)
    print(f"{what}: unsandboxed median {_median_ms(plain):.1f} ms, sandboxed median {_median_ms(boxed):.1f} ms, "
          f"added {added:.1f} ms (goal <= 50 ms)")
    return added


def build_shell(runs: int, base: Path) -> float:
    timings: dict[bool, list[float]] = {False: [], True: []}
    for i in range(runs):
        for sandboxed in (False, True):
            work = base / f"build-{i}-{int(sandboxed)}"
            (work / "tmp").mkdir(parents=True)
            owner = f"bench-sandbox/build-{i}-{int(sandboxed)}"
            sb = Sandbox(writable=work, owner=owner, limits=Limits(4 << 30), executable=bwrap.probe().executable) \
                if sandboxed else None
            start = time.perf_counter()
            shell = ShellSession(shell="bash", env=clean_env(), cwd=work, owner=owner, script_dir=work / "tmp",
                                 on_output=lambda _line: None, sandbox=sb)
            status = shell.run("true", deadline=None, cancelled=threading.Event())
            timings[sandboxed].append(time.perf_counter() - start)
            assert status == 0
            shell.close()
    return _report("build shell start (first command `true`)", timings[False], timings[True])


def hooks(runs: int, base: Path) -> tuple[float, float]:
    first: dict[bool, list[float]] = {False: [], True: []}
    later: dict[bool, list[float]] = {False: [], True: []}
    for i in range(runs):
        for sandboxed in (False, True):
            root = base / f"instance-{i}-{int(sandboxed)}"
            root.mkdir(parents=True)
            owner = f"bench-sandbox/instance-{i}-{int(sandboxed)}"
            sb = Sandbox(writable=root, owner=owner, limits=Limits(1 << 30), executable=bwrap.probe().executable) \
                if sandboxed else None
            for bucket in (first, later):
                start = time.perf_counter()
                proc = spawn(["true"], owner=owner, env=clean_env(), cwd=root, sandbox=sb, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                proc.stdout.read(), proc.stderr.read()
                assert proc.wait() == 0
                bucket[sandboxed].append(time.perf_counter() - start)
            kill_owner(owner)
            if sb is not None:
                sb.stop()
    added_first = _report("instance's first hook (sandbox start included)", first[False], first[True])
    added_later = _report("a later hook on a running instance", later[False], later[True])
    return added_first, added_later


def whole_builds(builds: int) -> float:
    totals: dict[str, list[float]] = {}
    for mode in ("off", "auto"):
        with LocalCloud(port=0, settings=Settings(time_scale=1.0, sandbox=mode)) as cloud:
            role = cloud.client("iam").create_role(RoleName=f"bench-sandbox-{mode}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            cb = cloud.client("codebuild")
            spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello\n"
            cb.create_project(name=f"bench-sandbox-{mode}", source={"type": "NO_SOURCE", "buildspec": spec},
                              artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=role)
            times = []
            for i in range(builds + 1):
                start = time.perf_counter()
                build_id = cb.start_build(projectName=f"bench-sandbox-{mode}")["build"]["id"]
                while not (build := cb.batch_get_builds(ids=[build_id])["builds"][0])["buildComplete"]:
                    time.sleep(0.002)
                assert build["buildStatus"] == "SUCCEEDED", build["buildStatus"]
                if i:  # the first warms clients, log groups and backends
                    times.append(time.perf_counter() - start)
            totals[mode] = times
    return _report(f"whole echo build, {builds} runs (StartBuild -> SUCCEEDED)", totals["off"], totals["auto"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--builds", type=int, default=10)
    args = parser.parse_args()
    support = bwrap.probe()
    if not support.available:
        sys.exit(f"no sandbox on this machine: {support.reason}")
    print(f"machine: {os.cpu_count()} CPUs, {subprocess.run(['bwrap', '--version'], capture_output=True, text=True).stdout.strip()}")
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as base:
        build_shell(args.runs, Path(base))
        hooks(args.runs, Path(base))
    if args.builds:
        whole_builds(args.builds)


if __name__ == "__main__":
    main()
