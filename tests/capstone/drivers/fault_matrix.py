"""The fault matrix: every scenario is shown to go red, for the right reason, when the promise it
checks is broken.

Each fault of faults_plugin.py is paired with the scenarios that must fail under it and a pattern
their failure must match (the reason, not just any failure). The runner starts one offline e2e
session per fault (the fault patches the embedded localcloud for that session only), two at a
time, reads each session's JUnit XML and fails unless every paired scenario failed with its
reason. `make faults` runs it; .ci/run runs `make faults`, so a green CI means every scenario was
seen to fail when its promise broke.

    .venv/bin/python -m tests.capstone.drivers.fault_matrix [FAULT ...]
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent

S1 = "scenarios/test_release_is_served_without_downtime.py"
S2 = "scenarios/test_failing_test_blocks_the_release.py"
S3 = "scenarios/test_unhealthy_green_hook_rolls_back.py"
S4 = "scenarios/test_unhealthy_green_load_balancer_rolls_back.py"
S5 = "scenarios/test_alarm_after_traffic_moved_rolls_back.py"
S6 = "scenarios/test_rejected_approval_changes_nothing.py"
S7 = "scenarios/test_superseded_execution_yields_to_the_newer.py"
S8 = "scenarios/test_environment_passes_verify.py"
S9 = "scenarios/test_unpublished_internal_package_blocks_the_release.py"
S10 = "scenarios/test_failed_deployment_rolls_the_stage_back.py"
SCENARIOS = (S1, S2, S3, S4, S5, S6, S7, S8, S9, S10)

#: fault -> {scenario file: the pattern its failure must match}
MATRIX: dict[str, dict[str, str]] = {
    "no_rollback": {S3: r"rollback did not happen", S4: r"rollback did not happen", S5: r"rollback did not happen",
                    S8: r"ACT-06"},
    "keep_blue": {S1: r"the blue group .* still exists|blue instances not terminated"},
    "no_termination_wait": {S1: r"termination wait|blue did not live"},
    "downtime": {S1: r"zero-downtime violated|failed request", S8: r"ACT-03"},
    # a failing `pip install` is a failing build command too: ignored, the release reaches Approval
    "gate_open": {S2: r"the gate did not block", S8: r"ACT-05", S9: r"the gate did not block"},
    "reject_approves": {S6: r"approval was not honoured"},
    "no_supersede": {S7: r"[Ss]uperseded"},
    "alarm_blind": {S5: r"rollback did not happen|Succeeded|ALARM_ACTIVE|Stopped|timed out"},
    "health_passes": {S4: r"served the wrong version|rollback did not happen|AllowTraffic|Succeeded"},
    "green_early": {S3: r"served the wrong version|failed request|zero-downtime violated|never served"},
    "no_approval_notice": {S1: r"the approval notice"},
    "no_failure_notice": {S2: r"the FAILED notification"},
    "metrics_silent": {S5: r"never reached ALARM"},
    "rollback_forgotten": {S3: r"rollback did not happen", S4: r"rollback did not happen",
                           S5: r"rollback did not happen", S8: r"DEPLOY-02"},
    "no_stage_rollback": {S10: r"rollback did not happen: .* no ROLLBACK execution"},
}


@dataclass
class Outcome:
    fault: str
    seconds: float
    problems: list[str]
    returncode: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _failures(junit: Path) -> dict[str, str]:
    """scenario file -> failure text, for every failed or errored test case of the session."""
    failed: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        for kind in ("failure", "error"):
            element = case.find(kind)
            if element is not None:
                path = (case.get("file") or case.get("classname", "").replace(".", "/") + ".py")
                failed[path] = failed.get(path, "") + (element.get("message") or "") + "\n" + (element.text or "")
    return failed


def run_fault(fault: str, expected: dict[str, str], workdir: Path) -> Outcome:
    started = time.monotonic()
    junit = workdir / f"{fault}.xml"
    env = {**os.environ, "CAPSTONE_FAULT": fault,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    argv = [sys.executable, "-m", "pytest", "-m", "e2e", "-p", "faults_plugin", "-p", "no:randomly", "-q",
            "-o", "junit_family=xunit1", f"--junitxml={junit}", *sorted(expected)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    problems = []
    if not junit.exists():
        problems.append(f"no JUnit report (exit {done.returncode}): {done.stdout[-1500:]}{done.stderr[-1500:]}")
        return Outcome(fault, time.monotonic() - started, problems, done.returncode)
    failures = _failures(junit)
    for scenario, pattern in sorted(expected.items()):
        text = next((t for path, t in failures.items() if path.endswith(scenario)), None)
        if text is None:
            problems.append(f"{scenario} stayed green under {fault}: the scenario cannot see this promise broken")
        elif not re.search(pattern, text):
            problems.append(f"{scenario} went red under {fault} for another reason (wanted /{pattern}/): "
                            f"{text.strip()[:600]}")
    return Outcome(fault, time.monotonic() - started, problems, done.returncode)


def main(argv: list[str]) -> int:
    wanted = argv or list(MATRIX)
    unknown = [f for f in wanted if f not in MATRIX]
    if unknown:
        print(f"unknown fault(s) {unknown}; known: {', '.join(MATRIX)}")
        return 2
    workers = int(os.environ.get("CAPSTONE_FAULT_WORKERS", "2"))
    print(f"[faults] {len(wanted)} fault(s), {workers} at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="capstone-faults-") as tmp, ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_fault, fault, MATRIX[fault], Path(tmp)) for fault in wanted]
        outcomes = []
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            verdict = "red as it must" if outcome.ok else "NOT AS EXPECTED"
            print(f"[faults] {outcome.fault}: {len(MATRIX[outcome.fault])} scenario(s) {verdict} "
                  f"({outcome.seconds:.0f} s)", flush=True)
            for problem in outcome.problems:
                print(f"    - {problem}", flush=True)
    bad = [o for o in outcomes if not o.ok]
    print(f"[faults] {len(outcomes) - len(bad)} of {len(outcomes)} fault(s) turned their scenarios red for the "
          "right reason", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
