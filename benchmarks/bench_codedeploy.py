"""Benchmark: a two-instance EC2 blue/green deployment of a trivial revision at the suite's offline
time scale (capstone/profile.py).

Prints the total (CreateDeployment -> Succeeded), the time inside hook scripts, the AWS waits
(health checks in AllowTraffic, draining in BlockTraffic, termination wait), and localcloud's own
overhead = total - scripts - waits (goal: <= 3 s).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capstone.profile import TIME_SCALE  # noqa: E402
from localcloud import LocalCloud  # noqa: E402
from localcloud.settings import Settings  # noqa: E402
from tests.localcloud.codedeploy import infra  # noqa: E402

SCALE = TIME_SCALE
ROUNDS = 3
SCRIPTED = {"ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
            "BeforeAllowTraffic", "AfterAllowTraffic", "BeforeBlockTraffic", "AfterBlockTraffic"}
WAITS = {"AllowTraffic", "BlockTraffic"}


def seconds(event):
    return (event["endTime"] - event["startTime"]).total_seconds() if event.get("endTime") and event.get("startTime") else 0.0


def one_round(aws, env, n):
    cd = aws("codedeploy")
    started = time.perf_counter()
    d = cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                             revision=env.upload(f"v{n}.zip", infra.bundle(f"v{n}")))["deploymentId"]
    info = infra.wait_status(aws, d, timeout=300)
    total = time.perf_counter() - started
    assert info["status"] == "Succeeded", info.get("errorInformation")
    # AllAtOnce runs the instances of a phase in parallel: the critical path is the slowest
    # instance per label (green installs + reroutes, blue drains).
    scripts_by: dict[str, list[float]] = {}
    waits_by: dict[str, list[float]] = {}
    for t in infra.targets(aws, d).values():
        events = t["lifecycleEvents"]
        scripts_by.setdefault(t["instanceLabel"], []).append(sum(seconds(e) for e in events if e["lifecycleEventName"] in SCRIPTED))
        waits_by.setdefault(t["instanceLabel"], []).append(sum(seconds(e) for e in events if e["lifecycleEventName"] in WAITS))
    scripts = sum(max(v) for v in scripts_by.values())
    waits = sum(max(v) for v in waits_by.values())
    return total, scripts, waits


def main():
    with LocalCloud(port=0, settings=Settings(time_scale=SCALE)) as cloud:
        clients: dict = {}
        aws = lambda service, region=None: clients.setdefault(service, cloud.client(service, region))  # noqa: E731
        env = infra.build(aws)
        infra.blue_green_group(env, termination_wait=0, config="CodeDeployDefault.AllAtOnce")
        rows = [one_round(aws, env, n) for n in range(1, ROUNDS + 1)]
    totals = [r[0] for r in rows]
    overheads = [r[0] - r[1] - r[2] for r in rows]
    print(f"codedeploy blue/green, 2 instances, AllAtOnce, time scale {SCALE}, {ROUNDS} rounds")
    for i, (total, scripts, waits) in enumerate(rows, 1):
        print(f"  round {i}: total {total:.2f}s  scripts {scripts:.2f}s  AWS waits {waits:.2f}s  overhead {total - scripts - waits:.2f}s")
    print(f"median total {statistics.median(totals):.2f}s, median overhead {statistics.median(overheads):.2f}s (goal <= 3 s)")


if __name__ == "__main__":
    main()
