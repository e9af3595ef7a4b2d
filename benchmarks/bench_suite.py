"""Wall time of the whole offline e2e suite — environment, nine scenarios, teardown and leak
check — per scenario and in total, with one worker and with two (`-n 2`).

    .venv/bin/python benchmarks/bench_suite.py               # 1 worker, then 2
    .venv/bin/python benchmarks/bench_suite.py --workers 1   # just one
    .venv/bin/python benchmarks/bench_suite.py -- -k release # extra pytest arguments after --

Goals: total <= 90 s at the default time scale on a 2-core machine; -n 2 >= 1.5x faster.
Figures come from pytest's own --durations (setup/call/teardown per scenario); the environment's
set-up lands in the setup of each worker's first scenario and its teardown + leak check in the
teardown of its last.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)")
OUTCOME = re.compile(r"^(\d+) (passed|failed|errors?|skipped)")


def run(workers: int, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-m", "e2e", "-q", "-p", "no:randomly", "--durations=0", "-vv"]
    if workers > 1:
        cmd += ["-n", str(workers)]
    cmd += extra
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    phases: dict[str, dict[str, float]] = defaultdict(dict)
    for line in done.stdout.splitlines():
        match = DURATION.match(line)
        if match:
            seconds, phase, nodeid = float(match.group(1)), match.group(2), match.group(3)
            phases[nodeid.split("@")[0]][phase] = seconds
    summary = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and ("passed" in line or "failed" in line or "error" in line)), "")
    return {"workers": workers, "wall": wall, "phases": phases, "summary": summary.strip("= "),
            "returncode": done.returncode, "tail": done.stdout[-3000:] + done.stderr[-2000:]}


def show(result: dict) -> None:
    print(f"\n== {result['workers']} worker(s): {result['wall']:.1f} s wall — {result['summary']}")
    print(f"{'scenario':<72} {'setup':>7} {'call':>7} {'teardown':>9} {'total':>7}")
    for nodeid, phase in sorted(result["phases"].items(), key=lambda kv: -sum(kv[1].values())):
        name = nodeid.split("::")[0].replace("scenarios/", "")
        total = sum(phase.values())
        print(f"{name:<72} {phase.get('setup', 0):7.1f} {phase.get('call', 0):7.1f} {phase.get('teardown', 0):9.1f} {total:7.1f}")
    if result["returncode"] not in (0, 1):
        print(result["tail"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to run (default 1,2)")
    parser.add_argument("extra", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    results = [run(int(n), args.extra) for n in args.workers.split(",")]
    for result in results:
        show(result)
    print()
    for result in results:
        verdict = "within" if result["wall"] <= 90 else "OVER"
        print(f"total, {result['workers']} worker(s): {result['wall']:.1f} s ({verdict} the 90 s goal)")
    by_workers = {r["workers"]: r["wall"] for r in results}
    if 1 in by_workers and 2 in by_workers:
        speedup = by_workers[1] / by_workers[2]
        print(f"-n 2 speed-up: {speedup:.2f}x ({'meets' if speedup >= 1.5 else 'below'} the 1.5x goal)")
    return 0 if all(r["returncode"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
