"""How long the capstone environment takes offline: build (every builder), baseline (the first
run approved and deployed, the ALB serving v2), teardown, and the leak check — on an embedded
localcloud at the suite's offline time scale (capstone/profile.py TIME_SCALE). Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/bench_environment.py [--runs 2] [--time-scale S]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from capstone import profile

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(profile.OPTION, type=profile.time_scale_arg, default=profile.TIME_SCALE)
    args = parser.parse_args()
    os.environ.setdefault("CAPSTONE_REPORTS_DIR", tempfile.mkdtemp(prefix="bench-env-"))

    from capstone import leaks
    from capstone.environment import Environment
    from capstone.target import Target
    from localcloud import LocalCloud
    from localcloud.settings import Settings  # noqa: E402

    started = time.monotonic()
    cloud = LocalCloud(port=0, settings=Settings(time_scale=args.time_scale)).start()
    target = Target("local", cloud.region, cloud.url)
    target.check()
    leaks.find(target, "warmup")  # moto builds its backends lazily: pay that once, outside the figures
    print(f"localcloud start + warm-up: {time.monotonic() - started:.2f}s")
    figures: dict[str, list[float]] = {"pre-check": [], "build": [], "baseline": [], "teardown": [], "leak check": [], "total": []}
    try:
        for i in range(args.runs):
            t0 = time.monotonic()
            env = Environment.up(target, prefix=f"bench{i}-{os.getpid() % 10000}", run_id=f"bench-{os.getpid()}-{i}",
                                 progress=lambda _line: None, time_scale=args.time_scale)
            t_up = time.monotonic()
            report = env.down()
            t_down = time.monotonic()
            assert report.ok, report.summary()
            figures["build"].append(env.timings["build"])
            figures["baseline"].append(env.timings["baseline"])
            figures["pre-check"].append(t_up - t0 - env.timings["build"] - env.timings["baseline"])
            figures["teardown"].append(env.timings["teardown"])
            figures["leak check"].append(t_down - t_up - env.timings["teardown"])
            figures["total"].append(t_down - t0)
    finally:
        cloud.stop()
    print(f"runs: {args.runs}, time scale {args.time_scale}, resource types leak-checked: {len(leaks.COVERED_TYPES)}")
    for name, values in figures.items():
        print(f"  {name:<11} median {statistics.median(values):6.2f}s   min {min(values):6.2f}s   max {max(values):6.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
