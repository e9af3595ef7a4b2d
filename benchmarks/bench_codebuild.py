"""CodeBuild in localcloud: overhead of a build beyond its commands, and concurrent 1-second builds.

    .venv/bin/python benchmarks/bench_codebuild.py [--builds 30] [--concurrent 8]

1. An `echo` build, StartBuild -> BatchGetBuilds shows SUCCEEDED (client polling every 2 ms),
   minus the time its commands took (the BUILD phase's own duration). Goal: median <= 150 ms.
2. `sleep 1` builds started together: with the default bound (the CPU count) and with the bound
   raised, how many BUILD phases overlap and how long the batch takes on this machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcloud import LocalCloud  # noqa: E402
from localcloud.settings import Settings  # noqa: E402

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


def project(cb, role: str, name: str, command: str) -> str:
    spec = f"version: 0.2\nphases:\n  build:\n    commands:\n      - {command}\n"
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": spec}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=role)
    return name


def wait(cb, ids: list[str], poll: float = 0.002) -> list[dict]:
    done: dict[str, dict] = {}
    while len(done) < len(ids):
        for build in cb.batch_get_builds(ids=[i for i in ids if i not in done])["builds"]:
            if build["buildComplete"]:
                done[build["id"]] = build
        time.sleep(poll)
    return [done[i] for i in ids]


def phase(build: dict, kind: str) -> dict:
    return next(p for p in build["phases"] if p["phaseType"] == kind)


def overhead(cb, role: str, runs: int) -> None:
    name = project(cb, role, "bench-echo", "echo hello")
    wait(cb, [cb.start_build(projectName=name)["build"]["id"]])  # warm: log group, clients, backends
    totals, commands = [], []
    for _ in range(runs):
        start = time.perf_counter()
        build_id = cb.start_build(projectName=name)["build"]["id"]
        build = wait(cb, [build_id])[0]
        totals.append(time.perf_counter() - start)
        assert build["buildStatus"] == "SUCCEEDED", build["buildStatus"]
        b = phase(build, "BUILD")
        commands.append((b["endTime"] - b["startTime"]).total_seconds())
    extra = sorted((t - c) * 1000 for t, c in zip(totals, commands))
    print(f"echo build, {runs} runs: StartBuild->SUCCEEDED median {statistics.median(totals) * 1000:.1f} ms; "
          f"commands' own time median {statistics.median(commands) * 1000:.1f} ms")
    print(f"  overhead beyond the commands: median {statistics.median(extra):.1f} ms, "
          f"p90 {extra[int(len(extra) * 0.9) - 1]:.1f} ms, max {extra[-1]:.1f} ms (goal: median <= 150 ms)")


def concurrency(cloud, cb, role: str, count: int, bound: int | None) -> None:
    provider = cloud.provider("codebuild")
    if provider._pool is not None:
        provider._pool.shutdown(wait=True)
        provider._pool = None
    provider.max_concurrent_builds = bound or (os.cpu_count() or 1)
    name = project(cb, role, f"bench-sleep-{provider.max_concurrent_builds}", "sleep 1")
    start = time.perf_counter()
    ids = [cb.start_build(projectName=name)["build"]["id"] for _ in range(count)]
    builds = wait(cb, ids, poll=0.05)
    wall = time.perf_counter() - start
    events = []
    for build in builds:
        b = phase(build, "BUILD")
        events += [(b["startTime"], 1), (b["endTime"], -1)]
    running = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    ok = sum(b["buildStatus"] == "SUCCEEDED" for b in builds)
    print(f"{count} x 'sleep 1' builds, bound {provider.max_concurrent_builds}: {ok} SUCCEEDED in {wall:.2f} s, "
          f"at most {peak} BUILD phases at once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=30)
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()
    with LocalCloud(port=0, settings=Settings(time_scale=1.0)) as cloud:
        role = cloud.client("iam").create_role(RoleName="bench-codebuild",
                                               AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        cb = cloud.client("codebuild")
        print(f"machine: {os.cpu_count()} CPUs")
        overhead(cb, role, args.builds)
        concurrency(cloud, cb, role, args.concurrent, None)
        concurrency(cloud, cb, role, args.concurrent, args.concurrent)


if __name__ == "__main__":
    main()
