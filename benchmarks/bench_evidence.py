"""What the evidence costs a run: closing a run (scrub every file, audit.json/html, digests) for a
conformance-sized run and for a large project-test run, and the Allure HTML where the CLI exists.

    .venv/bin/python benchmarks/bench_evidence.py
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capstone.evidence import allure_cli, finish  # noqa: E402
from capstone.evidence.scrub import Scrubber  # noqa: E402


def synthetic(run_dir: Path, scenarios: int, events_each: int, attachments_each: int) -> dict:
    results = run_dir / "allure-results"
    results.mkdir(parents=True)
    t0, timeline, scs = 1_790_000_000.0, [], {}
    for i in range(scenarios):
        worker = f"gw{i % 2}"
        atts = []
        for j in range(attachments_each):
            body = json.dumps({"stage": "BuildAndTest", "i": i, "j": j, "log": "x" * 2000})
            (results / f"{i:08d}-{j:04d}-4000-8000-000000000000-attachment.json").write_text(body)
            atts.append({"name": f"state {j}", "kind": "json", "sha256": hashlib.sha256(body.encode()).hexdigest(),
                         "bytes": len(body), "t": t0})
        for k in range(events_each):
            timeline.append({"t": t0 + i * 60 + k, "kind": "pipeline", "level": "stage",
                             "name": ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")[k % 4],
                             "new": "InProgress" if k % 2 == 0 else "Succeeded", "execution_id": f"e-{i}", "worker": worker})
        nodeid = f"scenarios/test_s{i}.py::test_s{i}"
        scs[nodeid] = {"nodeid": nodeid, "worker": worker, "start": t0 + i * 60, "stop": t0 + i * 60 + 50,
                       "requirement": "It MUST work", "verdict": "passed", "facts": {"execution_id": f"e-{i}"},
                       "steps": [{"title": "push", "start": t0, "stop": t0 + 1, "status": "passed", "depth": 0}],
                       "attachments": atts, "labels": {}}
        (results / f"{i:08d}-0000-4000-8000-000000000000-result.json").write_text(json.dumps({"name": nodeid}))
    return {"run_id": run_dir.name, "scenarios": scs, "timeline": timeline,
            "run": {"facts": {"target": "local", "region": "us-east-1"}, "session_facts": {}, "attachments": []}}


def measure(label: str, scenarios: int, events: int, attachments: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "reports" / "bench"
        evidence = synthetic(run_dir, scenarios, events, attachments)
        scrubber = Scrubber()
        for n in range(5):
            scrubber.register(f"registered-secret-value-{n}")
        files = sum(1 for p in run_dir.rglob("*") if p.is_file())
        started = time.perf_counter()
        finish.finish(run_dir, evidence, scrubber)
        closed = time.perf_counter() - started
        html_kb = (run_dir / "audit.html").stat().st_size / 1024
        print(f"{label:34s} {scenarios:4d} scenarios {files:5d} files  close run {closed * 1000:7.1f} ms  "
              f"audit.html {html_kb:6.0f} KiB")
        command = allure_cli.find()
        if command and scenarios <= 50:
            started = time.perf_counter()
            done = allure_cli.generate(command, run_dir / "allure-results", run_dir / "allure-report")
            print(f"{'':34s} allure generate {time.perf_counter() - started:5.1f} s (exit {done.returncode})")
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    measure("conformance run (7 scenarios)", 7, 40, 8)
    measure("project tests (500 tests)", 500, 4, 1)
    if allure_cli.find() is None:
        print("allure generate: skipped (no Allure CLI; set ALLURE_BIN)")
